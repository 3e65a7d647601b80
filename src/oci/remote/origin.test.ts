/**
 * Credentials go only to the registry's own origin. A fault proxy in front of the real registry
 * re-points every URL the registry hands back (upload Location at each hop, Link, redirects) at a
 * recording server on another port; that server must never see Authorization or the secret.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { digestOf } from '../../digest/digest.js';
import { MediaType } from '../content/media-types.js';
import type { OciDescriptor } from '../content/types.js';
import { startFaultProxy, type FaultRule } from '../../testing/fault-proxy.js';
import { startMisbehavingServer, type CannedAnswer } from '../../testing/misbehaving-server.js';
import { everythingSeen, startRecordingServer } from '../../testing/recording-server.js';
import { startRegistry } from '../../testing/registry.js';
import { RegistryClient } from './client.js';
import { sameOrigin } from './origin.js';

test('sameOrigin compares scheme, host and port with default ports normalised', () => {
  const cases: [string, string, boolean][] = [
    ['https://r.example/v2/x', 'https://r.example:443/other', true],
    ['http://r.example/v2/', 'http://R.EXAMPLE:80', true],
    ['http://127.0.0.1:5000/a', 'http://127.0.0.1:5000/b?_state=x', true],
    ['http://r.example/', 'https://r.example/', false],
    ['https://r.example/', 'https://r.example:8443/', false],
    ['http://127.0.0.1:5000/', 'http://127.0.0.1:5001/', false],
    ['https://r.example/', 'https://r.example.evil.net/', false],
    ['https://r.example/', 'https://evil-r.example/', false],
    ['https://user@r.example/', 'https://r.example/', true],
    ['http://[::1]:5000/', 'http://[::1]:5000/x', true],
    ['http://[::1/x', 'http://[::1/x', false],
  ];
  for (const [a, b, want] of cases) assert.equal(sameOrigin(a, b), want, `${a} vs ${b}`);
});

const BLOB_GET = /\/blobs\/sha256:/;
const user = { username: 'leaker', password: 'leak-s3cret-pw' };

function blob(bytes: Buffer, mediaType = 'application/octet-stream'): OciDescriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.length };
}

for (const auth of ['htpasswd', 'token'] as const) {
  test(`no credentials reach another origin named by the registry (${auth === 'htpasswd' ? 'Basic' : 'Bearer'})`, async (t) => {
    const reg = await startRegistry({ auth, users: [user] });
    t.after(() => reg.stop());
    const recorder = await startRecordingServer();
    t.after(() => recorder.stop());
    const front = await startFaultProxy({ target: reg.url });
    t.after(() => front.stop());
    const credentials = async () => ({ ...user });
    const direct = new RegistryClient({ credentials, chunkSize: 64 * 1024 });
    t.after(() => direct.close());
    // Content to read: a blob, a manifest tagged a..c.
    const stored = randomBytes(200_000);
    const setupRepo = direct.repository(reg.host, 'leak/x');
    await setupRepo.push(blob(stored), Readable.from([stored]));
    const config = Buffer.from('{}');
    await setupRepo.push(blob(config, MediaType.ociEmpty), Readable.from([config]));
    const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: blob(config, MediaType.ociEmpty), layers: [] }));
    await setupRepo.push(blob(m, MediaType.ociManifest), Readable.from([m]));
    for (const tag of ['a', 'b', 'c']) await setupRepo.tag(blob(m, MediaType.ociManifest), tag);

    const to = recorder.url;
    const big = () => randomBytes(3 * 64 * 1024 + 5);
    const scenarios: { name: string; rules: FaultRule[]; chunkedUpload?: boolean; fastBlobGet?: boolean; run: (c: RegistryClient) => Promise<unknown> }[] = [
      {
        name: 'monolithic upload: POST answers a Location on another origin',
        rules: [{ method: 'POST', path: /blobs\/uploads/, fault: { kind: 'relocate', to }, times: Infinity }],
        run: (c) => { const b = randomBytes(1000); return c.repository(front.host, 'leak/x').push(blob(b), Readable.from([b])); },
      },
      {
        name: 'streamed upload: POST answers a Location on another origin',
        rules: [{ method: 'POST', path: /blobs\/uploads/, fault: { kind: 'relocate', to }, times: Infinity }],
        run: (c) => { const b = big(); return c.repository(front.host, 'leak/x').push(blob(b), Readable.from([b])); },
      },
      {
        name: 'chunked upload: the first PATCH answers a Location on another origin',
        chunkedUpload: true,
        rules: [{ method: 'PATCH', fault: { kind: 'relocate', to } }],
        run: (c) => { const b = big(); return c.repository(front.host, 'leak/x').push(blob(b), Readable.from([b])); },
      },
      {
        name: 'refused mount: the opened session (cancelled) is on another origin',
        rules: [{ method: 'POST', path: /mount=/, fault: { kind: 'relocate', to }, times: Infinity }],
        run: (c) => c.repository(front.host, 'leak/y').mount(blob(randomBytes(10)), 'leak/x'),
      },
      {
        name: 'tag list: Link rel=next on another origin',
        // distribution 2.8 ignores `n` (one page, no Link): the front answers the first page itself.
        rules: [
          {
            method: 'GET',
            path: /tags\/list/,
            fault: { kind: 'respond', status: 200, headers: { 'content-type': 'application/json', link: `<${to}/v2/leak/x/tags/list?last=a&n=1>; rel="next"` }, body: '{"name":"leak/x","tags":["a"]}' },
            times: Infinity,
          },
        ],
        run: (c) => c.repository(front.host, 'leak/x').listTags({ pageSize: 1 }),
      },
      {
        name: 'blob GET (fast path) redirected to another origin',
        rules: [{ method: 'GET', path: BLOB_GET, fault: { kind: 'redirect', to }, times: Infinity }],
        run: (c) => c.repository(front.host, 'leak/x').fetch(blob(stored)),
      },
      {
        name: 'blob GET (transport) redirected to another origin',
        fastBlobGet: false,
        rules: [{ method: 'GET', path: BLOB_GET, fault: { kind: 'redirect', to, status: 302 }, times: Infinity }],
        run: (c) => c.repository(front.host, 'leak/x').fetch(blob(stored)),
      },
      {
        name: 'Range resume of a cut blob redirected to another origin',
        rules: [
          { method: 'GET', path: BLOB_GET, fault: { kind: 'truncate', afterBytes: 50_000 } },
          { method: 'GET', path: BLOB_GET, fault: { kind: 'redirect', to }, times: Infinity },
        ],
        run: async (c) => {
          for await (const _ of await c.repository(front.host, 'leak/x').fetch(blob(stored))) void _;
        },
      },
      {
        name: 'manifest HEAD and GET redirected to another origin',
        rules: [{ path: /manifests/, fault: { kind: 'redirect', to, status: 301 }, times: Infinity }],
        run: async (c) => {
          const repo = c.repository(front.host, 'leak/x');
          await repo.resolve('a').catch(() => undefined);
          return repo.fetchManifest('a');
        },
      },
    ];
    for (const s of scenarios) {
      const client = new RegistryClient({ credentials, chunkSize: 64 * 1024, retry: { baseDelayMs: 5, maxAttempts: 2 }, chunkedUpload: s.chunkedUpload ?? false, fastBlobGet: s.fastBlobGet ?? true });
      try {
        // Authenticate first (pull and push), so every later request would carry credentials.
        const warm = randomBytes(100);
        await client.repository(front.host, 'leak/x').push(blob(warm), Readable.from([warm]));
        recorder.requests.length = 0;
        front.setRules(s.rules);
        await s.run(client).catch(() => undefined);
        front.setRules([]);
        assert.ok(recorder.requests.length > 0, `${s.name}: the other origin was never contacted (scenario proves nothing)`);
        for (const r of recorder.requests) assert.equal(r.headers.authorization, undefined, `${s.name}: ${r.method} ${r.url} carried Authorization`);
        const seen = everythingSeen(recorder);
        assert.doesNotMatch(seen, /leak-s3cret-pw|Basic |Bearer /, s.name);
        assert.ok(!seen.includes(Buffer.from(`${user.username}:${user.password}`).toString('base64')), s.name);
        // The registry's own origin did get credentials (the rule is not "never send").
        assert.ok(front.requests.some((r) => r.hadAuthorization), s.name);
      } finally {
        await client.close();
      }
    }
    // Decided (auth.ts): the token realm, another origin named by the registry itself, does get the
    // registry's Basic credentials, as with docker/distribution and containerd.
    if (auth === 'token') assert.ok(reg.tokenServer!.requests.some((r) => r.authenticated));
  });
}

test('a token request redirected to another origin: the password form is not re-sent, the Basic header is dropped', async (t) => {
  const recorder = await startRecordingServer();
  t.after(() => recorder.stop());
  const server = await startMisbehavingServer((req, self): CannedAnswer => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/token') return { status: req.method === 'POST' ? 307 : 302, headers: { location: `${recorder.url}/token` } };
    return { status: 401, headers: { 'www-authenticate': `Bearer realm="${self}/token",service="s"` } };
  });
  t.after(() => server.stop());
  for (const oauth2 of [true, false]) {
    const client = new RegistryClient({ credentials: async () => ({ ...user }), oauth2 });
    try {
      await assert.rejects(client.repository(server.host, 'leak/tok').resolve('v1'));
    } finally {
      await client.close();
    }
  }
  assert.deepEqual(recorder.requests.map((r) => r.method), ['GET'], 'only the GET flow reached the other origin');
  assert.equal(recorder.requests[0]!.headers.authorization, undefined);
  assert.doesNotMatch(everythingSeen(recorder), /leak-s3cret-pw/);
});

test('an HTTPS registry naming a plain-HTTP token realm gets a clear error, and the realm no password', async (t) => {
  const reg = await startRegistry({ tls: true, auth: 'token', users: [user] });
  t.after(() => reg.stop());
  const { Agent } = await import('undici');
  const { readFile } = await import('node:fs/promises');
  const dispatcher = new Agent({ connect: { ca: await readFile(reg.caFile!) } });
  t.after(() => dispatcher.close());
  const client = new RegistryClient({ credentials: async () => ({ ...user }), dispatcher });
  t.after(() => client.close());
  assert.match(reg.url, /^https:/);
  assert.match(reg.tokenServer!.realm, /^http:/);
  await assert.rejects(client.repository(reg.url, 'leak/tls').resolve('v1'), (e: unknown) => {
    assert.equal((e as { code?: string }).code, 'REGISTRY_ERROR');
    assert.match((e as Error).message, /plain-HTTP token realm .*refusing to send credentials/);
    return true;
  });
  assert.equal(reg.tokenServer!.requests.length, 0);
});
