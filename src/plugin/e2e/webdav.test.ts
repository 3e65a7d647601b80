/**
 * End to end: `ocm-plugin-webdav` (componentVersionRepository + componentLister `WebDAV/v1alpha1`)
 * as the single bundled file a user installs, against a real nginx with its DAV modules and Basic
 * auth from the credential graph (consumer `{type: WebDAV, hostname, port}`): add, get, list,
 * download; the server-side layout (content-addressed blobs, nothing left in uploads/); wrong and
 * missing credentials as one clear line; a signed component version transferred registry →
 * WebDAV → registry and CTF verifies everywhere; a 64 MiB blob streams through a plugin whose
 * peak RSS stays far below the blob size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { CliResult } from '../../testing/cli.js';
import { repoRoot } from '../../testing/fixtures.js';
import { nginxDavMissing, startNginxDav, type RunningDav } from '../../testing/nginx-dav.js';
import { pluginWorld, type PluginWorld } from '../../testing/plugin-e2e.js';
import { registryAvailable, startRegistry } from '../../testing/registry.js';

const execFileP = promisify(execFile);
const skip = nginxDavMissing() || false;
const errorLines = (r: CliResult) => r.stderr.split('\n').filter((l) => l.startsWith('Error:'));

/** Installs `examples/plugins/<name>` the way a user gets it: one bundled executable file, copied. */
async function installBundle(w: PluginWorld, name: string): Promise<void> {
  const { bundlePlugin } = (await import(pathToFileURL(join(repoRoot, 'scripts', 'bundle-plugin.mjs')).href)) as { bundlePlugin(entry: string, out: string): Promise<string> };
  await bundlePlugin(join(repoRoot, 'examples', 'plugins', name, 'main.ts'), join(w.plugins, `ocm-plugin-${name}`));
}

function credentialsConfig(dav: RunningDav, username: string, password: string): string {
  return `type: generic.config.ocm.software/v1
configurations:
- type: credentials.config.ocm.software
  consumers:
  - identity: {type: WebDAV, hostname: 127.0.0.1, port: "${dav.port}"}
    credentials:
    - type: Credentials/v1
      properties: {username: ${username}, password: ${password}}
`;
}

async function davWorld(t: { after(fn: () => unknown): void }, password: string) {
  const dav = await startNginxDav({ users: [{ username: 'davuser', password }] });
  t.after(() => dav.stop());
  const w = await pluginWorld([]);
  t.after(() => w.dispose());
  await installBundle(w, 'webdav');
  await w.writeConfig(credentialsConfig(dav, 'davuser', password));
  return { dav, w, repo: `WebDAV/v1alpha1::${dav.url}/ocm/` };
}

const component = (name: string, text: string) => `name: acme.org/${name}
version: \${VERSION}
provider: {name: acme.org}
resources:
  - name: text
    type: plainText
    input: {type: utf8, text: ${JSON.stringify(text)}}
`;

test('WebDAV/v1alpha1 on real nginx-dav with Basic auth: add, get, list, download; content-addressed layout; bad credentials are one line', { timeout: 180_000, skip }, async (t) => {
  const password = `dav-${randomBytes(8).toString('hex')}`;
  const { dav, w, repo } = await davWorld(t, password);
  await w.file('app.yaml', component('app', 'hello over WebDAV'));
  for (const version of ['1.0.0', '1.1.0']) {
    const add = await w.ocm(['add', 'cv', '-c', 'app.yaml', '-r', repo], { env: { VERSION: version } });
    assert.equal(add.code, 0, add.stderr);
  }
  await w.file('lib.yaml', component('lib', 'lib bytes'));
  assert.equal((await w.ocm(['add', 'cv', '-c', 'lib.yaml', '-r', repo], { env: { VERSION: '2.0.0' } })).code, 0);

  const get = await w.ocm(['get', 'cv', `${repo}//acme.org/app:1.1.0`, '-o', 'json']);
  assert.equal(get.code, 0, get.stderr);
  const cd = JSON.parse(get.stdout);
  assert.equal(cd.component.version, '1.1.0');
  const access = cd.component.resources[0].access;
  assert.equal(access.type, 'localBlob');
  const versions = await w.ocm(['get', 'cv', `${repo}//acme.org/app`, '-o', 'json']);
  assert.equal(versions.code, 0, versions.stderr);
  assert.deepEqual((JSON.parse(versions.stdout) as { component: { version: string } }[]).map((d) => d.component.version).sort(), ['1.0.0', '1.1.0']);
  const list = await w.ocm(['list', 'components', repo, '-o', 'json']);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout), ['acme.org/app', 'acme.org/lib']);
  const dl = await w.ocm(['download', 'resource', `${repo}//acme.org/app:1.0.0`, '--identity', 'name=text', '-O', '-']);
  assert.equal(dl.code, 0, dl.stderr);
  assert.equal(dl.stdout, 'hello over WebDAV');
  assert.deepEqual(await w.waitNoPluginProcess(), []);

  await t.test('server side: descriptor per version, blobs named by their sha256, no upload left behind', async () => {
    const root = join(dav.root, 'ocm');
    assert.deepEqual((await readdir(join(root, 'components'))).sort(), ['acme.org%2Fapp', 'acme.org%2Flib']);
    assert.deepEqual((await readdir(join(root, 'components', 'acme.org%2Fapp'))).sort(), ['1.0.0', '1.1.0']);
    const stored = JSON.parse(await readFile(join(root, 'components', 'acme.org%2Fapp', '1.0.0', 'descriptor.json'), 'utf8'));
    const hex = (stored.component.resources[0].access.localReference as string).replace(/^sha256:/, '');
    const blob = readFileSync(join(root, 'blobs', 'sha256', hex));
    assert.equal(createHash('sha256').update(blob).digest('hex'), hex);
    assert.deepEqual(await readdir(join(root, 'uploads')), []);
  });

  await t.test('a blob changed on the server behind our back: the download fails, naming it corrupt; no file is written', async () => {
    const root = join(dav.root, 'ocm');
    const stored = JSON.parse(await readFile(join(root, 'components', 'acme.org%2Flib', '2.0.0', 'descriptor.json'), 'utf8'));
    const hex = (stored.component.resources[0].access.localReference as string).replace(/^sha256:/, '');
    await writeFile(join(root, 'blobs', 'sha256', hex), 'tampered');
    const r = await w.ocm(['download', 'resource', `${repo}//acme.org/lib:2.0.0`, '--identity', 'name=text', '-O', 'lib.txt']);
    assert.notEqual(r.code, 0);
    assert.equal(errorLines(r).length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`blob sha256:${hex} in .* is corrupt`));
    assert.equal(existsSync(join(w.work, 'lib.txt')), false);
  });

  await t.test('a wrong password: one line naming the 401 and the consumer, never the password', async () => {
    const bad = `bad-${randomBytes(8).toString('hex')}`;
    await w.writeConfig(credentialsConfig(dav, 'davuser', bad));
    const r = await w.ocm(['get', 'cv', `${repo}//acme.org/app:1.0.0`]);
    assert.notEqual(r.code, 0);
    assert.deepEqual(errorLines(r).length, 1, r.stderr);
    assert.match(r.stderr, /401 Unauthorized: the server rejected the credentials for consumer \{"type":"WebDAV"/);
    assert.doesNotMatch(r.stderr + r.stdout, new RegExp(`${bad}|${password}`));
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });

  await t.test('no credentials configured: one line saying so', async () => {
    await w.writeConfig('type: generic.config.ocm.software/v1\nconfigurations: []\n');
    const r = await w.ocm(['list', 'components', repo]);
    assert.notEqual(r.code, 0);
    assert.deepEqual(errorLines(r).length, 1, r.stderr);
    assert.match(r.stderr, /401 Unauthorized: no credentials for consumer/);
  });
});

test('signed in a registry, transferred --copy-resources to WebDAV and on to another registry and a CTF: the RSA signature verifies everywhere', { timeout: 240_000, skip: skip || (!registryAvailable() && 'docker-registry not installed') }, async (t) => {
  const { w, repo } = await davWorld(t, `dav-${randomBytes(8).toString('hex')}`);
  const reg = await startRegistry();
  t.after(() => reg.stop());
  await execFileP('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(w.work, 'key.pem')]);
  await execFileP('openssl', ['pkey', '-in', join(w.work, 'key.pem'), '-pubout', '-out', join(w.work, 'pub.pem')]);
  await w.file('data/config.json', '{"replicas": 3}\n');
  await w.file('signed.yaml', `name: acme.org/signed
version: 1.0.0
provider: {name: acme.org}
resources:
  - name: text
    type: plainText
    input: {type: utf8, text: signed bytes}
  - name: config
    type: blob
    input: {type: file, path: data/config.json, mediaType: application/json}
`);
  const src = `${reg.url}/src`;
  const ok = async (args: string[]) => {
    const r = await w.ocm(args);
    assert.equal(r.code, 0, `ocm ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  await ok(['add', 'cv', '-c', 'signed.yaml', '-r', src]);
  await ok(['sign', 'cv', '--signature', 'acme', '--private-key', 'key.pem', `${src}//acme.org/signed:1.0.0`]);
  await ok(['transfer', 'cv', '--copy-resources', `${src}//acme.org/signed:1.0.0`, repo]);
  await ok(['verify', 'cv', '--signature', 'acme', '--public-key', 'pub.pem', `${repo}//acme.org/signed:1.0.0`]);
  await ok(['transfer', 'cv', '--copy-resources', `${repo}//acme.org/signed:1.0.0`, `${reg.url}/back`]);
  await ok(['verify', 'cv', '--signature', 'acme', '--public-key', 'pub.pem', `${reg.url}/back//acme.org/signed:1.0.0`]);
  await ok(['transfer', 'cv', '--copy-resources', `${repo}//acme.org/signed:1.0.0`, 'ctf']);
  await ok(['verify', 'cv', '--signature', 'acme', '--public-key', 'pub.pem', 'ctf//acme.org/signed:1.0.0']);
  const back = await ok(['download', 'resource', `${reg.url}/back//acme.org/signed:1.0.0`, '--identity', 'name=config', '-O', '-']);
  assert.equal(back.stdout, '{"replicas": 3}\n');
  assert.deepEqual(await w.waitNoPluginProcess(), []);
});

test('a 64 MiB local blob streams into and out of WebDAV; the plugin process stays far below the blob size', { timeout: 240_000, skip }, async (t) => {
  const { w, repo } = await davWorld(t, `dav-${randomBytes(8).toString('hex')}`);
  const SIZE = 64 * 1024 * 1024;
  const big = join(w.work, 'big.bin');
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(big).on('error', reject).on('finish', resolve);
    const chunk = randomBytes(1024 * 1024);
    for (let i = 0; i < SIZE / chunk.length; i++) {
      // Different bytes per MiB, so nothing in the path can get away with a repeated pattern.
      chunk.writeUInt32BE(i, 0);
      hash.update(chunk);
      out.write(Buffer.from(chunk));
    }
    out.end();
  });
  const hex = hash.digest('hex');
  await w.file('big.yaml', 'name: acme.org/big\nversion: 1.0.0\nprovider: {name: acme.org}\nresources:\n  - name: big\n    type: blob\n    input: {type: file, path: big.bin}\n');

  // Peak RSS (VmHWM) of the plugin processes, sampled while the CLI runs.
  const peakWhile = async (p: Promise<CliResult>) => {
    let peak = 0;
    let running = true;
    const sampler = (async () => {
      while (running) {
        for (const pid of w.pluginPids()) {
          try {
            const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
            peak = Math.max(peak, kb * 1024);
          } catch {
            /* gone */
          }
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const r = await p.finally(() => (running = false));
    await sampler;
    return { r, peak };
  };
  const up = await peakWhile(w.ocm(['add', 'cv', '-c', 'big.yaml', '-r', repo], { timeoutMs: 180_000 }));
  assert.equal(up.r.code, 0, up.r.stderr);
  const down = await peakWhile(w.ocm(['download', 'resource', `${repo}//acme.org/big:1.0.0`, '--identity', 'name=big', '-O', 'out.bin'], { timeoutMs: 180_000 }));
  assert.equal(down.r.code, 0, down.r.stderr);
  // The same plugin doing a small job: what it takes without any blob (node, the SDK, the bundle).
  const base = await peakWhile(w.ocm(['get', 'cv', `${repo}//acme.org/big:1.0.0`, '-o', 'json']));
  assert.equal(base.r.code, 0, base.r.stderr);
  const got = createHash('sha256');
  for await (const c of createReadStream(join(w.work, 'out.bin'))) got.update(c as Buffer);
  assert.equal(got.digest('hex'), hex);
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  t.diagnostic(`plugin peak RSS: small job ${mib(base.peak)}, upload ${mib(up.peak)}, download ${mib(down.peak)}`);
  assert.ok(base.peak > 0 && up.peak > 0 && down.peak > 0, 'the plugin was sampled');
  // Buffering would add the blob's 64 MiB on top; streaming costs a constant ~40 MiB (the same with 192 MiB: buffers awaiting GC).
  for (const peak of [up.peak, down.peak]) assert.ok(peak < base.peak + 48 * 2 ** 20, `plugin peak RSS ${mib(peak)} vs ${mib(base.peak)} for a small job: the 64 MiB blob was buffered`);
});
