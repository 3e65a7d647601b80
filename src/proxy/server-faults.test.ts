/**
 * The proxy's failure paths and client access control, against real registries where they can show
 * it, and test servers only for what a real registry cannot do (tag pagination with `Link`, a
 * blob redirect to another origin, recording what reaches the upstream).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import { get as httpsGet } from 'node:https';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { digestOf } from '../digest/digest.js';
import { isOcmError } from '../runtime/errors.js';
import { RegistryClient } from '../oci/remote/client.js';
import { startRegistry } from '../testing/registry.js';
import { startFaultProxy } from '../testing/fault-proxy.js';
import { everythingSeen, startRecordingServer } from '../testing/recording-server.js';
import { startMisbehavingServer } from '../testing/misbehaving-server.js';
import { listenOnLoopback } from '../testing/loopback.js';
import { sessionFrom, sessionWithCredentials, startTestProxy, testAccess, testConnector, testState } from '../testing/proxy-fixture.js';
import { startProxy } from './server.js';

const run = promisify(execFile);
const creds = { username: 'testuser', password: 'testpass' };
const errorCode = async (r: Response) => ((await r.json()) as { errors: { code: string; message: string }[] }).errors[0]!;

async function pushBlob(host: string, repo: string, bytes: Buffer, credentials?: typeof creds) {
  const c = new RegistryClient({ credentials: async () => credentials });
  try {
    await c.repository(host, repo).push({ mediaType: 'application/octet-stream', digest: digestOf(bytes), size: bytes.length }, Readable.from([bytes]));
  } finally {
    await c.close();
  }
  return digestOf(bytes);
}

test('tags list pagination: an absolute upstream Link is rewritten to the proxy path; a Link elsewhere is dropped', async (t) => {
  const up = await startMisbehavingServer((req, self) => {
    if (req.url === '/v2/') return { status: 200, body: '{}' };
    if (req.url?.includes('last=t2')) return { status: 200, headers: { link: '<https://elsewhere.example/v2/x/tags/list?last=t4>; rel="next"' }, body: '{"name":"app","tags":["t3","t4"]}' };
    return { status: 200, headers: { link: `<${self}/v2/app/tags/list?n=2&last=t2>; rel="next"` }, body: '{"name":"app","tags":["t1","t2"]}' };
  });
  t.after(() => up.stop());
  const proxy = await startTestProxy({ state: testState([testConnector('m', up.url, { upstreamIdentity: null })]), session: sessionFrom(() => undefined) });
  t.after(() => proxy.close({ graceMs: 0 }));
  const r = await fetch(`${proxy.url}/v2/m/app/tags/list?n=2`);
  assert.equal(r.headers.get('link'), '</v2/m/app/tags/list?n=2&last=t2>; rel="next"');
  const next = await fetch(`${proxy.url}/v2/m/app/tags/list?n=2&last=t2`);
  assert.equal(next.headers.get('link'), null);
  assert.deepEqual(up.requests.map((q) => q.url), ['/v2/app/tags/list?n=2', '/v2/app/tags/list?n=2&last=t2']);
});

test('an upstream blob redirect to another origin is followed by the proxy without the upstream token', async (t) => {
  const reg = await startRegistry({ auth: 'token' });
  t.after(() => reg.stop());
  const store = await startRecordingServer({ status: 404 });
  t.after(() => store.stop());
  const front = await startFaultProxy({ target: reg.url, rules: [{ method: 'GET', path: /\/blobs\/sha256:/, times: Infinity, skip: 1, fault: { kind: 'redirect', to: store.url } }] });
  t.after(() => front.stop());
  const digest = await pushBlob(reg.host, 'acme/app', randomBytes(2048), creds);
  const proxy = await startTestProxy({ state: testState([testConnector('r', front.url)]), session: sessionWithCredentials({ [front.host]: creds }) });
  t.after(() => proxy.close({ graceMs: 0 }));
  const r = await fetch(`${proxy.url}/v2/r/acme/app/blobs/${digest}`);
  assert.equal(r.status, 404); // the object store's answer, relayed: the client never sees its URL
  assert.equal(r.headers.get('location'), null);
  assert.ok(front.requests.some((q) => q.method === 'GET' && q.path.includes(digest) && q.hadAuthorization), 'the upstream got the token');
  assert.equal(store.requests.length, 1);
  assert.equal(store.requests[0]!.headers.authorization, undefined);
  assert.doesNotMatch(everythingSeen(store), /Bearer|Basic|testpass/);
});

test('upstream down: 502 with a distribution error body, the other connector keeps serving', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const gone = await startMisbehavingServer(() => ({ status: 200 }));
  await gone.stop(); // a port nobody listens on any more
  const state = testState([testConnector('up', reg.url), testConnector('down', gone.url)]);
  const proxy = await startTestProxy({ state, session: sessionFrom(() => undefined) });
  t.after(() => proxy.close({ graceMs: 0 }));
  const r = await fetch(`${proxy.url}/v2/down/acme/app/manifests/v1`);
  assert.equal(r.status, 502);
  const e = await errorCode(r);
  assert.equal(e.code, 'UNAVAILABLE');
  assert.match(e.message, /unreachable/);
  assert.equal((await fetch(`${proxy.url}/v2/up/acme/app/manifests/v1`)).status, 404); // reached the live upstream
});

test('a client disconnecting mid-blob aborts the upstream transfer and frees the request', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const size = 16 * 1024 * 1024;
  const digest = await pushBlob(reg.host, 'acme/big', randomBytes(size));
  const log: Record<string, unknown>[] = [];
  const proxy = await startTestProxy({ state: testState([testConnector('a', reg.url)]), session: sessionFrom(() => undefined), accessLog: (e) => log.push(e) });
  t.after(() => proxy.close({ graceMs: 0 }));
  await new Promise<void>((resolve, reject) => {
    const req = request(`${proxy.url}/v2/a/acme/big/blobs/${digest}`, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => undefined);
    req.on('close', resolve);
    req.end();
    setTimeout(() => reject(new Error('no data')), 10_000).unref();
  });
  for (let i = 0; i < 100 && log.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(log.length, 1);
  assert.equal(log[0]!.aborted, true);
  assert.ok((log[0]!.bytesOut as number) < size);
  const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
  assert.match(metrics, /ocm_proxy_requests_in_flight 1\n/); // the /metrics request itself
});

test('the upstream request ends as soon as the client goes away (checked at the upstream)', async (t) => {
  // A test upstream that streams a 256 MiB blob slowly and records whether its response was cut short.
  let cut: () => void = () => undefined;
  const cutShort = new Promise<void>((r) => (cut = r));
  const server = createServer((req, res) => {
    if (!req.url?.includes('/blobs/')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(256 * 1024 * 1024) });
    const chunk = Buffer.alloc(64 * 1024);
    const timer = setInterval(() => res.write(chunk), 5);
    res.on('close', () => {
      clearInterval(timer);
      if (!res.writableFinished) cut();
    });
  });
  const port = await listenOnLoopback(server);
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const proxy = await startTestProxy({ state: testState([testConnector('s', `http://127.0.0.1:${port}`, { upstreamIdentity: null })]), session: sessionFrom(() => undefined) });
  t.after(() => proxy.close({ graceMs: 0 }));
  const req = request(`${proxy.url}/v2/s/acme/app/blobs/sha256:${'0'.repeat(64)}`, (res) => res.once('data', () => req.destroy()));
  req.on('error', () => undefined);
  req.end();
  await Promise.race([cutShort, new Promise((_, reject) => setTimeout(() => reject(new Error('upstream still sending after the client left')), 5_000).unref())]);
});

test('stalled slow clients do not block others: 24 paused blob downloads, a 25th request still completes', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const digest = await pushBlob(reg.host, 'acme/big', randomBytes(8 * 1024 * 1024));
  const proxy = await startTestProxy({ state: testState([testConnector('a', reg.url)]), session: sessionFrom(() => undefined) });
  t.after(() => proxy.close({ graceMs: 0 }));
  const stalled: ReturnType<typeof request>[] = [];
  t.after(() => stalled.forEach((r) => r.destroy()));
  const started = Promise.all(
    Array.from({ length: 24 }, () =>
      new Promise<void>((resolve, reject) => {
        const req = request(`${proxy.url}/v2/a/acme/big/blobs/${digest}`, (res) => res.once('data', () => (res.pause(), resolve())));
        stalled.push(req);
        req.on('error', reject);
        req.end();
      }),
    ),
  );
  await Promise.race([started, new Promise((_, reject) => setTimeout(() => reject(new Error('downloads queued behind stalled ones')), 10_000).unref())]);
  const r = await fetch(`${proxy.url}/v2/a/acme/big/blobs/${digest}`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(Buffer.from(await r.arrayBuffer()).length, 8 * 1024 * 1024);
});

test('rotated upstream credentials take effect on the next request; a rejected secret is a 502 naming the connector, never the secret', async (t) => {
  const reg = await startRegistry({ auth: 'htpasswd' });
  t.after(() => reg.stop());
  let password = 'wrong-canary-secret';
  const proxy = await startTestProxy({ state: testState([testConnector('b', reg.url)]), session: sessionFrom(() => ({ username: 'testuser', password })) });
  t.after(() => proxy.close({ graceMs: 0 }));
  const bad = await fetch(`${proxy.url}/v2/b/acme/app/tags/list`);
  assert.equal(bad.status, 502);
  const text = await bad.text();
  assert.match(text, /connector \\"b\\"/);
  assert.doesNotMatch(text, /canary|testuser/);
  password = 'testpass';
  const good = await fetch(`${proxy.url}/v2/b/acme/app/tags/list`);
  assert.equal(good.status, 404); // authenticated upstream: the repository just does not exist
  assert.equal((await errorCode(good)).code, 'NAME_UNKNOWN');
});

test('client access control: 401 with a challenge, 403 per action and per connector, client Authorization never upstream', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const seen = await startRecordingServer({ target: reg.url });
  t.after(() => seen.stop());
  const tokens = { ci: 'tok-ci-canary', reader: 'tok-reader-canary', other: 'tok-other-canary' };
  const a = testConnector('a', seen.url, {
    upstreamIdentity: null,
    access: [
      { clients: ['ci'], repositories: ['acme/**'], actions: ['pull', 'push'] },
      { clients: ['reader'], repositories: ['acme/*'], actions: ['pull'] },
    ],
  });
  const b = testConnector('b', reg.url, { upstreamIdentity: null, access: [{ clients: ['other'], repositories: ['**'], actions: ['pull'] }] });
  const proxy = await startTestProxy({ state: testState([a, b], testAccess(tokens)), session: sessionFrom(() => undefined) });
  t.after(() => proxy.close({ graceMs: 0 }));
  const as = (who: keyof typeof tokens) => ({ authorization: `Basic ${Buffer.from(`${who}:${tokens[who]}`).toString('base64')}` });

  for (const headers of [{}, { authorization: 'Basic d3Jvbmc6d3Jvbmc=' }, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
    for (const path of ['/v2/', '/v2/a/acme/app/tags/list', '/metrics']) {
      const r = await fetch(`${proxy.url}${path}`, { headers });
      assert.equal(r.status, 401, `${path} ${JSON.stringify(headers)}`);
      assert.equal(r.headers.get('www-authenticate'), 'Basic realm="ocm-proxy"');
    }
  }
  assert.equal((await fetch(`${proxy.url}/healthz`)).status, 200);
  assert.equal((await fetch(`${proxy.url}/v2/`, { headers: as('reader') })).status, 200);
  assert.equal((await fetch(`${proxy.url}/v2/a/acme/app/tags/list`, { headers: as('reader') })).status, 404); // allowed, upstream reached
  const denied = await fetch(`${proxy.url}/v2/a/acme/app/blobs/uploads/`, { method: 'POST', headers: as('reader') });
  assert.equal(denied.status, 403);
  assert.equal((await errorCode(denied)).code, 'DENIED');
  assert.equal((await fetch(`${proxy.url}/v2/a/acme/team/app/tags/list`, { headers: as('reader') })).status, 403); // `*` is one segment
  assert.equal((await fetch(`${proxy.url}/v2/b/acme/app/tags/list`, { headers: as('ci') })).status, 403); // connector A's client on B
  assert.equal((await fetch(`${proxy.url}/v2/b/acme/app/tags/list`, { headers: as('other') })).status, 404);
  assert.equal((await fetch(`${proxy.url}/v2/a/acme/team/app/tags/list`, { headers: { ...as('ci'), cookie: 'session=tok-cookie-canary', 'proxy-authorization': 'Basic Y2FuYXJ5' } })).status, 404);
  assert.equal(seen.requests.length, 2);
  const upstreamSaw = everythingSeen(seen);
  assert.doesNotMatch(upstreamSaw, /canary|authorization|cookie/i);
  for (const tok of Object.values(tokens)) assert.ok(!upstreamSaw.includes(Buffer.from(tok).toString('base64').slice(0, 12)));
  assert.match(upstreamSaw, /user-agent: .*ocm-proxy/);
});

test('refuses to listen beyond loopback without client authentication', async () => {
  await assert.rejects(
    startProxy({ state: testState([]), session: sessionFrom(() => undefined), listen: '0.0.0.0:0' }),
    (e: unknown) => isOcmError(e) && e.code === 'CONFIG_ERROR' && /without client authentication/.test(e.message),
  );
  await assert.rejects(
    startProxy({ state: testState([testConnector('a', 'http://127.0.0.1:1', { listen: '10.0.0.1:5000' })]), session: sessionFrom(() => undefined), listen: '127.0.0.1:0' }),
    (e: unknown) => isOcmError(e) && e.code === 'CONFIG_ERROR' && /connector "a"/.test(e.message),
  );
});

test('graceful close: stops accepting, lets a transfer in flight finish', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const size = 4 * 1024 * 1024;
  const digest = await pushBlob(reg.host, 'acme/big', randomBytes(size));
  const proxy = await startTestProxy({ state: testState([testConnector('a', reg.url)]), session: sessionFrom(() => undefined) });
  let closed: Promise<void> | undefined;
  const received = await new Promise<number>((resolve, reject) => {
    const req = request(`${proxy.url}/v2/a/acme/big/blobs/${digest}`, (res) => {
      let n = 0;
      res.once('data', (c: Buffer) => {
        n += c.length;
        res.pause();
        closed = proxy.close({ graceMs: 10_000 });
        setTimeout(() => {
          res.on('data', (d: Buffer) => (n += d.length));
          res.on('end', () => resolve(n));
          res.resume();
        }, 200);
      });
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(received, size);
  await closed;
  await assert.rejects(fetch(`${proxy.url}/healthz`));
});

test('serves HTTPS with the given certificate', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ocm-proxy-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const [certFile, keyFile] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile]);
  const cert = await readFile(certFile);
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const proxy = await startTestProxy({ state: testState([testConnector('a', reg.url)]), session: sessionFrom(() => undefined), tls: { cert, key: await readFile(keyFile) } });
  t.after(() => proxy.close({ graceMs: 0 }));
  const get = (path: string) =>
    new Promise<{ status: number; api: unknown }>((resolve, reject) => {
      httpsGet(`https://${proxy.address}${path}`, { ca: cert }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, api: res.headers['docker-distribution-api-version'] });
      }).on('error', reject);
    });
  assert.deepEqual(await get('/v2/'), { status: 200, api: 'registry/2.0' });
  assert.equal((await get('/v2/a/acme/app/tags/list')).status, 404);
});
