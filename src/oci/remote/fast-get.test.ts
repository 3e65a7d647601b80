/**
 * The fast blob GET: keep-alive connections reused across downloads, redirects followed on the
 * fast path itself (credentials dropped off the registry's origin), and a configured undici
 * dispatcher honoured (the fast path steps aside for it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createServer, type AddressInfo } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { digestOf, readAllBounded } from '../../digest/digest.js';
import type { OciDescriptor } from '../content/types.js';
import { startFaultProxy } from '../../testing/fault-proxy.js';
import { startRegistry } from '../../testing/registry.js';
import { RegistryClient } from './client.js';
import { FastGet } from './fast-get.js';

const BLOB_GET = /\/blobs\/sha256:/;
const basic = `Basic ${Buffer.from('testuser:testpass').toString('base64')}`;

function blob(bytes: Buffer): OciDescriptor {
  return { mediaType: 'application/octet-stream', digest: digestOf(bytes), size: bytes.length };
}

async function setup(t: { after(fn: () => unknown): void }) {
  const reg = await startRegistry({ auth: 'htpasswd' });
  t.after(() => reg.stop());
  const proxy = await startFaultProxy({ target: reg.url });
  t.after(() => proxy.stop());
  const credentials = async () => ({ username: 'testuser', password: 'testpass' });
  const direct = new RegistryClient({ credentials });
  t.after(() => direct.close());
  const blobs = [randomBytes(2 << 20), randomBytes(1000), randomBytes(300_000)];
  for (const b of blobs) await direct.repository(reg.host, 'fg/x').push(blob(b), Readable.from([b]));
  return { reg, proxy, credentials, blobs };
}

test('existence checks and consecutive blob downloads reuse one keep-alive connection on the fast path', async (t) => {
  const { proxy, credentials, blobs } = await setup(t);
  const client = new RegistryClient({ credentials });
  t.after(() => client.close());
  const repo = client.repository(proxy.host, 'fg/x');
  const conns = proxy.connections;
  // undici closes the connection after every HEAD; the fast path keeps it (one handshake, not one per blob).
  for (const b of blobs) assert.equal(await repo.exists(blob(b)), true);
  assert.equal(await repo.exists(blob(randomBytes(10))), false);
  const reqs = proxy.requests.length;
  for (const b of [...blobs, ...blobs]) assert.deepEqual(await readAllBounded(await repo.fetch(blob(b)), 4 << 20), b);
  assert.equal(proxy.requests.length - reqs, 6, 'one GET per blob (no fallback repeats)');
  assert.equal(proxy.connections - conns, 1, 'one connection for four HEADs and six downloads');
});

test('a redirect is followed on the fast path: one GET at the registry, none of its credentials at the other origin', async (t) => {
  const { reg, proxy, credentials, blobs } = await setup(t);
  const storage = await startFaultProxy({ target: reg.url, upstreamAuthorization: basic, rewriteHost: true });
  t.after(() => storage.stop());
  const client = new RegistryClient({ credentials });
  t.after(() => client.close());
  const repo = client.repository(proxy.host, 'fg/x');
  assert.equal(await repo.exists(blob(blobs[0]!)), true);
  proxy.setRules([{ method: 'GET', path: BLOB_GET, fault: { kind: 'redirect', to: storage.url }, times: Infinity }]);
  const before = proxy.requests.length;
  assert.deepEqual(await readAllBounded(await repo.fetch(blob(blobs[0]!)), 4 << 20), blobs[0]);
  const gets = proxy.requests.slice(before);
  assert.equal(gets.length, 1, 'the fast path followed the redirect itself (no repeat through the transport)');
  assert.equal(gets[0]!.hadAuthorization, true);
  assert.equal(storage.requests.length, 1);
  assert.equal(storage.requests[0]!.hadAuthorization, false);
});

test('a configured dispatcher carries the blob downloads too (the fast path steps aside)', async (t) => {
  const { proxy, credentials, blobs } = await setup(t);
  let dispatched = 0;
  const agent = new Agent();
  t.after(() => agent.close());
  // A dispatcher that counts what passes through it stands for a proxy or TLS setup.
  const counting = Object.assign(Object.create(agent) as Dispatcher, {
    dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
      dispatched++;
      return agent.dispatch(opts, handler);
    },
  });
  const client = new RegistryClient({ credentials, dispatcher: counting });
  t.after(() => client.close());
  assert.equal(client.fastGet, undefined);
  const before = dispatched;
  assert.deepEqual(await readAllBounded(await client.repository(proxy.host, 'fg/x').fetch(blob(blobs[2]!)), 4 << 20), blobs[2]);
  assert.ok(dispatched > before);
});

test('a HEAD answered with a body anyway (a misbehaving server) is read correctly and its connection is not reused', async (t) => {
  // A fault a real registry does not produce: a raw server that sends bytes after a HEAD's head.
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.on('data', (d) => {
      const sloppy = d.toString('latin1').includes('/sloppy');
      socket.write(`HTTP/1.1 ${sloppy ? 200 : 404} X\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n${sloppy ? 'oops!' : ''}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const fast = new FastGet();
  t.after(() => fast.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  assert.equal((await fast.head(new URL(`${base}/a`), {}))?.status, 404);
  assert.equal((await fast.head(new URL(`${base}/b`), {}))?.status, 404);
  assert.equal(connections, 1, 'clean HEADs share a connection');
  assert.equal((await fast.head(new URL(`${base}/sloppy`), {}))?.status, 200);
  assert.equal((await fast.head(new URL(`${base}/c`), {}))?.status, 404);
  assert.equal(connections, 2, 'the connection that carried stray bytes was closed');
});
