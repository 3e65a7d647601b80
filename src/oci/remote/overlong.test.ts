/**
 * A blob served without Content-Length that runs past its descriptor's size: the read fails with
 * one DIGEST_MISMATCH (no unhandled 'error' from the dropped HTTP body), through the library and
 * through `ocm download resource` / `ocm transfer`, leaving no temporary file behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { digestOf, readAllBounded } from '../../digest/digest.js';
import { isOcmError } from '../../runtime/errors.js';
import { runOcm } from '../../testing/cli.js';
import { startFaultProxy } from '../../testing/fault-proxy.js';
import { tempDir } from '../../testing/fixtures.js';
import { registryAvailable, startRegistry } from '../../testing/registry.js';
import { RegistryClient } from './client.js';

const skip = registryAvailable() ? false : 'docker-registry is not installed';
const BLOB_GET = /\/blobs\/sha256:/;
const env = { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent' };

async function leftovers(dir: string): Promise<string[]> {
  const all = await readdir(dir, { recursive: true });
  return all.filter((f) => /\.tmp-|tmp-\d/.test(f));
}

test('an over-long blob body without Content-Length is DIGEST_MISMATCH, on every read path', { skip }, async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const proxy = await startFaultProxy({ target: reg.url, rules: [{ method: 'GET', path: BLOB_GET, fault: { kind: 'overlong', extra: 70_000 }, times: Infinity }] });
  t.after(() => proxy.stop());
  const b = randomBytes(300_000);
  const desc = { mediaType: 'application/octet-stream', digest: digestOf(b), size: b.length };
  const direct = new RegistryClient();
  t.after(() => direct.close());
  await direct.repository(reg.host, 'o/long').push(desc, Readable.from([b]));
  for (const fastBlobGet of [true, false]) {
    for (const unverified of [false, true]) {
      const c = new RegistryClient({ fastBlobGet });
      try {
        const s = await c.repository(proxy.host, 'o/long').fetch(desc, { unverified });
        await assert.rejects(readAllBounded(s, 1 << 22), (e: unknown) => isOcmError(e, 'DIGEST_MISMATCH') && /more than the expected 300000 bytes/.test((e as Error).message));
        // Let any late 'error' of a dropped stream surface (it would fail the test run as uncaught).
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        await c.close();
      }
    }
  }
});

test('ocm download resource and ocm transfer fail with one line on an over-long blob, leaving no temporary file', { skip }, async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const proxy = await startFaultProxy({ target: reg.url });
  t.after(() => proxy.stop());
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  await writeFile(join(tmp.path, 'data.bin'), randomBytes(400_000));
  await writeFile(
    join(tmp.path, 'component-constructor.yaml'),
    'components:\n- name: acme.org/long\n  version: 1.0.0\n  provider:\n    name: acme.org\n  resources:\n  - name: data\n    type: blob\n    input:\n      type: file\n      path: data.bin\n',
  );
  const add = await runOcm(['add', 'cv', '-r', `${reg.url}/ocm`, '-c', 'component-constructor.yaml'], { cwd: tmp.path, env });
  assert.equal(add.code, 0, add.stderr);
  proxy.setRules([{ method: 'GET', path: BLOB_GET, fault: { kind: 'overlong', extra: 100_000 }, times: Infinity }]);
  const ref = `${proxy.url}/ocm//acme.org/long:1.0.0`;
  const cases: { name: string; args: string[]; dir: string }[] = [
    { name: 'download resource', args: ['download', 'resource', ref, '--identity', 'name=data', '-O', join(tmp.path, 'out', 'data.bin')], dir: 'out' },
    { name: 'transfer', args: ['transfer', 'cv', ref, join(tmp.path, 'target')], dir: 'target' },
  ];
  for (const c of cases) {
    await mkdir(join(tmp.path, c.dir), { recursive: true });
    const r = await runOcm(c.args, { cwd: tmp.path, env });
    assert.notEqual(r.code, 0, `${c.name}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${c.name}: one stderr line, got:\n${r.stderr}`);
    assert.match(lines[0]!, /\[(DIGEST_MISMATCH|LIMIT_EXCEEDED)\]$/, c.name);
    assert.deepEqual(await leftovers(join(tmp.path, c.dir)), [], `${c.name}: temporary files left`);
  }
  assert.deepEqual(await readdir(join(tmp.path, 'out')), [], 'download resource: nothing written');
});
