import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { digestOf, readAllBounded } from '../../digest/digest.js';
import { isOcmError } from '../../runtime/errors.js';
import type { OciDescriptor } from '../content/types.js';
import { startFaultProxy, type FaultRule } from '../../testing/fault-proxy.js';
import { startRegistry } from '../../testing/registry.js';
import { RegistryClient } from './client.js';

const fast = { baseDelayMs: 10, maxDelayMs: 2000, maxAttempts: 4 };

function blob(bytes: Buffer): OciDescriptor {
  return { mediaType: 'application/octet-stream', digest: digestOf(bytes), size: bytes.length };
}

async function setup(t: { after(fn: () => unknown): void }, rules: FaultRule[] = [], auth: 'none' | 'htpasswd' = 'none') {
  const reg = await startRegistry({ auth });
  t.after(() => reg.stop());
  const proxy = await startFaultProxy({ target: reg.url, rules });
  t.after(() => proxy.stop());
  const creds = auth === 'htpasswd' ? async () => ({ username: 'testuser', password: 'testpass' }) : undefined;
  const client = new RegistryClient({ retry: fast, chunkSize: 64 * 1024, ...(creds ? { credentials: creds } : {}) });
  t.after(() => client.close());
  const direct = new RegistryClient({ ...(creds ? { credentials: creds } : {}) });
  t.after(() => direct.close());
  return { reg, proxy, client, direct };
}

const BLOB_GET = /\/blobs\/sha256:/;

test('blob download resumes with Range after a truncated body and verifies the joined stream', async (t) => {
  const { reg, proxy, client, direct } = await setup(t);
  const b = randomBytes(300_000);
  await direct.repository(reg.host, 'f/trunc').push(blob(b), Readable.from([b]));
  proxy.setRules([{ method: 'GET', path: BLOB_GET, fault: { kind: 'truncate', afterBytes: 100_000 } }]);
  const got = await readAllBounded(await client.repository(proxy.host, 'f/trunc').fetch(blob(b)), 1 << 20);
  assert.deepEqual(got, b);
  const gets = proxy.requests.filter((r) => r.method === 'GET' && BLOB_GET.test(r.path));
  assert.equal(gets.length, 2);
  assert.match(gets[1]!.range ?? '', /^bytes=\d+-$/);
});

test('a corrupted blob is never accepted', async (t) => {
  const { reg, proxy, client, direct } = await setup(t);
  const b = randomBytes(50_000);
  await direct.repository(reg.host, 'f/corrupt').push(blob(b), Readable.from([b]));
  proxy.setRules([{ method: 'GET', path: BLOB_GET, fault: { kind: 'corrupt', atByte: 1234 }, times: Infinity }]);
  await assert.rejects(readAllBounded(await client.repository(proxy.host, 'f/corrupt').fetch(blob(b)), 1 << 20), (e: unknown) => isOcmError(e, 'DIGEST_MISMATCH'));
});

test('503 and connection resets are retried; 429 honours Retry-After', async (t) => {
  const { reg, proxy, direct } = await setup(t);
  const b = randomBytes(1000);
  await direct.repository(reg.host, 'f/retry').push(blob(b), Readable.from([b]));
  proxy.setRules([
    { method: 'GET', path: BLOB_GET, fault: { kind: 'status', status: 503 } },
    { method: 'GET', path: BLOB_GET, fault: { kind: 'reset' } },
    { method: 'HEAD', fault: { kind: 'status', status: 429, retryAfter: '1' } },
  ]);
  const waits: unknown[] = [];
  const logger = { debug: (m: string, f?: Record<string, unknown>) => void (m.startsWith('retrying') && waits.push(f)), info() {}, warn() {} };
  const logged = new RegistryClient({ retry: fast, logger });
  t.after(() => logged.close());
  const repo = logged.repository(proxy.host, 'f/retry');
  assert.deepEqual(await readAllBounded(await repo.fetch(blob(b)), 1 << 20), b);
  assert.equal(await repo.exists(blob(b)), true);
  // The 503 made the fast blob path hand over to the transport, whose GET met the reset and was
  // retried; the 429's Retry-After of 1 s was used as the delay (not the 10 ms backoff).
  assert.equal(waits.length, 2);
  assert.deepEqual((waits as { status?: number; delayMs: number }[]).filter((w) => w.status === 429).map((w) => w.delayMs), [1000]);
});

test('4xx is not retried and a persistent 503 fails cleanly after the bounded attempts', async (t) => {
  const { proxy, client } = await setup(t);
  proxy.setRules([{ method: 'GET', path: /manifests/, fault: { kind: 'status', status: 503 }, times: Infinity }]);
  const repo = client.repository(proxy.host, 'f/down');
  await assert.rejects(repo.fetchManifest('v1'), (e: unknown) => isOcmError(e, 'REGISTRY_ERROR') && /503/.test((e as Error).message));
  assert.equal(proxy.requests.filter((r) => r.path.includes('manifests')).length, fast.maxAttempts);
  proxy.setRules([]);
  const before = proxy.requests.length;
  await assert.rejects(repo.fetchManifest('v1'), (e: unknown) => isOcmError(e, 'NOT_FOUND'));
  assert.equal(proxy.requests.length - before, 1);
});

test('chunked uploads survive a reset and a 503 during PATCH and a reset of the monolithic PUT', async (t) => {
  const { proxy, direct, reg } = await setup(t);
  const client = new RegistryClient({ retry: fast, chunkSize: 64 * 1024, chunkedUpload: true });
  t.after(() => client.close());
  proxy.setRules([
    { method: 'PATCH', fault: { kind: 'reset' }, skip: 1 },
    { method: 'PATCH', fault: { kind: 'status', status: 503 }, skip: 1 },
    { method: 'PUT', path: /blobs\/uploads/, fault: { kind: 'reset' } },
  ]);
  const big = randomBytes(5 * 64 * 1024 + 3);
  const small = randomBytes(2000);
  const repo = client.repository(proxy.host, 'f/up');
  await repo.push(blob(big), Readable.from([big]));
  await repo.push(blob(small), Readable.from([small]));
  const check = direct.repository(reg.host, 'f/up');
  assert.deepEqual(await readAllBounded(await check.fetch(blob(big)), 1 << 22), big);
  assert.deepEqual(await readAllBounded(await check.fetch(blob(small)), 1 << 20), small);
  assert.ok(proxy.requests.some((r) => r.fault === 'reset' && r.method === 'PATCH'));
});

test('a blob GET redirected to another origin is followed without Authorization', async (t) => {
  const { reg, proxy, client, direct } = await setup(t, [], 'htpasswd');
  // The other origin stands in for object storage with a pre-signed URL.
  const storage = await startFaultProxy({ target: reg.url, upstreamAuthorization: `Basic ${Buffer.from('testuser:testpass').toString('base64')}`, rewriteHost: true });
  t.after(() => storage.stop());
  const b = randomBytes(4000);
  await direct.repository(reg.host, 'f/redir').push(blob(b), Readable.from([b]));
  proxy.setRules([{ method: 'GET', path: BLOB_GET, fault: { kind: 'redirect', to: storage.url }, times: Infinity }]);
  const repo = client.repository(proxy.host, 'f/redir');
  // Authenticate first (HEAD), so the redirected GET carries credentials to the registry origin.
  assert.equal(await repo.exists(blob(b)), true);
  const got = await readAllBounded(await repo.fetch(blob(b)), 1 << 20);
  assert.deepEqual(got, b);
  const redirected = proxy.requests.filter((r) => r.fault === 'redirect');
  assert.ok(redirected.length >= 1);
  assert.ok(redirected.every((r) => r.hadAuthorization));
  assert.equal(storage.requests.length, 1);
  assert.equal(storage.requests[0]!.hadAuthorization, false);
});

test('a streamed upload cut off by a reset fails cleanly and leaves no blob', async (t) => {
  const { proxy, client, direct, reg } = await setup(t);
  proxy.setRules([{ method: 'PATCH', fault: { kind: 'reset' } }]);
  const big = randomBytes(5 * 64 * 1024 + 3);
  await assert.rejects(client.repository(proxy.host, 'f/stream').push(blob(big), Readable.from([big])), (e: unknown) => isOcmError(e, 'NETWORK_ERROR'));
  assert.equal(await direct.repository(reg.host, 'f/stream').exists(blob(big)), false);
  // Without the fault the same push goes through.
  await client.repository(proxy.host, 'f/stream').push(blob(big), Readable.from([big]));
  assert.equal(await direct.repository(reg.host, 'f/stream').exists(blob(big)), true);
});

test('a plain blob download takes one request on the fast socket path, also with Basic auth', async (t) => {
  const { reg, proxy, client, direct } = await setup(t, [], 'htpasswd');
  const b = randomBytes(3 << 20);
  await direct.repository(reg.host, 'f/fast').push(blob(b), Readable.from([b]));
  const repo = client.repository(proxy.host, 'f/fast');
  assert.equal(await repo.exists(blob(b)), true);
  const before = proxy.requests.length;
  assert.deepEqual(await readAllBounded(await repo.fetch(blob(b)), 1 << 23), b);
  const gets = proxy.requests.slice(before);
  assert.equal(gets.length, 1);
  assert.equal(gets[0]!.hadAuthorization, true);
});

test('small blobs of known digest: one upload request pair each, the refused single POST is remembered, no HEAD when the caller checked', async (t) => {
  const { reg, proxy, client, direct } = await setup(t);
  const repo = client.repository(proxy.host, 'f/small');
  const blobs = [randomBytes(1000), randomBytes(2000), randomBytes(3000)];
  for (const b of blobs) await repo.push(blob(b), Readable.from([b]), { existenceChecked: true });
  const methods = proxy.requests.map((r) => `${r.method} ${r.path.includes('digest=') ? 'digest' : ''}`.trim());
  // distribution 2.8 opens a session on POST ?digest= (202): the first PUT uses it, later pushes go POST + PUT.
  assert.deepEqual(methods, ['POST digest', 'PUT digest', 'POST', 'PUT digest', 'POST', 'PUT digest']);
  for (const b of blobs) assert.deepEqual(await readAllBounded(await direct.repository(reg.host, 'f/small').fetch(blob(b)), 1 << 20), b);
});

test('concurrent first pushes to a host: one upload learns whether single POSTs work, the others stream POST + PUT', async (t) => {
  const { reg, proxy, client, direct } = await setup(t);
  const repo = client.repository(proxy.host, 'f/probe');
  const blobs = Array.from({ length: 6 }, (_, i) => randomBytes(48 * 1024 + i));
  await Promise.all(blobs.map((b) => repo.push(blob(b), Readable.from([b]), { existenceChecked: true })));
  const methods = proxy.requests.map((r) => `${r.method} ${r.path.includes('digest=') ? 'digest' : ''}`.trim());
  // Only the probe sends a body with its POST (distribution 2.8 ignores it and opens a session).
  assert.equal(methods.filter((m) => m === 'POST digest').length, 1, methods.join(', '));
  assert.equal(methods.filter((m) => m === 'PUT digest').length, 6);
  for (const b of blobs) assert.deepEqual(await readAllBounded(await direct.repository(reg.host, 'f/probe').fetch(blob(b)), 1 << 20), b);
});

test('bytes that do not match a known digest are refused by the registry as DIGEST_MISMATCH (small and streamed)', async (t) => {
  const { reg, client, direct } = await setup(t);
  for (const size of [100, 5 * 64 * 1024]) {
    const b = randomBytes(size);
    const lie = { ...blob(b), digest: digestOf(randomBytes(8)) };
    await assert.rejects(client.repository(reg.host, 'f/lie').push(lie, Readable.from([b])), (e: unknown) => isOcmError(e, 'DIGEST_MISMATCH'));
    assert.equal(await direct.repository(reg.host, 'f/lie').exists(lie), false);
    const long = { ...blob(b), size: size - 1 };
    await assert.rejects(client.repository(reg.host, 'f/lie').push(long, Readable.from([b])), (e: unknown) => isOcmError(e, 'DIGEST_MISMATCH'));
  }
});
