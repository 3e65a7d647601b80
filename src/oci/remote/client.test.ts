import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { digestOf, readAllBounded } from '../../digest/digest.js';
import { isOcmError } from '../../runtime/errors.js';
import { MediaType } from '../content/media-types.js';
import type { OciDescriptor } from '../content/types.js';
import { startRegistry, type RunningRegistry } from '../../testing/registry.js';
import { RegistryClient } from './client.js';

function blob(bytes: Buffer, mediaType = 'application/octet-stream'): OciDescriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.length };
}

async function readAll(r: Readable): Promise<Buffer> {
  return readAllBounded(r, 64 * 1024 * 1024);
}

function manifestFor(config: OciDescriptor, layers: OciDescriptor[]): { bytes: Buffer; desc: OciDescriptor } {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers }));
  return { bytes, desc: blob(bytes, MediaType.ociManifest) };
}

function credsFor(reg: RunningRegistry, user = reg.users[0]!) {
  return async () => ({ username: user.username, password: user.password });
}

async function roundTrip(client: RegistryClient, host: string, repoName: string): Promise<void> {
  const repo = client.repository(host, repoName);
  const small = randomBytes(1000);
  const big = randomBytes(3 * 64 * 1024 + 17); // chunked with a 64 KiB chunk size
  const config = Buffer.from('{}');
  for (const b of [small, big, config]) await repo.push(blob(b), Readable.from([b]));
  assert.equal(await repo.exists(blob(big)), true);
  const m = manifestFor(blob(config, MediaType.ociEmpty), [blob(small), blob(big)]);
  await repo.push(m.desc, Readable.from([m.bytes]));
  await repo.tag(m.desc, 'v1');
  const resolved = await repo.resolve('v1');
  assert.equal(resolved.digest, m.desc.digest);
  assert.equal(resolved.mediaType, MediaType.ociManifest);
  assert.deepEqual(await readAll(await repo.fetch(blob(big))), big);
  assert.deepEqual(await readAll(await repo.fetch(m.desc)), m.bytes);
  // Pushing again is a no-op (existence check first).
  await repo.push(blob(big), Readable.from([big]));
}

test('registry client pushes and pulls blobs, manifests and tags without auth', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const client = new RegistryClient({ chunkSize: 64 * 1024 });
  t.after(() => client.close());
  await roundTrip(client, reg.host, 'acme/plain');
});

test('registry client authenticates with Basic against htpasswd (bcrypt)', async (t) => {
  const reg = await startRegistry({ auth: 'htpasswd' });
  t.after(() => reg.stop());
  const client = new RegistryClient({ chunkSize: 64 * 1024, credentials: credsFor(reg) });
  t.after(() => client.close());
  await roundTrip(client, reg.host, 'acme/basic');
});

test('registry client gets Bearer tokens from the token server', async (t) => {
  const reg = await startRegistry({ auth: 'token' });
  t.after(() => reg.stop());
  const client = new RegistryClient({ chunkSize: 64 * 1024, credentials: credsFor(reg) });
  t.after(() => client.close());
  await roundTrip(client, reg.host, 'acme/token');
  const scopes = reg.tokenServer!.requests.map((r) => r.scopes.join(' '));
  // A pull token is never reused for a push: both scope sets were requested separately.
  assert.ok(scopes.includes('repository:acme/token:pull'));
  assert.ok(scopes.includes('repository:acme/token:pull,push'));
});

test('registry client refreshes through the OAuth2 POST when given an identity token', async (t) => {
  const reg = await startRegistry({ auth: 'token' });
  t.after(() => reg.stop());
  // Obtain a refresh token with the password grant, then use it as identity token.
  const first = new RegistryClient({ credentials: credsFor(reg), oauth2: true });
  t.after(() => first.close());
  const b = randomBytes(10);
  await first.repository(reg.host, 'acme/oauth').push(blob(b), Readable.from([b]));
  assert.ok(reg.tokenServer!.requests.some((r) => r.method === 'POST' && r.grantType === 'password'));
  const res = await fetch(reg.tokenServer!.realm, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username: 'testuser', password: 'testpass', service: 'test-registry', client_id: 't', access_type: 'offline' }),
  });
  const refresh = ((await res.json()) as { refresh_token: string }).refresh_token;
  const second = new RegistryClient({ credentials: async () => ({ identityToken: refresh }) });
  t.after(() => second.close());
  assert.equal(await second.repository(reg.host, 'acme/oauth').exists(blob(b)), true);
  assert.ok(reg.tokenServer!.requests.some((r) => r.method === 'POST' && r.grantType === 'refresh_token' && r.authenticated));
});

test('wrong credentials give a clear UNAUTHORIZED error (htpasswd and token)', async (t) => {
  for (const auth of ['htpasswd', 'token'] as const) {
    const reg = await startRegistry({ auth });
    t.after(() => reg.stop());
    const client = new RegistryClient({ credentials: async () => ({ username: 'testuser', password: 'bad-s3cret' }) });
    t.after(() => client.close());
    await assert.rejects(client.repository(reg.host, 'acme/x').resolve('v1'), (e: unknown) => {
      assert.ok(isOcmError(e, 'UNAUTHORIZED'), String(e));
      assert.match((e as Error).message, /credentials|username or password/);
      assert.doesNotMatch((e as Error).message, /bad-s3cret/);
      return true;
    });
    const anon = new RegistryClient();
    t.after(() => anon.close());
    await assert.rejects(anon.repository(reg.host, 'acme/x').resolve('v1'), (e: unknown) => isOcmError(e, 'UNAUTHORIZED') && /no credentials/.test((e as Error).message));
  }
});

test('401 errors name the consumer identity that was looked up, never the secret', async (t) => {
  for (const auth of ['htpasswd', 'token'] as const) {
    const reg = await startRegistry({ auth });
    t.after(() => reg.stop());
    const identity = { type: 'OCIRegistry', hostname: '127.0.0.1', port: reg.host.split(':')[1]!, path: 'acme' };
    const client = new RegistryClient({ credentials: Object.assign(async () => ({ username: 'testuser', password: 'bad-s3cret' }), { identity }) });
    t.after(() => client.close());
    await assert.rejects(client.repository(reg.host, 'acme/x').resolve('v1'), (e: unknown) => {
      assert.ok(isOcmError(e, 'UNAUTHORIZED'), String(e));
      assert.match((e as Error).message, new RegExp(`rejected the credentials for identity hostname=127\\.0\\.0\\.1,path=acme,port=${identity.port},type=OCIRegistry`));
      assert.match((e as Error).message, new RegExp(`ocm get credentials --for ${reg.host}/acme`));
      assert.doesNotMatch((e as Error).message, /bad-s3cret/);
      return true;
    });
  }
});

test('a pull-only token can pull but cannot push (FORBIDDEN)', async (t) => {
  const reg = await startRegistry({ auth: 'token', users: [{ username: 'writer', password: 'w' }, { username: 'reader', password: 'r', actions: ['pull'] }] });
  t.after(() => reg.stop());
  const writer = new RegistryClient({ credentials: async () => ({ username: 'writer', password: 'w' }) });
  const reader = new RegistryClient({ credentials: async () => ({ username: 'reader', password: 'r' }) });
  t.after(() => writer.close());
  t.after(() => reader.close());
  const b = randomBytes(100);
  await writer.repository(reg.host, 'acme/ro').push(blob(b), Readable.from([b]));
  assert.deepEqual(await readAll(await reader.repository(reg.host, 'acme/ro').fetch(blob(b))), b);
  const other = randomBytes(100);
  await assert.rejects(reader.repository(reg.host, 'acme/ro').push(blob(other), Readable.from([other])), (e: unknown) => isOcmError(e, 'FORBIDDEN'));
});

test('tag listing follows Link pagination; unknown repository lists nothing', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const client = new RegistryClient();
  t.after(() => client.close());
  const repo = client.repository(reg.host, 'acme/tags');
  const config = Buffer.from('{}');
  await repo.push(blob(config, MediaType.ociEmpty), Readable.from([config]));
  const m = manifestFor(blob(config, MediaType.ociEmpty), []);
  await repo.push(m.desc, Readable.from([m.bytes]));
  const names = ['a', 'b', 'c', 'd', 'e'];
  for (const n of names) await repo.tag(m.desc, n);
  assert.deepEqual((await repo.listTags({ pageSize: 2 })).sort(), names);
  assert.deepEqual(await client.repository(reg.host, 'acme/none').listTags(), []);
});

test('cross-repository mount and the missing-blob fallback', async (t) => {
  const reg = await startRegistry({ auth: 'token' });
  t.after(() => reg.stop());
  const client = new RegistryClient({ credentials: credsFor(reg) });
  t.after(() => client.close());
  const b = randomBytes(500);
  await client.repository(reg.host, 'acme/src').push(blob(b), Readable.from([b]));
  const dst = client.repository(reg.host, 'acme/dst');
  assert.equal(await dst.mount(blob(b), 'acme/src'), true);
  assert.equal(await dst.exists(blob(b)), true);
  const missing = randomBytes(10);
  assert.equal(await dst.mount(blob(missing), 'acme/src'), false);
  // The mount token request carried both scopes as repeated parameters.
  assert.ok(reg.tokenServer!.requests.some((r) => r.scopes.includes('repository:acme/src:pull') && r.scopes.includes('repository:acme/dst:pull,push')));
});

test('missing content is NOT_FOUND; a blob whose bytes differ from the descriptor is refused', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const client = new RegistryClient();
  t.after(() => client.close());
  const repo = client.repository(reg.host, 'acme/nf');
  await assert.rejects(repo.resolve('nope'), (e: unknown) => isOcmError(e, 'NOT_FOUND'));
  const b = randomBytes(100);
  await assert.rejects(repo.fetch(blob(b)), (e: unknown) => isOcmError(e, 'NOT_FOUND'));
  const lie = { ...blob(b), digest: digestOf('other') };
  await assert.rejects(repo.push(lie, Readable.from([b])), (e: unknown) => isOcmError(e, 'DIGEST_MISMATCH'));
  assert.equal(await repo.exists(lie), false);
});

test('chunked uploads and uploads of unknown digest (ingest) store the exact bytes', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  for (const chunkedUpload of [false, true]) {
    const client = new RegistryClient({ chunkSize: 64 * 1024, chunkedUpload });
    t.after(() => client.close());
    const repo = client.repository(reg.host, `acme/ingest-${chunkedUpload}`);
    const big = randomBytes(4 * 64 * 1024 + 5);
    await repo.push(blob(big), Readable.from([big]));
    assert.deepEqual(await readAll(await repo.fetch(blob(big))), big);
    const other = randomBytes(3 * 64 * 1024 + 1);
    const desc = await repo.ingest(Readable.from([other.subarray(0, 1000), other.subarray(1000)]), { mediaType: 'application/x-test' });
    assert.deepEqual(desc, { ...blob(other), mediaType: 'application/x-test' });
    assert.deepEqual(await repo.stat(desc.digest), { size: other.length });
    const small = randomBytes(10);
    assert.equal((await repo.ingest(Readable.from([small]), { mediaType: 'x/y' })).digest, digestOf(small));
    // The bytes must match a declared size.
    await assert.rejects(repo.ingest(Readable.from([randomBytes(10)]), { mediaType: 'x/y', size: 11 }), (e: unknown) => isOcmError(e, 'DIGEST_MISMATCH'));
  }
});

test('referrers: a registry without the API (distribution 2.8) yields undefined', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const client = new RegistryClient();
  t.after(() => client.close());
  assert.equal(await client.repository(reg.host, 'acme/ref').referrers(blob(Buffer.from('x'))), undefined);
});

test('aborting a blob download fails the stream with ABORTED', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const client = new RegistryClient();
  t.after(() => client.close());
  const b = randomBytes(8 << 20);
  const repo = client.repository(reg.host, 'acme/abort');
  await repo.push(blob(b), Readable.from([b]));
  for (const fastBlobGet of [true, false]) {
    const c = new RegistryClient({ fastBlobGet });
    t.after(() => c.close());
    const ac = new AbortController();
    const s = await c.repository(reg.host, 'acme/abort').fetch(blob(b), { signal: ac.signal });
    await assert.rejects(
      (async () => {
        for await (const _ of s) ac.abort();
      })(),
      (e: unknown) => isOcmError(e, 'ABORTED'),
    );
  }
});
