import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openCtf } from '../ctf/store.js';
import { OciComponentRepository } from '../repository/oci-mapping/index.js';
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runOcm } from '../testing/cli.js';
import { ocmBin, tempDir } from '../testing/fixtures.js';
import { registryAvailable, startRegistry } from '../testing/registry.js';
import { APP, writeGraph } from '../testing/graph-fixture.js';
import { openLocation } from './open.js';

/** A source CTF directory with the graph; returns the path of the blob file of APP's `config` resource. */
async function sourceWithGraph(dir: string): Promise<{ src: string; blobFile: string }> {
  const src = join(dir, 'src');
  const store = await openCtf(src, { create: true, format: 'directory' });
  let ref: string;
  try {
    await writeGraph(store);
    const cd = await new OciComponentRepository(store).getComponentVersion(APP.name, APP.version);
    ref = String(cd.component.resources.find((r) => r.name === 'config')!.access.localReference);
  } finally {
    await store.close();
  }
  return { src, blobFile: join(src, 'blobs', ref.replace(':', '.')) };
}

const faults: { name: string; damage: (file: string) => Promise<void>; code: RegExp }[] = [
  {
    name: 'corrupt',
    damage: async (f) => {
      const b = await readFile(f);
      b[0] = b[0]! ^ 0xff; // same size, other digest
      await writeFile(f, b);
    },
    code: /DIGEST_MISMATCH|digest/i,
  },
  { name: 'missing', damage: (f) => rm(f), code: /not found|NOT_FOUND/i },
];

for (const fault of faults) {
  test(`CLI: a failed transfer (${fault.name} source blob) into a new CTF leaves nothing behind; an existing CTF keeps its index`, async (t) => {
    const dir = await tempDir();
    t.after(() => dir.dispose());
    const { src, blobFile } = await sourceWithGraph(dir.path);
    // existing targets (directory and tgz) made before the damage, so they hold part of the graph
    const out = join(dir.path, 'out');
    await cp(src, join(dir.path, 'pristine'), { recursive: true });
    await fault.damage(blobFile);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(out);
    const ok = await runOcm(['transfer', 'cv', `ctf::${join(dir.path, 'pristine')}//acme.org/transfer/lib:1.0.0`, join(out, 'old-dir'), '-q'], { cwd: out });
    assert.equal(ok.code, 0, ok.stderr);
    const ok2 = await runOcm(['transfer', 'cv', `ctf::${join(dir.path, 'pristine')}//acme.org/transfer/lib:1.0.0`, join(out, 'old.tgz'), '-q'], { cwd: out });
    assert.equal(ok2.code, 0, ok2.stderr);
    const indexBefore = await readFile(join(out, 'old-dir', 'artifact-index.json'));
    const tgzBefore = await readFile(join(out, 'old.tgz'));

    for (const target of ['./new.tgz', './new-dir', './new.tar']) {
      const r = await runOcm(['transfer', 'cv', `ctf::${src}//${APP.name}:${APP.version}`, target, '--recursive', '-q'], { cwd: out });
      assert.notEqual(r.code, 0, `${target}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${target}: one stderr line: ${r.stderr}`);
      assert.match(r.stderr, fault.code);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack');
      assert.deepEqual((await readdir(out)).sort(), ['old-dir', 'old.tgz'], `${target}: nothing left behind`);
    }
    for (const target of ['old-dir', 'old.tgz']) {
      const r = await runOcm(['transfer', 'cv', `ctf::${src}//${APP.name}:${APP.version}`, target, '--recursive', '-q'], { cwd: out });
      assert.notEqual(r.code, 0, `${target}: ${r.stderr}`);
    }
    assert.deepEqual(await readFile(join(out, 'old-dir', 'artifact-index.json')), indexBefore, 'existing directory: index byte-identical');
    assert.deepEqual(await readFile(join(out, 'old.tgz')), tgzBefore, 'existing tgz: archive byte-identical');
    assert.deepEqual((await readdir(out)).sort(), ['old-dir', 'old.tgz'], 'no temp files');
  });
}

test('CLI: Ctrl-C during a transfer into a new CTF removes it (directory and tgz)', { skip: registryAvailable() ? false : 'docker-registry not installed' }, async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const reg = await startRegistry({ auth: 'none' });
  t.after(() => reg.stop());
  const src = await openLocation({ type: 'OCIRepository/v1', baseUrl: reg.url, subPath: 'src' });
  try {
    await writeGraph(src.store, { subPath: 'src' });
  } finally {
    await src.close();
  }
  const repo = await openLocation({ type: 'OCIRepository/v1', baseUrl: reg.url, subPath: 'src' });
  const cd = await new OciComponentRepository(repo.store, { subPath: 'src' }).getComponentVersion(APP.name, APP.version);
  await repo.close();
  const stallDigest = String(cd.component.resources.find((r) => r.name === 'config')!.access.localReference);

  // forwards to the registry, but never answers the GET of one resource blob: the copy hangs there
  let stalled: () => void = () => {};
  const proxy = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.includes(`/blobs/${stallDigest}`)) return stalled();
    const up = request(`${reg.url}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
  t.after(() => new Promise<void>((ok) => (proxy.closeAllConnections(), proxy.close(() => ok()))));
  const port = (proxy.address() as AddressInfo).port;

  for (const target of ['new.tgz', 'new-dir']) {
    const hung = new Promise<void>((ok) => (stalled = ok));
    const child = spawn(process.execPath, [ocmBin, 'transfer', 'cv', `http://127.0.0.1:${port}/src//${APP.name}:${APP.version}`, target, '-r', '-q'], {
      cwd: dir.path,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((ok) => child.on('close', (code) => ok(code)));
    t.after(() => child.kill('SIGKILL'));
    await hung;
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 130, stderr);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(stderr, /interrupted|aborted/i);
    assert.deepEqual((await readdir(dir.path)).sort(), [], `${target}: nothing left behind`);
  }
});
