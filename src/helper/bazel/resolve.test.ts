/**
 * `resolveCredentials` against the real distribution registry (token, htpasswd, anonymous): the
 * headers it returns are handed to the real curl (through a 0600 header file, never argv), which
 * must fetch the blob — and a pull-only token must not be able to push. Passwords are canaries:
 * they never appear in an answer other than the Basic header asked for, nor in any error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { configFromDocuments, parseConfigText } from '../../config/load.js';
import { RegistryClient } from '../../oci/remote/client.js';
import { isOcmError } from '../../runtime/errors.js';
import { createSession } from '../../session/session.js';
import { tempDir } from '../../testing/fixtures.js';
import { registryAvailable, startRegistry, type RunningRegistry } from '../../testing/registry.js';
import { explainUri, resolveCredentials } from './resolve.js';
import type { Resolution, ResolveOptions } from './types.js';

const run = promisify(execFile);
const skip = !registryAvailable() && 'docker-registry not installed';

async function pushBlob(reg: RunningRegistry, repo: string, user: { username: string; password: string }): Promise<{ digest: string; bytes: Buffer }> {
  const bytes = randomBytes(4096);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const client = new RegistryClient({ credentials: async () => ({ username: user.username, password: user.password }) });
  try {
    await client.repository(reg.host, repo).push({ mediaType: 'application/octet-stream', digest, size: bytes.length }, Readable.from([bytes]));
  } finally {
    await client.close();
  }
  return { digest, bytes };
}

async function world(t: { after(fn: () => Promise<void>): void }, ocmconfig?: string, env: NodeJS.ProcessEnv = {}) {
  const d = await tempDir('ocm-ts-bazel-helper-');
  t.after(() => d.dispose());
  const home = join(d.path, 'home');
  const docker = join(d.path, 'docker');
  const work = join(d.path, 'work');
  for (const p of [home, docker, work]) await mkdir(p, { recursive: true });
  const fullEnv: NodeJS.ProcessEnv = { HOME: home, DOCKER_CONFIG: docker, PATH: process.env.PATH ?? '', ...env };
  const config = ocmconfig ? parseConfigText(ocmconfig) : configFromDocuments([]);
  const opts: ResolveOptions = { env: fullEnv, cwd: work, session: createSession({ config, env: fullEnv, cwd: work }) };
  /** curl with the answer's headers from a 0600 file; returns [status, body]. */
  const curl = async (r: Resolution, url: string, method = 'GET'): Promise<[number, Buffer]> => {
    const hfile = join(d.path, `h-${randomBytes(4).toString('hex')}`);
    const lines = Object.entries(r.response.headers).flatMap(([k, vs]) => vs.map((v) => `${k}: ${v}`));
    await writeFile(hfile, lines.join('\n') + '\n', { mode: 0o600 });
    const out = join(d.path, 'body');
    const { stdout } = await run('curl', ['-sS', '-X', method, '-o', out, '-w', '%{http_code}', '-H', `@${hfile}`, url]);
    return [Number(stdout), await readFile(out).catch(() => Buffer.alloc(0))];
  };
  return { dir: d.path, docker, work, opts, curl };
}

const consumer = (reg: RunningRegistry, user: string, password: string) => `type: generic.config.ocm.software/v1
configurations:
- type: credentials.config.ocm.software
  consumers:
  - identity: {type: OCIRegistry, hostname: 127.0.0.1, port: "${reg.port}"}
    credentials:
    - type: Credentials/v1
      properties: {username: ${user}, password: "${password}"}
`;

test('token registry: a pull token from .ocmconfig credentials fetches the blob with curl and cannot push', { skip }, async (t) => {
  const canary = `canary-${randomBytes(8).toString('hex')}`;
  const pusherPw = `pusher-${randomBytes(8).toString('hex')}`;
  const reg = await startRegistry({ auth: 'token', users: [{ username: 'pusher', password: pusherPw }, { username: 'puller', password: canary, actions: ['pull'] }] });
  t.after(() => reg.stop());
  const { digest, bytes } = await pushBlob(reg, 'team/app', { username: 'pusher', password: pusherPw });
  const w = await world(t, consumer(reg, 'puller', canary));
  const blobUrl = `${reg.url}/v2/team/app/blobs/${digest}`;
  const r = await resolveCredentials({ uri: blobUrl, extra: 'tolerated' }, w.opts);
  assert.equal(r.cacheScope, 'repository');
  assert.match(r.response.headers.Authorization![0]!, /^Bearer ey/);
  assert.equal(r.response.headers['Docker-Distribution-API-Version']![0], 'registry/2.0');
  assert.equal(r.response.headers.Accept!.length, 4);
  assert.match(r.response.expires!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // token server: expires_in 300 → about 270 s from now (30 s safety margin)
  const left = Date.parse(r.response.expires!) - Date.now();
  assert.ok(left > 260_000 && left <= 270_000, `expires in ${left} ms`);
  assert.equal(r.expiresAt, Date.parse(r.response.expires!));
  assert.ok(!JSON.stringify(r).includes(canary));
  const [status, body] = await w.curl(r, blobUrl);
  assert.equal(status, 200);
  assert.deepEqual(body, bytes);
  const [pushStatus] = await w.curl(r, `${reg.url}/v2/team/app/blobs/uploads/`, 'POST');
  assert.equal(pushStatus, 401, 'a pull-only token must not start an upload');
  assert.deepEqual(reg.tokenServer!.requests.at(-1)!.scopes, ['repository:team/app:pull']);
});

test('token registry: CREDENTIAL_HELPER_ACTIONS=pull,push gives a push token; no credentials gives an anonymous token', { skip }, async (t) => {
  const pw = `pw-${randomBytes(8).toString('hex')}`;
  const reg = await startRegistry({ auth: 'token', users: [{ username: 'pusher', password: pw }], anonymousActions: ['pull'] });
  t.after(() => reg.stop());
  const { digest, bytes } = await pushBlob(reg, 'pub/app', { username: 'pusher', password: pw });
  const push = await world(t, consumer(reg, 'pusher', pw), { CREDENTIAL_HELPER_ACTIONS: 'pull,push' });
  const r = await resolveCredentials({ uri: `${reg.url}/v2/pub/app/blobs/uploads/` }, push.opts);
  const [status] = await push.curl(r, `${reg.url}/v2/pub/app/blobs/uploads/`, 'POST');
  assert.equal(status, 202);
  assert.deepEqual(reg.tokenServer!.requests.at(-1)!.scopes, ['repository:pub/app:pull,push']);

  const anon = await world(t, undefined, { CREDENTIAL_HELPER_GUESS_OCI_REGISTRY: '1' });
  const blobUrl = `${reg.url}/v2/pub/app/blobs/${digest}`;
  const a = await resolveCredentials({ uri: blobUrl }, anon.opts);
  assert.equal(reg.tokenServer!.requests.at(-1)!.authenticated, false);
  const [s2, body] = await anon.curl(a, blobUrl);
  assert.equal(s2, 200);
  assert.deepEqual(body, bytes);
});

test('htpasswd registry: Basic from the docker config fallback works with curl; none gives one line naming the identity', { skip }, async (t) => {
  const canary = `canary-${randomBytes(8).toString('hex')}`;
  const reg = await startRegistry({ auth: 'htpasswd', users: [{ username: 'ocmuser', password: canary }] });
  t.after(() => reg.stop());
  const { digest, bytes } = await pushBlob(reg, 'team/app', { username: 'ocmuser', password: canary });
  const blobUrl = `${reg.url}/v2/team/app/blobs/${digest}`;
  // .ocmconfig exists (without DockerConfig repository): the default docker config still answers.
  const w = await world(t, 'type: generic.config.ocm.software/v1\nconfigurations: []\n');
  await writeFile(join(w.docker, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`ocmuser:${canary}`).toString('base64') } } }));
  const r = await resolveCredentials({ uri: blobUrl }, w.opts);
  assert.match(r.response.headers.Authorization![0]!, /^Basic /);
  assert.equal(r.cacheScope, 'repository');
  const [status, body] = await w.curl(r, blobUrl);
  assert.equal(status, 200);
  assert.deepEqual(body, bytes);

  // credsStore "ocm" is ourselves: skipped (no recursion, no "helper not on PATH"), so no credentials.
  const none = await world(t, undefined, { CREDENTIAL_HELPER_GUESS_OCI_REGISTRY: '1' });
  await writeFile(join(none.docker, 'config.json'), JSON.stringify({ credsStore: 'ocm' }));
  await assert.rejects(resolveCredentials({ uri: blobUrl }, none.opts), (e: unknown) => {
    assert.ok(isOcmError(e, 'UNAUTHORIZED'), String(e));
    assert.match(e.message, /requires a username and password and none were found for identity .*hostname=127\.0\.0\.1.*add to \.ocmconfig: consumers: \[\{identity: \{type: OCIRegistry, hostname: 127\.0\.0\.1, port: "\d+"\}/);
    assert.ok(!e.message.includes('\n') && !e.message.includes(canary));
    return true;
  });
});

test('anonymous registry: no Authorization header, curl fetches the blob', { skip }, async (t) => {
  const reg = await startRegistry({ auth: 'none' });
  t.after(() => reg.stop());
  const { digest, bytes } = await pushBlob(reg, 'open/app', { username: 'x', password: 'y' });
  const w = await world(t, undefined, { CREDENTIAL_HELPER_GUESS_OCI_REGISTRY: 'true' });
  const blobUrl = `${reg.url}/v2/open/app/blobs/${digest}`;
  const r = await resolveCredentials({ uri: blobUrl }, w.opts);
  assert.equal(r.response.headers.Authorization, undefined);
  assert.ok(r.response.headers.Accept);
  const [status, body] = await w.curl(r, blobUrl);
  assert.equal(status, 200);
  assert.deepEqual(body, bytes);
});

test('unconfigured and lookalike hosts are refused before any network access, saying how to configure them', async (t) => {
  const w = await world(t, undefined, { GH_TOKEN: 'gh-canary' });
  const table: [string, RegExp][] = [
    ['https://ghcr.io.evil.net/v2/a/b/blobs/sha256:x', /host ghcr\.io\.evil\.net is not configured .*hostname: ghcr\.io\.evil\.net.*CREDENTIAL_HELPER_GUESS_OCI_REGISTRY/],
    ['https://evil-ghcr.io/v2/a/b/blobs/sha256:x', /host evil-ghcr\.io is not configured/],
    ['https://ghcr.io:444/v2/a/b/blobs/sha256:x', /host ghcr\.io:444 is not configured.*port: "444"/],
    ['https://github.com.evil.net/o/r/archive/v1.tar.gz', /host github\.com\.evil\.net is not configured.*type: HTTP/],
    ['https://user@ghcr.io/v2/a/b/blobs/sha256:x', /user information/],
    ['http://ghcr.io/v2/a/b/blobs/sha256:x', /refusing credentials for plain-HTTP/],
    ['https://quay.io/some/download', /not an OCI registry API path/],
  ];
  for (const [uri, re] of table) {
    await assert.rejects(resolveCredentials({ uri }, w.opts), (e: unknown) => isOcmError(e) && re.test(e.message) && !e.message.includes('\n') && !e.message.includes('gh-canary'), uri);
  }
});

test('GitHub hosts use GH_TOKEN (Bearer; Basic for raw.githubusercontent.com); HTTP consumers from .ocmconfig; no token → empty headers with a note', async (t) => {
  const gh = await world(t, undefined, { GH_TOKEN: 'ghp_canary', GITHUB_TOKEN: 'other' });
  const r = await resolveCredentials({ uri: 'https://github.com/o/r/releases/download/v1/x.tgz' }, gh.opts);
  assert.deepEqual(r.response.headers, { Authorization: ['Bearer ghp_canary'] });
  assert.equal(r.cacheScope, 'uri');
  const raw = await resolveCredentials({ uri: 'https://raw.githubusercontent.com/o/r/main/f' }, gh.opts);
  assert.deepEqual(raw.response.headers, { Authorization: [`Basic ${Buffer.from('token:ghp_canary').toString('base64')}`] });
  const none = await world(t);
  const n = await resolveCredentials({ uri: 'https://api.github.com/repos/o/r/tarball/v1' }, none.opts);
  assert.deepEqual(n.response.headers, {});
  assert.match(n.notes![0]!, /no credentials for api\.github\.com .*GH_TOKEN, GITHUB_TOKEN/);

  const http = await world(
    t,
    `type: generic.config.ocm.software/v1
configurations:
- type: credentials.config.ocm.software
  consumers:
  - identity: {type: HTTP, hostname: artifacts.acme.corp, path: "releases/*"}
    credentials: [{type: Credentials/v1, properties: {token: art-canary}}]
  - identity: {type: HTTP, hostname: files.acme.corp}
    credentials: [{type: Credentials/v1, properties: {username: u, password: p}}]
`,
  );
  const a = await resolveCredentials({ uri: 'https://artifacts.acme.corp/releases/x.tgz?sig=1' }, http.opts);
  assert.deepEqual(a.response.headers, { Authorization: ['Bearer art-canary'] });
  const b = await resolveCredentials({ uri: 'https://files.acme.corp/a/b.zip' }, http.opts);
  assert.deepEqual(b.response.headers, { Authorization: [`Basic ${Buffer.from('u:p').toString('base64')}`] });
  await assert.rejects(resolveCredentials({ uri: 'https://files.acme.corp.evil.net/a/b.zip' }, http.opts), /not configured/);
  await assert.rejects(resolveCredentials({ uri: 'http://files.acme.corp/a/b.zip' }, http.opts), /plain-HTTP/);

  const ex = await explainUri('https://artifacts.acme.corp/releases/x.tgz?sig=secret-query', http.opts);
  const text = ex.lines.join('\n');
  assert.match(text, /answered because: an \.ocmconfig HTTP consumer/);
  assert.match(text, /credentials: Bearer from \.ocmconfig consumer/);
  assert.ok(!text.includes('art-canary') && !text.includes('secret-query'), text);
});

test('setup-uri explains registry lookups with SET/NOT SET and never a secret', async (t) => {
  const w = await world(t, undefined, { GHCR_TOKEN: 'ghcr-canary' });
  const ex = await explainUri('https://ghcr.io/v2/o/img/manifests/latest', w.opts);
  const text = ex.lines.join('\n');
  assert.match(text, /answered because: the default registry list/);
  assert.match(text, /lookup identity: hostname=ghcr\.io,path=o\/img,scheme=https,type=OCIRegistry/);
  assert.match(text, /GHCR_TOKEN SET, GH_TOKEN NOT SET/);
  assert.match(text, /credentials: username\/password from environment variable GHCR_TOKEN/);
  assert.ok(!text.includes('ghcr-canary'));
  const refused = await explainUri('https://evil-ghcr.io/v2/o/img/manifests/latest', w.opts);
  assert.match(refused.lines.join('\n'), /refused: host evil-ghcr\.io is not configured/);
});
