/**
 * Publish → sign → list/get → install → upgrade → uninstall through the real CLI, on a CTF, with
 * the bundled toolbox plugin as the plugin binary and RSA keys made by openssl. Every refusal is one
 * line, exits non-zero, and leaves the plugin directory exactly as it was.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComponentDescriptor } from '../../descriptor/types.js';
import { openRepository } from '../../repository/open.js';
import { runOcm } from '../../testing/cli.js';
import { repoRoot, tempDir } from '../../testing/fixtures.js';
import { currentPlatform } from './platform.js';
import { addPluginComponent } from './fixture.test.js';

const TOOLBOX = join(repoRoot, 'examples', 'plugins', 'dist', 'bundles', 'ocm-plugin-toolbox');
const CTF = 'CommonTransportFormat/v1';
const here = currentPlatform();

/** Every entry below `dir` with size and mode: "unchanged" means this is equal before and after. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const n of (await readdir(d)).sort()) {
      const s = await stat(join(d, n));
      out.push(`${rel}${n} ${s.isDirectory() ? 'dir' : s.size} ${(s.mode & 0o777).toString(8)}`);
      if (s.isDirectory()) await walk(join(d, n), `${rel}${n}/`);
    }
  };
  await walk(dir, '');
  return out;
}

let tmp: { path: string; dispose(): Promise<void> };
let s: { ctf: string; priv: string; pub: string; wrongPub: string; reg: string };

async function ok(args: string[]): Promise<string> {
  const r = await runOcm(args);
  assert.equal(r.code, 0, `ocm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A refusal: non-zero exit, exactly one stderr line matching `re`, plugin directory unchanged. */
async function refused(args: string[], dir: string, re: RegExp): Promise<string> {
  const before = await snapshot(dir);
  const r = await runOcm(args);
  assert.notEqual(r.code, 0, r.stdout);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, re);
  assert.deepEqual(await snapshot(dir), before, 'plugin directory unchanged');
  return r.stderr;
}

before(async () => {
  tmp = await tempDir('ocm-plugin-registry-');
  const d = tmp.path;
  const key = (n: string) => {
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(d, `${n}.pem`)], { stdio: 'ignore' });
    execFileSync('openssl', ['pkey', '-in', join(d, `${n}.pem`), '-pubout', '-out', join(d, `${n}.pub.pem`)], { stdio: 'ignore' });
  };
  key('acme');
  key('wrong');
  const ctf = join(d, 'plugins-ctf');
  const toolbox = await readFile(TOOLBOX);
  const repo = await openRepository({ type: CTF, filePath: ctf }, { create: true });
  await addPluginComponent(repo, 'acme.org/plugins/toolbox', '1.0.0', [{ os: 'linux', architecture: 'amd64', content: toolbox }, { ...here, content: toolbox }], 'the toolbox example');
  await addPluginComponent(repo, 'acme.org/plugins/elsewhere', '1.0.0', [{ os: 'plan9', architecture: 'mips', content: toolbox }]);
  await addPluginComponent(repo, 'acme.org/plugins/broken', '1.0.0', [{ ...here, content: Buffer.from('#!/bin/sh\necho "no capabilities here" >&2\nexit 1\n') }]);
  await repo.close();
  s = { ctf, priv: join(d, 'acme.pem'), pub: join(d, 'acme.pub.pem'), wrongPub: join(d, 'wrong.pub.pem'), reg: `${ctf}//ocm.software/plugin-registry` };
});

after(() => tmp?.dispose());

test('plugin registry add publishes versions 0.1.0, 0.2.0, ... and never overwrites one; list and get show them', async () => {
  assert.match(await ok(['plugin', 'registry', 'add', s.ctf, 'acme.org/plugins/toolbox:1.0.0']), /^added acme.org\/plugins\/toolbox:1.0.0 as "acme-org-plugins-toolbox" to ocm.software\/plugin-registry:0.1.0\n$/);
  assert.match(await ok(['plugin', 'registry', 'add', s.ctf, 'acme.org/plugins/elsewhere:1.0.0', '--description', 'not for this machine']), /to ocm.software\/plugin-registry:0.2.0 \(from 0.1.0\)/);
  assert.match(await ok(['plugin', 'registry', 'add', s.ctf, 'acme.org/plugins/broken:1.0.0']), /:0.3.0 \(from 0.2.0\)/);
  const again = await runOcm(['plugin', 'registry', 'add', s.ctf, 'acme.org/plugins/broken:1.0.0', '--registry-version', '0.3.0']);
  assert.equal(again.code, 7);
  assert.match(again.stderr, /^Error: plugin registry ocm.software\/plugin-registry:0.3.0 already exists; registry versions are never overwritten .*\[ALREADY_EXISTS\]\n$/);
  const notPlugin = await runOcm(['plugin', 'registry', 'add', s.ctf, 'acme.org/plugins/missing:1.0.0']);
  assert.equal(notPlugin.code, 3, notPlugin.stderr);

  // Sign the plugins and the registry (its reference digests cover the plugin descriptors).
  for (const cv of ['acme.org/plugins/toolbox:1.0.0', 'acme.org/plugins/elsewhere:1.0.0', 'acme.org/plugins/broken:1.0.0', 'ocm.software/plugin-registry:0.3.0']) {
    await ok(['sign', 'cv', `${s.ctf}//${cv}`, '--signature', 'acme', '--private-key', s.priv]);
  }

  const table = await ok(['plugin', 'registry', 'list', '--registry', s.ctf]);
  const lines = table.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME\s+VERSION\s+PLATFORMS\s+DESCRIPTION$/);
  assert.deepEqual(lines.slice(1).map((l) => l.split(/\s{2,}/)[0]), ['acme-org-plugins-broken', 'acme-org-plugins-elsewhere', 'acme-org-plugins-toolbox']);
  assert.match(table, /acme-org-plugins-elsewhere\s+1\.0\.0\s+plan9\/mips\s+not for this machine/);
  const wide = await ok(['plugin', 'registry', 'list', '--registry', s.reg, '-o', 'wide']);
  assert.ok(wide.includes(`${s.reg}:0.3.0`), wide);
  const json = JSON.parse(await ok(['plugin', 'registry', 'list', '--registry', `${s.reg}:0.1.0`, '-o', 'json'])) as unknown;
  const platforms = [...new Set(['linux/amd64', `${here.os}/${here.architecture}`])];
  assert.deepEqual(json, [
    { name: 'acme-org-plugins-toolbox', version: '1.0.0', platforms, description: 'the toolbox example', registry: `${s.reg}:0.1.0`, component: 'acme.org/plugins/toolbox' },
  ]);
  const get = JSON.parse(await ok(['plugin', 'registry', 'get', 'toolbox', '--registry', s.ctf, '-o', 'json'])) as { version: string }[];
  assert.deepEqual(get.map((p) => p.version), ['1.0.0']);
  const cd = JSON.parse(await ok(['plugin', 'registry', 'get', 'toolbox:1.0.0', '--registry', s.ctf, '--component-descriptor', '-o', 'json'])) as ComponentDescriptor[];
  assert.equal(cd[0]!.component.name, 'acme.org/plugins/toolbox');
  const missing = await runOcm(['plugin', 'registry', 'get', 'nosuch', '--registry', s.ctf]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /^Error: plugin "nosuch" not found in plugin registries .*\[NOT_FOUND\]\n$/);
});

test('no registry configured: one line saying how to configure; pluginRegistries in .ocmconfig is used', async () => {
  const cfg = join(tmp.path, 'empty.ocmconfig');
  await writeFile(cfg, 'type: generic.config.ocm.software/v1\nconfigurations: []\n');
  const r = await runOcm(['--config', cfg, 'plugin', 'registry', 'list']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^Error: no plugin registry configured: pass --registry .* or list it under pluginRegistries in a plugin.config.ocm.software\/v2alpha1 entry of .ocmconfig \[INVALID_ARGUMENT\]\n$/);
  const withReg = join(tmp.path, 'reg.ocmconfig');
  await writeFile(withReg, `type: generic.config.ocm.software/v1\nconfigurations:\n- type: plugin.config.ocm.software/v2alpha1\n  pluginRegistries: ["${s.reg}"]\n`);
  assert.match(await ok(['--config', withReg, 'plugin', 'registry', 'list']), /acme-org-plugins-toolbox/);
});

test('install by name into an empty directory: verified, listed with version and source, and it answers', async () => {
  const dir = join(tmp.path, 'plugins-a');
  await mkdir(dir);
  const out = await ok(['plugin', 'install', 'toolbox', '--registry', s.reg, '--public-key', s.pub, '--plugin-directory', dir]);
  assert.match(out, new RegExp(`^installed toolbox 1\\.0\\.0 \\(${here.os}/${here.architecture}\\) from .*plugin-registry:0\\.3\\.0 into `));
  assert.deepEqual((await snapshot(dir)).map((l) => l.split(' ')[0]), ['.ocm-installed', '.ocm-installed/toolbox.json', 'toolbox']);
  assert.equal((await stat(join(dir, 'toolbox'))).mode & 0o777, 0o755);
  const caps = JSON.parse(execFileSync(join(dir, 'toolbox'), ['capabilities'], { encoding: 'utf8' })) as { capabilities: unknown[] };
  assert.ok(caps.capabilities.length > 0);
  const list = JSON.parse(await ok(['--plugin-directory', dir, 'plugin', 'list', '-o', 'json'])) as { id: string; version?: string; source?: string; state: string }[];
  assert.equal(list.length, 1);
  assert.deepEqual([list[0]!.id, list[0]!.version, list[0]!.state], ['toolbox', '1.0.0', 'ok']);
  assert.match(list[0]!.source!, /plugin-registry:0\.3\.0 \(acme\.org\/plugins\/toolbox\)$/);
  assert.match(await ok(['--plugin-directory', dir, 'plugin', 'list']), /^ID\s+VERSION\s+STATE\s+CAPABILITY\s+TYPES\s+SOURCE\ntoolbox\s+1\.0\.0\s+ok/);
  // Installing again is refused (upgrade is the way), directory unchanged.
  await refused(['plugin', 'install', 'toolbox', '--registry', s.reg, '--public-key', s.pub, '--plugin-directory', dir], dir, /already installed .*\[ALREADY_EXISTS\]/);
});

test('refusals: unsigned registry, wrong key, tampered blob, other os/arch only, failing capabilities — each one line, directory unchanged', async () => {
  const dir = join(tmp.path, 'plugins-b');
  await mkdir(dir);
  await writeFile(join(dir, 'keep.txt'), 'unrelated');
  const install = (plugin: string, ...extra: string[]) => ['plugin', 'install', plugin, '--plugin-directory', dir, ...extra];

  // An unsigned registry (another registry component in the same repository).
  await ok(['plugin', 'registry', 'add', s.ctf, 'acme.org/plugins/toolbox:1.0.0', '--registry-component', 'acme.org/unsigned-registry']);
  const unsigned = `${s.ctf}//acme.org/unsigned-registry`;
  await refused(install('toolbox', '--registry', unsigned, '--public-key', s.pub), dir, /^Error: plugin registry acme.org\/unsigned-registry:0.1.0 is not signed; refusing to install it .*--insecure-skip-verify.*\[VERIFICATION_FAILED\]\n$/);
  await refused(install('toolbox', '--registry', s.reg, '--public-key', s.wrongPub), dir, /^Error: plugin registry ocm.software\/plugin-registry:0.3.0 does not verify with the trusted keys .*\[VERIFICATION_FAILED\]\n$/);
  await refused(install('toolbox', '--registry', s.reg), dir, /^Error: no key to verify plugin registry .*--public-key.*\[VERIFICATION_FAILED\]\n$/);
  await refused(install('elsewhere', '--registry', s.reg, '--public-key', s.pub), dir, new RegExp(`has no build for ${here.os}/${here.architecture}; available: plan9/mips \\[NOT_FOUND\\]\\n$`));
  await refused(install('broken', '--registry', s.reg, '--public-key', s.pub), dir, /^Error: plugin acme-org-plugins-broken 1.0.0 \(.*\) failed validation: "capabilities" exited with code 1; last stderr: no capabilities here \[PLUGIN_ERROR\]\n$/);

  // A tampered plugin blob in a copy of the repository.
  const copy = join(tmp.path, 'tampered-ctf');
  await cp(s.ctf, copy, { recursive: true });
  const repo = await openRepository({ type: CTF, filePath: copy });
  const cd = await repo.getComponentVersion('acme.org/plugins/toolbox', '1.0.0');
  await repo.close();
  const blob = join(copy, 'blobs', String(cd.component.resources[0]!.access.localReference).replace(':', '.'));
  const bytes = await readFile(blob);
  bytes[bytes.length - 2] ^= 1;
  await writeFile(blob, bytes);
  await refused(install('toolbox', '--registry', copy, '--public-key', s.pub), dir, /\[DIGEST_MISMATCH\]\n$/);

  // Explicitly unverified: the unsigned registry is accepted.
  const r = await runOcm(install('toolbox', '--registry', unsigned, '--insecure-skip-verify'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /WITHOUT signature verification/);
});

test('upgrade to a newer registry version, then uninstall', async () => {
  const dir = join(tmp.path, 'plugins-c');
  await ok(['plugin', 'install', 'toolbox:1.0.0', '--registry', s.reg, '--public-key', s.pub, '--plugin-directory', dir]);
  assert.match(await ok(['plugin', 'upgrade', '--registry', s.reg, '--public-key', s.pub, '--plugin-directory', dir]), /^toolbox 1\.0\.0 is up to date\n$/);
  const repo = await openRepository({ type: CTF, filePath: s.ctf });
  await addPluginComponent(repo, 'acme.org/plugins/toolbox', '1.1.0', [{ ...here, content: await readFile(TOOLBOX) }], 'the toolbox example');
  await repo.close();
  assert.match(await ok(['plugin', 'registry', 'add', s.ctf, 'acme.org/plugins/toolbox:1.1.0']), /:0\.4\.0 \(from 0\.3\.0\)/);
  for (const cv of ['acme.org/plugins/toolbox:1.1.0', 'ocm.software/plugin-registry:0.4.0']) await ok(['sign', 'cv', `${s.ctf}//${cv}`, '--signature', 'acme', '--private-key', s.priv]);
  assert.match(await ok(['plugin', 'upgrade', 'toolbox', '--registry', s.reg, '--public-key', s.pub, '--plugin-directory', dir]), /^upgraded toolbox 1\.0\.0 -> 1\.1\.0\n$/);
  const rec = JSON.parse(await readFile(join(dir, '.ocm-installed', 'toolbox.json'), 'utf8')) as { version: string; registry: string };
  assert.deepEqual([rec.version, rec.registry], ['1.1.0', `${s.reg}:0.4.0`]);
  assert.match(await ok(['plugin', 'uninstall', 'toolbox', '--plugin-directory', dir]), /^uninstalled toolbox 1\.1\.0 from /);
  assert.deepEqual(await snapshot(dir), ['.ocm-installed dir 755']);
  await refused(['plugin', 'uninstall', 'toolbox', '--plugin-directory', dir], dir, /is not installed .*\[NOT_FOUND\]/);
});

test('download plugin behaves as Go v2: identity subset match, file named after the component, 0755, validated', async () => {
  const dir = join(tmp.path, 'downloads');
  const out = JSON.parse(await ok(['download', 'plugin', `${s.ctf}//acme.org/plugins/toolbox:1.0.0`, '--output', dir, '-f', 'json'])) as Record<string, unknown>;
  assert.deepEqual(out, {
    plugin: 'acme.org/plugins/toolbox',
    version: '1.0.0',
    source: 'acme.org/plugins/toolbox:1.0.0',
    type: 'ocmPlugin',
    identity: { name: 'plugin', version: '1.0.0', os: here.os, architecture: here.architecture },
    location: join(dir, 'toolbox'),
  });
  assert.equal((await stat(join(dir, 'toolbox'))).mode & 0o777, 0o755);
  assert.deepEqual(await readdir(dir), ['toolbox']);
  const table = await ok(['download', 'plugin', `${s.ctf}//acme.org/plugins/toolbox:1.0.0`, '--output', dir, '--extra-identity', 'os=linux,architecture=amd64', '--skip-validation']);
  assert.match(table, /^PLUGIN\s+VERSION\s+SOURCE\s+TYPE\s+IDENTITY\s+LOCATION\nacme.org\/plugins\/toolbox\s+1.0.0/);
  await refused(['download', 'plugin', `${s.ctf}//acme.org/plugins/toolbox:1.0.0`, '--output', dir, '--resource-version', '9.9.9'], dir, /has no build for .* with version=9\.9\.9; available: /);
  await refused(['download', 'plugin', `${s.ctf}//acme.org/plugins/broken:1.0.0`, '--output', dir], dir, /failed validation: "capabilities" exited with code 1/);
  await ok(['download', 'plugin', `${s.ctf}//acme.org/plugins/broken:1.0.0`, '--output', dir, '--skip-validation']);
  assert.deepEqual((await readdir(dir)).sort(), ['broken', 'toolbox']);
});

test('a pluginInfo label with an unknown key is refused naming the registry and the key', async () => {
  const repo = await openRepository({ type: CTF, filePath: s.ctf });
  await repo.addComponentVersion({
    meta: { schemaVersion: 'v2' },
    component: {
      name: 'acme.org/bad-registry',
      version: '1.0.0',
      provider: 'acme.org',
      repositoryContexts: [],
      resources: [],
      sources: [],
      componentReferences: [
        { name: 'toolbox', componentName: 'acme.org/plugins/toolbox', version: '1.0.0', labels: [{ name: 'ocm.software/pluginInfo', value: { description: 'x', homepage: 'https://x' } }] },
      ],
    },
  });
  await repo.close();
  const r = await runOcm(['plugin', 'registry', 'list', '--registry', `${s.ctf}//acme.org/bad-registry`]);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /^Error: plugin registry .*\/\/acme.org\/bad-registry:1.0.0: reference "toolbox": label ocm.software\/pluginInfo has unknown key "homepage" \(allowed: .*\) \[VALIDATION_FAILED\]\n$/);
});
