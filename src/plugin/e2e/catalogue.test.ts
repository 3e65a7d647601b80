/**
 * The plugin catalogue end to end, on real peers only: the four plugins of issue 14 (helm,
 * ssh-signing, passwordstore, webdav, each bundled into one file by scripts/bundle-plugin.mjs) and the
 * Python plugin are published as plugin components into an htpasswd docker-registry, signed with an
 * openssl RSA key, added to a signed plugin registry there, listed, installed BY NAME into an empty
 * plugin directory (registry, credentials and trusted key all from .ocmconfig), and then used through
 * the CLI from those installed copies only: a helm/v1 chart and a pytools Generated/v1alpha1 input
 * pushed to the registry with credentials from a real `pass` store, signed with ssh-keygen, transferred
 * into a real nginx WebDAV server, read and verified there.
 *
 * The refusals (unsigned registry, wrong key, tampered blob, other os/arch only, failing capabilities)
 * are in src/plugin/registry/install.test.ts; here only the real-registry flavour of "not signed yet".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CliResult } from '../../testing/cli.js';
import { repoRoot } from '../../testing/fixtures.js';
import { nginxDavMissing, startNginxDav } from '../../testing/nginx-dav.js';
import { passMissing, startPassStore } from '../../testing/pass-store.js';
import { pluginWorld } from '../../testing/plugin-e2e.js';
import { registryAvailable, startRegistry } from '../../testing/registry.js';
import { currentPlatform } from '../registry/platform.js';

const has = (cmd: string, arg: string) => spawnSync(cmd, [arg], { stdio: 'ignore' }).error === undefined;
const skip =
  (!registryAvailable() && 'docker-registry not installed (apt-get install docker-registry)') ||
  passMissing() ||
  nginxDavMissing() ||
  (!has('ssh-keygen', '-?') && 'ssh-keygen not installed (apt-get install openssh-client)') ||
  (!has('python3', '--version') && 'python3 not installed (apt-get install python3)') ||
  (!has('openssl', 'version') && 'openssl not installed (apt-get install openssl)') ||
  false;

const here = currentPlatform();
// A second platform for helm, to show the install picks this machine's build.
const other = here.os === 'darwin' && here.architecture === 'arm64' ? { os: 'windows', architecture: 'amd64' } : { os: 'darwin', architecture: 'arm64' };
const PLUGINS = ['helm', 'ssh-signing', 'passwordstore', 'webdav', 'pytools'] as const;
const TYPES: Record<(typeof PLUGINS)[number], string> = {
  helm: 'helm/v1',
  'ssh-signing': 'SSHSignature/v1alpha1',
  passwordstore: 'PasswordStore/v1',
  webdav: 'WebDAV/v1alpha1',
  pytools: 'Generated/v1alpha1',
};
const HELM_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The publisher's constructor: one plugin component per plugin, an `ocmPlugin` resource per platform. */
function pluginConstructor(): string {
  const resource = (file: string, p: { os: string; architecture: string }) =>
    `  - name: plugin\n    type: ocmPlugin\n    extraIdentity: {os: ${p.os}, architecture: ${p.architecture}}\n    input: {type: file, path: ./bin/${file}}\n`;
  return (
    'components:\n' +
    PLUGINS.map(
      (p) =>
        `- name: acme.org/plugins/${p}\n  version: 1.0.0\n  provider: {name: acme.org}\n  labels: [{name: ocm.software/description, value: "${TYPES[p]} (catalogue test)"}]\n  resources:\n` +
        resource(`ocm-plugin-${p}`, here) +
        (p === 'helm' ? resource('not-for-this-machine', other) : ''),
    ).join('')
  );
}

test('plugin catalogue: publish five plugins into a signed registry on an htpasswd docker-registry, install each by name, use each through the CLI', { timeout: 300_000, skip }, async (t) => {
  const regPassword = `reg-${randomBytes(8).toString('hex')}`;
  const davPassword = `dav-${randomBytes(8).toString('hex')}`;
  const registry = await startRegistry({ auth: 'htpasswd', users: [{ username: 'ocmuser', password: regPassword }] });
  t.after(() => registry.stop());
  const dav = await startNginxDav({ users: [{ username: 'davuser', password: davPassword }] });
  t.after(() => dav.stop());
  const store = await startPassStore();
  t.after(() => store.stop());
  const w = await pluginWorld([]);
  t.after(() => w.dispose());

  const outputs: CliResult[] = [];
  const ocm = async (args: string[]): Promise<CliResult> => {
    const r = await w.ocm(args);
    outputs.push(r);
    return r;
  };
  const ok = async (args: string[]): Promise<string> => {
    const r = await ocm(args);
    assert.equal(r.code, 0, `ocm ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const yaml = (s: string) => JSON.stringify(s);

  // --- The publisher: bundles, plugin components, RSA signatures, the plugin registry. ---
  const pub = join(w.work, 'publish');
  await mkdir(join(pub, 'bin'), { recursive: true });
  const { bundlePlugin } = (await import(pathToFileURL(join(repoRoot, 'scripts', 'bundle-plugin.mjs')).href)) as { bundlePlugin(entry: string, out: string): Promise<string> };
  for (const p of PLUGINS.filter((x) => x !== 'pytools')) await bundlePlugin(join(repoRoot, 'examples', 'plugins', p, 'main.ts'), join(pub, 'bin', `ocm-plugin-${p}`));
  await copyFile(join(repoRoot, 'examples', 'plugins', 'pytools', 'ocm-plugin-pytools'), join(pub, 'bin', 'ocm-plugin-pytools'));
  await writeFile(join(pub, 'bin', 'not-for-this-machine'), '#!/bin/sh\necho "wrong platform" >&2\nexit 1\n', { mode: 0o755 });
  await writeFile(join(pub, 'plugins.yaml'), pluginConstructor());
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(pub, 'acme.pem')], { stdio: 'ignore' });
  execFileSync('openssl', ['pkey', '-in', join(pub, 'acme.pem'), '-pubout', '-out', join(pub, 'acme.pub.pem')], { stdio: 'ignore' });

  const port = String(registry.port);
  const plugRepo = `${registry.url}/plugins`;
  const regRef = `${plugRepo}//ocm.software/plugin-registry`;
  const registryConsumer = `  - identity: {type: OCIRegistry, hostname: 127.0.0.1, port: "${port}"}\n    credentials:\n    - {type: Credentials/v1, properties: {username: ocmuser, password: ${regPassword}}}\n`;
  await w.writeConfig(`type: generic.config.ocm.software/v1\nconfigurations:\n- type: credentials.config.ocm.software\n  consumers:\n${registryConsumer}`);

  await ok(['add', 'cv', '-c', join(pub, 'plugins.yaml'), '-r', plugRepo]);
  for (const p of PLUGINS) {
    await ok(['sign', 'cv', `${plugRepo}//acme.org/plugins/${p}:1.0.0`, '--signature', 'acme', '--private-key', join(pub, 'acme.pem')]);
    assert.match(await ok(['plugin', 'registry', 'add', plugRepo, `acme.org/plugins/${p}:1.0.0`]), new RegExp(`^added acme.org/plugins/${p}:1.0.0 as "acme-org-plugins-${p}" to ocm.software/plugin-registry:0\\.\\d\\.0`));
  }

  // --- The user: registry, registry credentials and the trusted key from .ocmconfig only. ---
  const userConfig = (credentials: string, more = '') =>
    `type: generic.config.ocm.software/v1\nconfigurations:\n- type: plugin.config.ocm.software/v2alpha1\n  pluginRegistries: [${yaml(regRef)}]\n- type: credentials.config.ocm.software\n${credentials}${more}`;
  const trustedKey = `  - identity: {type: RSA/v1alpha1, algorithm: RSASSA-PKCS1-V1_5, signature: acme}\n    credentials: [{type: RSACredentials/v1, publicKeyPEMFile: ${yaml(join(pub, 'acme.pub.pem'))}}]\n`;
  await w.writeConfig(userConfig(`  consumers:\n${registryConsumer}${trustedKey}`));
  assert.deepEqual(await readdir(w.plugins), [], 'the plugin directory starts empty');

  await t.test('the registry version is not signed yet: install refused with one line, plugin directory unchanged', async () => {
    const r = await ocm(['plugin', 'install', 'helm']);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /^Error: plugin registry ocm.software\/plugin-registry:0.5.0 is not signed; refusing to install it .*\[VERIFICATION_FAILED\]\n$/);
    assert.deepEqual(await readdir(w.plugins), []);
  });
  await ok(['sign', 'cv', `${regRef}:0.5.0`, '--signature', 'acme', '--private-key', join(pub, 'acme.pem')]);

  await t.test('ocm plugin registry list: five rows, table and json', async () => {
    const table = (await ok(['plugin', 'registry', 'list'])).trimEnd().split('\n');
    assert.match(table[0]!, /^NAME\s+VERSION\s+PLATFORMS\s+DESCRIPTION$/);
    const names = [...PLUGINS].sort().map((p) => `acme-org-plugins-${p}`);
    assert.deepEqual(table.slice(1).map((l) => l.split(/\s+/)[0]), names);
    assert.match(table.find((l) => l.startsWith('acme-org-plugins-helm'))!, new RegExp(`1\\.0\\.0\\s+${here.os}/${here.architecture}, ${other.os}/${other.architecture}\\s+helm/v1 \\(catalogue test\\)$`));
    const json = JSON.parse(await ok(['plugin', 'registry', 'list', '-o', 'json'])) as { name: string; version: string; platforms: string[]; description: string; registry: string; component: string }[];
    assert.deepEqual(
      json,
      [...PLUGINS].sort().map((p) => ({
        name: `acme-org-plugins-${p}`,
        version: '1.0.0',
        platforms: p === 'helm' ? [`${here.os}/${here.architecture}`, `${other.os}/${other.architecture}`] : [`${here.os}/${here.architecture}`],
        description: `${TYPES[p]} (catalogue test)`,
        registry: `${regRef}:0.5.0`,
        component: `acme.org/plugins/${p}`,
      })),
    );
  });

  await t.test('ocm plugin install <name> for each into the empty plugin directory; plugin list shows versions and sources', async () => {
    for (const p of PLUGINS) {
      assert.match(await ok(['plugin', 'install', p]), new RegExp(`^installed ${p} 1\\.0\\.0 \\(${here.os}/${here.architecture}\\) from .*plugin-registry:0\\.5\\.0 into ${escape(w.plugins)}\\n$`));
    }
    assert.deepEqual((await readdir(w.plugins)).sort(), ['.ocm-installed', ...[...PLUGINS].sort()]);
    // This machine's build, not the other platform's.
    assert.equal(sha256(await readFile(join(w.plugins, 'helm'))), sha256(await readFile(join(pub, 'bin', 'ocm-plugin-helm'))));
    const list = JSON.parse(await ok(['plugin', 'list', '-o', 'json'])) as { id: string; version: string; source: string; state: string; capabilities: { types: string[] }[] }[];
    assert.deepEqual(list.map((e) => e.id).sort(), [...PLUGINS].sort());
    for (const e of list) {
      assert.deepEqual([e.version, e.state], ['1.0.0', 'ok'], e.id);
      assert.equal(e.source, `${regRef}:0.5.0 (acme.org/plugins/${e.id})`);
      assert.ok(e.capabilities.some((c) => c.types.includes(TYPES[e.id as (typeof PLUGINS)[number]])), `${e.id} declares ${TYPES[e.id as (typeof PLUGINS)[number]]}`);
    }
    const table = await ok(['plugin', 'list']);
    assert.match(table, /^ID\s+VERSION\s+STATE\s+CAPABILITY\s+TYPES\s+SOURCE\n/);
    assert.match(table, /\nwebdav\s+1\.0\.0\s+ok\s+/);
  });

  // --- Use every installed plugin (nothing from examples/ from here on). ---
  await store.insert(`ocm/127.0.0.1:${port}`, `${regPassword}\nusername: ocmuser\n`);
  await store.insert(`ocm/127.0.0.1:${dav.port}`, `${davPassword}\nusername: davuser\n`);
  const keys = join(w.root, 'keys');
  await mkdir(keys, { mode: 0o700 });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'release', '-f', join(keys, 'release')], { stdio: 'ignore' });
  await writeFile(join(keys, 'allowed_signers'), `release@acme.org namespaces="ocm" ${(await readFile(join(keys, 'release.pub'), 'utf8')).trim()}\n`);
  // No OCIRegistry or WebDAV consumer: those credentials come from pass through the installed plugin.
  await w.writeConfig(
    userConfig(
      `  repositories:\n  - repository: {type: PasswordStore/v1, prefix: ocm/, storeDir: ${yaml(store.storeDir)}, gpgHome: ${yaml(store.gpgHome)}}\n  consumers:\n${trustedKey}` +
        `  - identity: {type: SSHKey, name: release}\n    credentials:\n    - {type: Credentials/v1, properties: {privateKeyFile: ${yaml(join(keys, 'release'))}, allowedSignersFile: ${yaml(join(keys, 'allowed_signers'))}}}\n`,
    ),
  );
  await cp(join(repoRoot, 'test', 'fixtures', 'helm', 'mychart'), join(w.work, 'chart'), { recursive: true });
  await w.file(
    'app.yaml',
    'name: acme.org/app\nversion: 1.0.0\nprovider: {name: acme.org}\nresources:\n' +
      '  - name: chart\n    type: helmChart\n    input: {type: helm/v1, path: ./chart}\n' +
      '  - name: banner\n    type: plainText\n    input: {type: Generated/v1alpha1, text: "hi ", repeat: 3}\n',
  );
  await w.file('ssh.yaml', 'type: SSHSignature/v1alpha1\nprincipal: release@acme.org\n');
  const appRepo = `${registry.url}/apps`;
  const app = `${appRepo}//acme.org/app:1.0.0`;
  const davRepo = `WebDAV/v1alpha1::${dav.url}/ocm/`;
  let chart: Buffer;

  await t.test('passwordstore + helm + pytools: add cv with a helm/v1 chart and a Generated/v1alpha1 input, pushed with credentials from pass', async () => {
    const explain = JSON.parse(await ok(['get', 'credentials', '--identity', `type=OCIRegistry,hostname=127.0.0.1,port=${port},path=apps`, '-o', 'json'])) as { outcome: string; credentials: { username: string } };
    assert.deepEqual([explain.outcome, explain.credentials.username], ['repository', 'ocmuser']);
    await ok(['add', 'cv', '-c', 'app.yaml', '-r', appRepo]);
    const cd = JSON.parse(await ok(['get', 'cv', app, '-o', 'json'])) as { component: { resources: { name: string; access: { mediaType?: string } }[] } };
    assert.equal(cd.component.resources.find((r) => r.name === 'chart')!.access.mediaType, HELM_MEDIA_TYPE);
    chart = (await ocm(['download', 'resource', app, '--identity', 'name=chart', '-O', '-'])).stdoutBytes;
    assert.deepEqual([...chart.subarray(0, 2)], [0x1f, 0x8b], 'a gzip stream');
    assert.equal(await ok(['download', 'resource', app, '--identity', 'name=banner', '-O', '-']), 'hi hi hi ');
  });

  await t.test('ssh-signing: sign and verify cv with SSHSignature/v1alpha1 (ssh-keygen key, allowed_signers)', async () => {
    await ok(['sign', 'cv', app, '--signer-spec', 'ssh.yaml', '--signature', 'release']);
    await ok(['verify', 'cv', app, '--verifier-spec', 'ssh.yaml', '--signature', 'release']);
  });

  await t.test('webdav: transfer cv into nginx-dav (Basic auth from pass), get cv from there, the signature still verifies, same chart bytes', async () => {
    await ok(['transfer', 'cv', app, davRepo, '--copy-resources']);
    const cd = JSON.parse(await ok(['get', 'cv', `${davRepo}//acme.org/app:1.0.0`, '-o', 'json'])) as { component: { name: string }; signatures: { name: string; signature: { algorithm: string } }[] };
    assert.equal(cd.component.name, 'acme.org/app');
    assert.equal(cd.signatures.find((s) => s.name === 'release')?.signature.algorithm, 'SSH-SIG');
    await ok(['verify', 'cv', `${davRepo}//acme.org/app:1.0.0`, '--verifier-spec', 'ssh.yaml', '--signature', 'release']);
    const fromDav = (await ocm(['download', 'resource', `${davRepo}//acme.org/app:1.0.0`, '--identity', 'name=chart', '-O', '-'])).stdoutBytes;
    assert.equal(sha256(fromDav), sha256(chart));
    assert.ok((await readdir(join(dav.root, 'ocm', 'components'))).includes('acme.org%2Fapp'));
  });

  assert.deepEqual(await w.waitNoPluginProcess(), [], 'no plugin process outlives the CLI');
  for (const r of outputs) {
    for (const secret of [regPassword, davPassword]) assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `a password leaked into output:\n${r.stderr}`);
  }
});
