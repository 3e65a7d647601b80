/**
 * The proxy against real peers: upstream A = distribution with token auth (project token server),
 * upstream B = distribution with htpasswd; clients = our OCI client and skopeo, holding no upstream
 * credentials (the proxy on loopback, no client auth).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { digestOf, readAllBounded } from '../digest/digest.js';
import { MediaType } from '../oci/content/media-types.js';
import type { OciDescriptor } from '../oci/content/types.js';
import { RegistryClient } from '../oci/remote/client.js';
import { startRegistry } from '../testing/registry.js';
import { skopeoAvailable } from '../testing/registry-fixture.js';
import { writeOciLayout } from '../testing/image-fixture.js';
import { sessionWithCredentials, startTestProxy, testConnector, testState } from '../testing/proxy-fixture.js';

const run = promisify(execFile);

function blob(bytes: Buffer, mediaType = 'application/octet-stream'): OciDescriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.length };
}

async function pushImage(client: RegistryClient, host: string, repoName: string, tag = 'v1', bigSize = 3 * 64 * 1024 + 17) {
  const repo = client.repository(host, repoName);
  const small = randomBytes(1000);
  const big = randomBytes(bigSize);
  const config = Buffer.from('{}');
  for (const b of [small, big, config]) await repo.push(blob(b), Readable.from([b]));
  const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: blob(config, MediaType.ociEmpty), layers: [blob(small), blob(big)] }));
  const desc = blob(m, MediaType.ociManifest);
  await repo.push(desc, Readable.from([m]));
  await repo.tag(desc, tag);
  return { repo, small, big, manifest: desc, manifestBytes: m };
}

test('registry proxy: push and pull through connectors to token-auth and htpasswd upstreams', async (t) => {
  const regA = await startRegistry({ auth: 'token' });
  t.after(() => regA.stop());
  const regB = await startRegistry({ auth: 'htpasswd' });
  t.after(() => regB.stop());
  const creds = { username: 'testuser', password: 'testpass' };
  const session = sessionWithCredentials({ [regA.host]: creds, [regB.host]: creds });
  const log: Record<string, unknown>[] = [];
  const state = testState([testConnector('a', regA.url, { listen: '127.0.0.1:0' }), testConnector('b', regB.url)]);
  const proxy = await startTestProxy({ state, session, accessLog: (e) => log.push(e) });
  t.after(() => proxy.close({ graceMs: 0 }));
  // The client talks to the proxy only, anonymously.
  const viaProxy = (o: ConstructorParameters<typeof RegistryClient>[0] = {}) => {
    const c = new RegistryClient({ chunkSize: 64 * 1024, ...o });
    t.after(() => c.close());
    return c;
  };
  const direct = new RegistryClient({ credentials: async () => creds });
  t.after(() => direct.close());

  await t.test('ping answers 200 {} with the distribution header', async () => {
    const r = await fetch(`${proxy.url}/v2/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
    assert.deepEqual(await r.json(), {});
    assert.equal(await (await fetch(`${proxy.url}/healthz`)).text(), 'ok\n');
  });

  for (const [name, opts] of [
    ['streamed upload (one PATCH)', {}],
    ['chunked upload (PATCH with Content-Range)', { chunkedUpload: true }],
  ] as const) {
    await t.test(`our OCI client: ${name} + monolithic small blobs, then pull, on both upstreams`, async () => {
      for (const [conn, reg] of [['a', regA], ['b', regB]] as const) {
        const slug = name.split(' ')[0]!;
        const pushed = await pushImage(viaProxy(opts), proxy.address, `${conn}/acme/${slug}`);
        // The upstream has it under the upstream-relative name.
        const upRepo = direct.repository(reg.host, `acme/${slug}`);
        assert.equal((await upRepo.resolve('v1')).digest, pushed.manifest.digest);
        const pulled = viaProxy().repository(proxy.address, `${conn}/acme/${slug}`);
        assert.equal((await pulled.resolve('v1')).digest, pushed.manifest.digest);
        assert.deepEqual(await readAllBounded(await pulled.fetch(blob(pushed.big)), 1 << 20), pushed.big);
      }
    });
  }

  const img = await pushImage(viaProxy(), proxy.address, 'a/acme/app');

  await t.test('upload Location is a proxy path and its _state round-trips unchanged (monolithic PUT)', async () => {
    const start = await fetch(`${proxy.url}/v2/a/acme/raw/blobs/uploads/`, { method: 'POST' });
    assert.equal(start.status, 202);
    const loc = start.headers.get('location')!;
    assert.match(loc, /^\/v2\/a\/acme\/raw\/blobs\/uploads\/[^/?]+\?_state=/);
    assert.ok(start.headers.get('docker-upload-uuid'));
    const body = randomBytes(5000);
    const put = await fetch(`${proxy.url}${loc}&digest=${digestOf(body)}`, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('location'), `/v2/a/acme/raw/blobs/${digestOf(body)}`);
    assert.equal(put.headers.get('docker-content-digest'), digestOf(body));
  });

  await t.test('cross-repository mount within a connector; a source in another connector becomes a plain upload', async () => {
    const d = digestOf(img.big);
    const ok = await fetch(`${proxy.url}/v2/a/acme/mounted/blobs/uploads/?mount=${d}&from=a/acme/app`, { method: 'POST' });
    assert.equal(ok.status, 201);
    assert.equal(ok.headers.get('location'), `/v2/a/acme/mounted/blobs/${d}`);
    assert.equal(await direct.repository(regA.host, 'acme/mounted').exists(blob(img.big)), true);
    const other = await fetch(`${proxy.url}/v2/a/acme/mounted2/blobs/uploads/?mount=${d}&from=b/acme/streamed`, { method: 'POST' });
    assert.equal(other.status, 202);
    assert.match(other.headers.get('location')!, /^\/v2\/a\/acme\/mounted2\/blobs\/uploads\//);
  });

  await t.test('Range GET answers 206 with Content-Range', async () => {
    const r = await fetch(`${proxy.url}/v2/a/acme/app/blobs/${digestOf(img.big)}`, { headers: { range: 'bytes=0-9' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-range'), `bytes 0-9/${img.big.length}`);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), img.big.subarray(0, 10));
  });

  await t.test('tags list through the proxy (distribution 2.8 ignores n=; pagination is proven in server-faults.test.ts)', async () => {
    for (const tag of ['t1', 't2', 't3']) await img.repo.tag(img.manifest, tag);
    const r = await fetch(`${proxy.url}/v2/a/acme/app/tags/list`);
    assert.equal(r.status, 200);
    assert.deepEqual(((await r.json()) as { name: string; tags: string[] }).tags.sort(), ['t1', 't2', 't3', 'v1']);
    assert.deepEqual((await viaProxy().repository(proxy.address, 'a/acme/app').listTags()).sort(), ['t1', 't2', 't3', 'v1']);
  });

  await t.test('referrers: distribution 2.8 has no referrers API, its 404 passes through', async () => {
    const r = await fetch(`${proxy.url}/v2/a/acme/app/referrers/${img.manifest.digest}`);
    assert.equal(r.status, 404);
  });

  await t.test('dedicated listener (root namespace) and ?ns= select the connector', async () => {
    const dedicated = proxy.connectorAddresses.get('a')!;
    const r = await fetch(`http://${dedicated}/v2/acme/app/manifests/v1`, { method: 'HEAD', headers: { accept: MediaType.ociManifest } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('docker-content-digest'), img.manifest.digest);
    assert.equal((await viaProxy().repository(dedicated, 'acme/app').resolve('v1')).digest, img.manifest.digest);
    const up = await fetch(`http://${dedicated}/v2/acme/dedicated/blobs/uploads/`, { method: 'POST' });
    assert.match(up.headers.get('location')!, /^\/v2\/acme\/dedicated\/blobs\/uploads\//);
    const ns = await fetch(`${proxy.url}/v2/acme/app/manifests/v1?ns=${regA.host}`, { headers: { accept: MediaType.ociManifest } });
    assert.equal(ns.status, 200);
    assert.equal(ns.headers.get('oci-namespace'), regA.host);
    assert.deepEqual(Buffer.from(await ns.arrayBuffer()), img.manifestBytes);
    const unknown = await fetch(`${proxy.url}/v2/acme/app/manifests/v1?ns=127.0.0.1:1`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { errors: { code: string }[] }).errors[0]!.code, 'NAME_UNKNOWN');
  });

  await t.test('DELETE of a manifest by digest passes the upstream answer (202)', async () => {
    const pushed = await pushImage(viaProxy(), proxy.address, 'a/acme/deleteme');
    const r = await fetch(`${proxy.url}/v2/a/acme/deleteme/manifests/${pushed.manifest.digest}`, { method: 'DELETE' });
    assert.equal(r.status, 202);
    await assert.rejects(direct.repository(regA.host, 'acme/deleteme').resolve(pushed.manifest.digest), /not found/);
  });

  await t.test('skopeo copies an image through the proxy to the token-auth upstream and back, with no credentials', { skip: !skopeoAvailable() && 'skopeo missing' }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ocm-proxy-skopeo-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const layout = await writeOciLayout(join(dir, 'src'), { tag: '1.0', platforms: ['amd64', 'arm64'] });
    const auth = join(dir, 'auth.json');
    await writeFile(auth, '{"auths":{}}');
    const env = { ...process.env, REGISTRY_AUTH_FILE: auth, HOME: dir };
    const dest = `docker://${proxy.address}/a/images/app:1.0`;
    await run('skopeo', ['copy', '-q', '--all', '--preserve-digests', '--dest-tls-verify=false', '--dest-no-creds', `oci:${layout.dir}:1.0`, dest], { env });
    assert.equal((await direct.repository(regA.host, 'images/app').resolve('1.0')).digest, layout.root.digest);
    await run('skopeo', ['copy', '-q', '--all', '--src-tls-verify=false', '--src-no-creds', dest, `oci:${join(dir, 'back')}:1.0`], { env });
    const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--no-creds', dest], { env });
    assert.equal(digestOf(Buffer.from(stdout)), layout.root.digest);
  });

  await t.test('metrics and access log: requests, bytes, upstream latency, token requests; no secrets, no query values', async () => {
    const text = await (await fetch(`${proxy.url}/metrics`)).text();
    assert.match(text, /ocm_proxy_requests_total\{connector="a",method="GET",status="200"\} \d+/);
    assert.match(text, /ocm_proxy_bytes_total\{connector="a",direction="out"\} \d+/);
    assert.match(text, /ocm_proxy_bytes_total\{connector="b",direction="in"\} \d+/);
    assert.match(text, /ocm_proxy_upstream_seconds_bucket\{connector="a",le="\+Inf"\} \d+/);
    assert.match(text, /ocm_proxy_token_cache_misses_total\{connector="a"\} [1-9]/);
    assert.match(text, /ocm_proxy_token_cache_hits_total\{connector="a"\} [1-9]/);
    const all = JSON.stringify(log);
    assert.ok(log.some((e) => e.connector === 'a' && e.method === 'PATCH' && (e.bytesIn as number) > 0));
    assert.doesNotMatch(all, /testpass|_state=[^…]/);
  });
});
