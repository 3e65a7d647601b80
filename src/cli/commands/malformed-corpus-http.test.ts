/**
 * The malformed-input corpus, remote answers: a misbehaving registry (src/testing/misbehaving-registry.ts)
 * serves the Go CTF's component version and breaks one thing per scenario — manifests, blobs, token
 * endpoints, pagination, uploads. One server for all cases; the scenario is the first segment of
 * the repository path. Same contract as malformed-corpus.test.ts (one line, documented exit code,
 * nothing left behind); upload cases also check that credentials never reach another origin.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before } from 'node:test';
import { conformance } from '../../testing/fixtures.js';
import { corpus, type CorpusCase, type Sandbox } from '../../testing/malformed-corpus.js';
import { sendJson, startMisbehavingRegistry, type MisbehavingRegistry, type Route, type ScenarioHandler } from '../../testing/misbehaving-registry.js';

const COMPONENT = 'github.com/acme.org/helloworld';
const SEEDED = `component-descriptors/${COMPONENT}`;
const BLOB = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const SECRET = 'corpus-http-canary-41d2';
const MIB = 1024 * 1024;

let reg: MisbehavingRegistry;
let foreign: MisbehavingRegistry;

before(async () => {
  reg = await startMisbehavingRegistry();
  foreign = await startMisbehavingRegistry();
  await reg.seed(conformance('ocm/ctf/v1-0.20.0-localblob/transport-archive'));
  for (const [name, handler] of scenarios) reg.on(name, handler);
  // The other origin refuses everything it gets (and records who sent what).
  foreign.on(postForeign, (req, res) => {
    req.resume();
    sendJson(res, 400, { errors: [{ code: 'DENIED', message: 'other origin' }] });
  });
});
after(async () => {
  await reg?.stop();
  await foreign?.stop();
});

const scenarios = new Map<string, ScenarioHandler>();
/** Registers a scenario that handles requests of `kind` with `fn` (everything else: default). */
function scenario(name: string, kind: Route['kind'] | '*', fn: (req: IncomingMessage, res: ServerResponse, r: Route) => void | Promise<void>): string {
  assert.ok(!scenarios.has(name), name);
  scenarios.set(name, async (req, res, r) => {
    if (kind !== '*' && r.kind !== kind) return false;
    await fn(req, res, r);
    return true;
  });
  return name;
}

const manifestBytes = () => reg.content(reg.manifestDigest(SEEDED, '1.0.0')!)!.data;
const drain = async (req: IncomingMessage) => {
  for await (const _ of req) void _;
};

const getCv = (scn: string) => ['get', 'cv', `${reg.url}/${scn}//${COMPONENT}:1.0.0`];
const listVersions = (scn: string) => ['get', 'cv', `${reg.url}/${scn}//${COMPONENT}`];
const download = (scn: string) => ['download', 'resource', `${reg.url}/${scn}//${COMPONENT}:1.0.0`, '--identity', 'name=resource', '-O', 'target-file'];

const http = (name: string, args: () => string[], code: CorpusCase['code'], extra: Partial<CorpusCase> = {}): CorpusCase => ({
  name: `registry: ${name}`,
  setup: async () => args(),
  code,
  timeoutMs: 20_000,
  ...extra,
});

// ---------------------------------------------------------------- manifests

const htmlManifest = scenario('html-manifest', 'manifest', (_q, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><html><body>Welcome to nginx!</body></html>');
});
const textManifest = scenario('text-plain-manifest', 'manifest', (_q, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('hello');
});
const truncatedManifest = scenario('truncated-manifest', 'manifest', (_q, res) => {
  const m = manifestBytes();
  res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
  res.end(m.subarray(0, m.length >> 1));
});
const hugeManifest = scenario('huge-manifest', 'manifest', (req, res) => {
  res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(5 * MIB) });
  if (req.method === 'HEAD') return void res.end();
  res.end(Buffer.alloc(5 * MIB, 0x20));
});
const hugeChunkedManifest = scenario('huge-chunked-manifest', 'manifest', (req, res) => {
  res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
  if (req.method === 'HEAD') return void res.end();
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  const more = () => {
    while (sent < 8 * MIB) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    res.end();
  };
  res.on('error', () => undefined);
  more();
});
const wrongDigestHeader = scenario('wrong-digest-header', 'manifest', (req, res) => {
  const m = manifestBytes();
  res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(m.length), 'docker-content-digest': `sha256:${'0'.repeat(64)}` });
  res.end(req.method === 'HEAD' ? undefined : m);
});
const errorsOn200 = scenario('errors-on-200', 'manifest', (_q, res) => sendJson(res, 200, { errors: [{ code: 'UNKNOWN', message: 'proxy says no' }] }));
const manifest401 = scenario('manifest-401-no-challenge', 'manifest', (_q, res) => sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'no' }] }));
const manifest403 = scenario('manifest-403', 'manifest', (_q, res) => sendJson(res, 403, { errors: [{ code: 'DENIED', message: 'no' }] }));
const redirectLoop = scenario('redirect-loop', 'manifest', (req, res) => {
  res.writeHead(307, { location: req.url ?? '/' });
  res.end();
});
const configWrongBytes = scenario('config-wrong-bytes', 'blob', (req, res, r) => {
  const data = reg.content(r.ref!)?.data;
  if (!data || r.ref === BLOB) return void sendJson(res, 404, {});
  res.writeHead(200, { 'content-length': String(data.length) });
  res.end(req.method === 'HEAD' ? undefined : Buffer.alloc(data.length, 0x7b));
});

// ---------------------------------------------------------------- blobs

const blobOnly = (name: string, fn: (req: IncomingMessage, res: ServerResponse) => void) =>
  scenario(name, 'blob', (req, res, r) => {
    if (r.ref !== BLOB) {
      const data = reg.content(r.ref!)!.data;
      res.writeHead(200, { 'content-length': String(data.length) });
      return void res.end(req.method === 'HEAD' ? undefined : data);
    }
    fn(req, res);
  });
const shortBlob = blobOnly('short-blob', (_q, res) => {
  res.writeHead(200, { 'transfer-encoding': 'chunked' });
  res.end('te');
});
const longBlob = blobOnly('long-blob-no-length', (_q, res) => {
  res.writeHead(200, { 'transfer-encoding': 'chunked' });
  res.on('error', () => undefined);
  res.end(Buffer.alloc(MIB, 0x41));
});
const wrongBlob = blobOnly('wrong-blob-bytes', (_q, res) => {
  res.writeHead(200, { 'content-length': '4' });
  res.end('TEST');
});
const declaredTooLong = blobOnly('blob-length-too-large', (_q, res) => {
  res.writeHead(200, { 'content-length': '1000' });
  res.end(Buffer.alloc(1000, 0x41));
});
const missingBlob = blobOnly('missing-blob', (_q, res) => sendJson(res, 404, { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] }));

// ---------------------------------------------------------------- tokens

/** Every registry request gets a Bearer challenge; the token endpoint answers with `token`. */
const bearer = (name: string, realm: (r: Route) => string, token: (req: IncomingMessage, res: ServerResponse) => void) =>
  scenario(name, '*', (req, res, r) => {
    if (r.kind === 'token') return token(req, res);
    res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm(r)}",service="corpus",scope="repository:${name}/x:pull"`, 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"UNAUTHORIZED","message":"token required"}]}');
  });
const ownRealm = (name: string) => () => `${reg.url}/token/${name}`;
const tokenHtml = bearer('token-html', ownRealm('token-html'), (_q, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<html>login</html>');
});
const token500 = bearer('token-500', ownRealm('token-500'), (_q, res) => sendJson(res, 500, { error: 'boom' }));
const tokenMissing = bearer('token-missing', ownRealm('token-missing'), (_q, res) => sendJson(res, 200, { expires_in: 300 }));
const tokenHuge = bearer('token-huge', ownRealm('token-huge'), (_q, res) => sendJson(res, 200, { token: 'x'.repeat(5 * MIB) }));
const tokenRefused = bearer('token-still-401', ownRealm('token-still-401'), (_q, res) => sendJson(res, 200, { token: 'not-accepted' }));
const realmClosed = bearer('realm-closed-port', () => 'http://127.0.0.1:1/token', () => undefined);
const realmMalformed = bearer('realm-malformed', () => 'http://[::1/token', () => undefined);
const realmFtp = bearer('realm-ftp', () => 'ftp://127.0.0.1/token', () => undefined);

// ---------------------------------------------------------------- pagination

const page = (res: ServerResponse, tags: string[], next?: string) =>
  sendJson(res, 200, { name: 'x', tags }, next ? { link: `<${next}>; rel="next"` } : {});
const selfLink = scenario('link-self', 'tags', (req, res) => page(res, ['1.0.0'], req.url));
const linkLoop = scenario('link-loop', 'tags', (req, res, r) => {
  const at = r.url.searchParams.get('last');
  const base = r.url.pathname;
  page(res, [at === 'a' ? '1.0.1' : at === 'b' ? '1.0.2' : '1.0.0'], `${base}?last=${at === 'a' ? 'b' : 'a'}`);
});
const endless = scenario('link-endless', 'tags', (_q, res, r) => {
  const n = Number(r.url.searchParams.get('n') ?? '0');
  page(res, [`1.0.${n}`], `${r.url.pathname}?n=${n + 1}`);
});
const tagsNotJson = scenario('tags-not-json', 'tags', (_q, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"name": "x", "tags": [');
});
const tagsHuge = scenario('tags-huge', 'tags', (_q, res) => page(res, Array.from({ length: 400_000 }, (_, i) => `1.0.${i}`)));

// ---------------------------------------------------------------- uploads

const upload = (name: string, fn: (req: IncomingMessage, res: ServerResponse, r: Route) => void | Promise<void>) =>
  scenario(name, '*', async (req, res, r) => {
    // Basic auth required for everything, so credentials are in play and a leak would show.
    if (!req.headers.authorization) {
      await drain(req);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="corpus"', 'content-length': '0' });
      return void res.end();
    }
    if (r.kind === 'upload') return fn(req, res, r);
    // Everything else as an empty registry would answer.
    await drain(req);
    if (r.kind === 'manifest' && req.method === 'PUT') return void res.writeHead(201).end();
    if (r.kind === 'ping') return sendJson(res, 200, {});
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(req.method === 'HEAD' ? undefined : '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}');
  });
const postNoLocation = upload('post-no-location', async (req, res) => {
  await drain(req);
  res.writeHead(202, { 'content-length': '0' });
  res.end();
});
const postForeign = upload('post-foreign-location', async (req, res, r) => {
  await drain(req);
  if (req.method === 'POST') {
    res.writeHead(202, { location: `${foreign.url}/v2/${r.scenario}/${r.name}/blobs/uploads/elsewhere`, 'content-length': '0' });
    return void res.end();
  }
  sendJson(res, 400, {});
});
const postBadLocation = upload('post-bad-location', async (req, res) => {
  await drain(req);
  res.writeHead(202, { location: 'http://[::1/upload', 'content-length': '0' });
  res.end();
});
const post403 = upload('post-403', async (req, res) => {
  await drain(req);
  sendJson(res, 403, { errors: [{ code: 'DENIED', message: 'read only' }] });
});
const sessionThen = (name: string, method: string, status: number, code: string) =>
  upload(name, async (req, res, r) => {
    await drain(req);
    if (req.method === 'POST') {
      res.writeHead(202, { location: `/v2/${r.scenario}/${r.name}/blobs/uploads/s1`, range: '0-0', 'content-length': '0' });
      return void res.end();
    }
    if (req.method === method) return sendJson(res, status, { errors: [{ code, message: 'injected' }] });
    if (req.method === 'PATCH') {
      res.writeHead(202, { location: `/v2/${r.scenario}/${r.name}/blobs/uploads/s1`, 'content-length': '0' });
      return void res.end();
    }
    res.writeHead(204).end();
  });
const put400 = sessionThen('put-400', 'PUT', 400, 'BLOB_UPLOAD_INVALID');
const patch500 = sessionThen('patch-500', 'PATCH', 500, 'UNKNOWN');
const patch404 = sessionThen('patch-404', 'PATCH', 404, 'BLOB_UPLOAD_UNKNOWN');

/** `add cv` of a small (or, with `big`, a 17 MiB: one streamed PATCH) resource into scenario `scn`, with Basic credentials. */
const addInto = (scn: string, big = false) => async (s: Sandbox) => {
  const resource = big ? '{name: data, type: blob, input: {type: file, path: big.bin}}' : '{name: data, type: blob, input: {type: utf8, text: hello}}';
  await s.file('c.yaml', `components:\n  - name: acme.org/upload\n    version: 1.0.0\n    provider: {name: acme.org}\n    resources:\n      - ${resource}\n`);
  if (big) await s.file('big.bin', Buffer.alloc(17 * MIB, 0x61));
  await s.file(
    'cfg.yaml',
    `type: generic.config.ocm.software/v1\nconfigurations:\n- type: credentials.config.ocm.software\n  consumers:\n  - identity: {type: OCIRegistry, hostname: 127.0.0.1, port: "${reg.port}"}\n    credentials: [{type: Credentials/v1, properties: {username: corpus, password: ${SECRET}}}]\n`,
    0o600,
  );
  return ['--config', 'cfg.yaml', 'add', 'cv', '-c', 'c.yaml', '-r', `${reg.url}/${scn}`];
};
const noCredentialsElsewhere = () => {
  const leaked = foreign.requests.filter((q) => q.authorization !== undefined || q.path.includes(SECRET));
  assert.deepEqual(leaked, [], 'no credentials sent to another origin');
};
const uploadCase = (name: string, scn: string, code: CorpusCase['code'], extra: Partial<CorpusCase> & { big?: boolean } = {}): CorpusCase => ({
  name: `registry upload: ${name}`,
  setup: addInto(scn, extra.big),
  code,
  secret: SECRET,
  timeoutMs: 30_000,
  ...extra,
});


const httpCases: CorpusCase[] = [
  http('a 200 text/html answer for a manifest', () => getCv(htmlManifest), 'REGISTRY_ERROR', { message: /html/i }),
  http('a 200 text/plain answer for a manifest', () => getCv(textManifest), ['REGISTRY_ERROR', 'UNSUPPORTED', 'PARSE_ERROR']),
  http('a manifest cut in half', () => getCv(truncatedManifest), ['PARSE_ERROR', 'REGISTRY_ERROR']),
  http('a 5 MiB manifest with Content-Length', () => getCv(hugeManifest), 'LIMIT_EXCEEDED'),
  http('an 8 MiB chunked manifest', () => getCv(hugeChunkedManifest), 'LIMIT_EXCEEDED'),
  http('a Docker-Content-Digest that does not match the manifest', () => getCv(wrongDigestHeader), 'DIGEST_MISMATCH'),
  http('a JSON error body with status 200', () => getCv(errorsOn200), ['REGISTRY_ERROR', 'VALIDATION_FAILED', 'PARSE_ERROR']),
  http('401 without a challenge', () => getCv(manifest401), 'UNAUTHORIZED'),
  http('403 for a manifest', () => getCv(manifest403), 'FORBIDDEN'),
  http('a redirect to itself', () => getCv(redirectLoop), 'LIMIT_EXCEEDED', { message: /redirect/ }),
  http('a config blob whose bytes do not match its digest', () => getCv(configWrongBytes), 'DIGEST_MISMATCH'),
  http('a blob body shorter than its size (a resume is tried; this server has no Range)', () => download(shortBlob), ['DIGEST_MISMATCH', 'NETWORK_ERROR', 'REGISTRY_ERROR']),
  http('a blob body running past its size without Content-Length', () => download(longBlob), ['DIGEST_MISMATCH', 'LIMIT_EXCEEDED']),
  http('a blob body running past its size, transferred into a new CTF', () => ['transfer', 'cv', '-q', '--copy-resources', `${reg.url}/${longBlob}//${COMPONENT}:1.0.0`, './target-ctf'], ['DIGEST_MISMATCH', 'LIMIT_EXCEEDED'], {
  }),
  http('blob bytes that do not match the digest', () => download(wrongBlob), 'DIGEST_MISMATCH'),
  http('a blob Content-Length larger than the descriptor', () => download(declaredTooLong), ['DIGEST_MISMATCH', 'LIMIT_EXCEEDED']),
  http('a blob the registry does not have', () => download(missingBlob), 'NOT_FOUND'),
  http('a token endpoint answering HTML', () => getCv(tokenHtml), ['REGISTRY_ERROR', 'UNAUTHORIZED']),
  http('a token endpoint answering 500', () => getCv(token500), ['REGISTRY_ERROR', 'UNAUTHORIZED']),
  http('a token answer without a token', () => getCv(tokenMissing), ['REGISTRY_ERROR', 'UNAUTHORIZED']),
  http('a 5 MiB token answer', () => getCv(tokenHuge), 'LIMIT_EXCEEDED'),
  http('a token the registry refuses', () => getCv(tokenRefused), 'UNAUTHORIZED'),
  http('a realm on another origin that is down', () => getCv(realmClosed), ['NETWORK_ERROR', 'UNAUTHORIZED']),
  http('a malformed realm URL', () => getCv(realmMalformed), ['REGISTRY_ERROR', 'UNAUTHORIZED']),
  http('an ftp:// realm', () => getCv(realmFtp), ['REGISTRY_ERROR', 'UNAUTHORIZED', 'UNSUPPORTED']),
  http('a Link: rel=next to the same page', () => listVersions(selfLink), 'LIMIT_EXCEEDED', { timeoutMs: 8_000 }),
  http('Link: rel=next looping A → B → A', () => listVersions(linkLoop), 'LIMIT_EXCEEDED', { timeoutMs: 8_000 }),
  // 1 000 one-tag pages: ~3 s alone, over 10 s while the whole suite runs on 2 cores.
  http('endless new pages', () => listVersions(endless), 'LIMIT_EXCEEDED', { timeoutMs: 45_000 }),
  http('a tags list that is not JSON', () => listVersions(tagsNotJson), ['REGISTRY_ERROR', 'PARSE_ERROR']),
  http('a 5 MiB tags list', () => listVersions(tagsHuge), 'LIMIT_EXCEEDED'),
  uploadCase('POST answered without Location', postNoLocation, 'REGISTRY_ERROR'),
  uploadCase('POST answered with a Location on another origin', postForeign, 'REGISTRY_ERROR', {
    check: noCredentialsElsewhere,
  }),
  uploadCase('POST answered with a malformed Location', postBadLocation, 'REGISTRY_ERROR'),
  uploadCase('POST answered 403', post403, 'FORBIDDEN'),
  uploadCase('the closing PUT answered 400', put400, 'REGISTRY_ERROR'),
  uploadCase('a streamed PATCH answered 500', patch500, ['REGISTRY_ERROR', 'NETWORK_ERROR'], { big: true }),
  uploadCase('a streamed PATCH answered 404', patch404, ['REGISTRY_ERROR', 'NOT_FOUND'], { big: true }),
];

corpus('malformed registry answers', httpCases);
