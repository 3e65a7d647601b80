/**
 * Security of `ocm proxy serve` end to end (spec §F.4–F.5, issue 13 "Security tests"): the real CLI
 * as a child process in front of real registries (A: token auth, B: htpasswd), recording servers
 * standing for hosts that must never be contacted, and canary secrets searched for in everything
 * the proxy wrote and every response it gave.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'node:http';
import { runOcm } from '../../testing/cli.js';
import { startFaultProxy, type FaultProxy } from '../../testing/fault-proxy.js';
import {
  basic,
  clientAuth,
  httpCall,
  leaked,
  makeClient,
  proxyWorld,
  pushImageRaw,
  responseText,
  type HttpResult,
  type ProxyProcess,
  type ProxyWorld,
} from '../../testing/proxy-e2e.js';
import { startRecordingServer, type RecordingServer } from '../../testing/recording-server.js';
import { registryAvailable } from '../../testing/registry.js';

const skip = registryAvailable() ? false : 'docker-registry is not installed';

const ci = makeClient('ci');
const reader = makeClient('reader');
const bclient = makeClient('bclient');
let world: ProxyWorld;
let proxy: ProxyProcess;
/** Stands for a host nobody configured: named in paths, `ns`, Host and redirects; must see 0 requests. */
let outsider: RecordingServer;
/** Forwards to registry A and records every header the proxy sends upstream. */
let recorder: RecordingServer;
/** In front of registry A: redirects blob GETs to `outsider`. */
let redirecting: FaultProxy;
let image: { manifest: string; layer: string };
/** Every response the tests got, searched for secrets at the end. */
const responses: HttpResult[] = [];

async function call(path: string, init: Parameters<typeof httpCall>[1] = {}): Promise<HttpResult> {
  const r = await httpCall(`${proxy.url}${path}`, init);
  responses.push(r);
  return r;
}
const as = (c: { name: string; token: string }) => ({ authorization: basic(c.name, c.token) });

before(async () => {
  if (skip) return;
  world = await proxyWorld();
  outsider = await startRecordingServer({ status: 200 });
  recorder = await startRecordingServer({ target: world.a.url });
  redirecting = await startFaultProxy({ target: world.a.url, rules: [{ method: 'GET', path: /\/blobs\/sha256:/, times: Infinity, fault: { kind: 'redirect', to: outsider.url } }] });
  const all = [ci.name];
  const config = await world.writeConfig(
    [
      world.connectorA([
        { clients: all, repositories: ['**'], actions: ['pull', 'push', 'delete'] },
        { clients: [reader.name], repositories: ['team/**'], actions: ['pull'] },
      ]),
      world.connectorB([{ clients: [bclient.name], repositories: ['**'], actions: ['pull', 'push'] }]),
      { name: 'conn-rec', address: recorder.url, upstream: { username: 'alice', password: world.secrets[0]! }, access: [{ clients: all, repositories: ['**'], actions: ['pull'] }] },
      { name: 'conn-redir', address: redirecting.url, upstream: { username: 'alice', password: world.secrets[0]! }, access: [{ clients: all, repositories: ['**'], actions: ['pull'] }] },
    ],
    [ci, reader, bclient],
  );
  proxy = await world.startProxy(config);
  image = await pushImageRaw(`${proxy.url}/v2/conn-a/team/app`, as(ci), 'v1');
});

after(async () => {
  await world?.dispose();
  await outsider?.stop();
  await recorder?.stop();
  await redirecting?.stop();
});

test('no client auth configured and a non-loopback listen: refuses to start with one line, exit != 0', { skip }, async () => {
  const open = await world.writeConfig([world.connectorA()], [], 'open.ocmconfig');
  for (const args of [['--listen', '0.0.0.0:0'], ['--listen', '[::]:0']]) {
    const r = await runOcm(['--config', open, 'proxy', 'serve', ...args], { cwd: world.dir, env: { HOME: world.dir }, timeoutMs: 15_000 });
    assert.notEqual(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.notEqual(r.code, 128, `${args.join(' ')}: still running after 15 s (killed): ${r.stderr}`);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /client|token|auth/i);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  // A connector's own dedicated listener counts too.
  const dedicated = await world.writeConfig([{ ...world.connectorA(), listen: '0.0.0.0:0' }], [], 'dedicated.ocmconfig');
  const r = await runOcm(['--config', dedicated, 'proxy', 'serve', '--listen', '127.0.0.1:0'], { cwd: world.dir, env: { HOME: world.dir }, timeoutMs: 15_000 });
  assert.notEqual(r.code, 0, r.stderr);
  assert.notEqual(r.code, 128, `still running after 15 s (killed): ${r.stderr}`);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
});

test('missing or wrong client token: 401 with a WWW-Authenticate challenge, on every path', { skip }, async () => {
  const wrong = { ...ci, token: ci.token.slice(0, -1) + (ci.token.endsWith('0') ? '1' : '0') };
  const paths = ['/v2/', `/v2/conn-a/team/app/manifests/v1`, `/v2/conn-a/team/app/blobs/${image.layer}`, `/v2/conn-a/team/app/tags/list`];
  for (const path of paths) {
    for (const headers of [{}, as(wrong), { authorization: `Bearer ${wrong.token}` }, { authorization: 'Basic !!!' }]) {
      const r = await call(path, { headers });
      assert.equal(r.status, 401, `${path} ${JSON.stringify(Object.keys(headers))}`);
      assert.match(String(r.headers['www-authenticate']), /^(Basic|Bearer) /);
    }
  }
  const ok = await call('/v2/', { headers: as(ci) });
  assert.equal(ok.status, 200);
});

test('a client limited to pull can pull but not push or delete (403 DENIED)', { skip }, async () => {
  const pull = await call(`/v2/conn-a/team/app/manifests/v1`, { headers: { ...as(reader), accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(pull.status, 200, pull.body.toString());
  const push = await call(`/v2/conn-a/team/app/blobs/uploads/`, { method: 'POST', headers: { ...as(reader), 'content-length': '0' } });
  assert.equal(push.status, 403, push.body.toString());
  assert.equal(JSON.parse(push.body.toString()).errors[0].code, 'DENIED');
  const del = await call(`/v2/conn-a/team/app/manifests/${image.manifest}`, { method: 'DELETE', headers: as(reader) });
  assert.equal(del.status, 403);
  // Outside its repository glob the same client may not even pull.
  const other = await call(`/v2/conn-a/other/app/manifests/v1`, { headers: as(reader) });
  assert.equal(other.status, 403);
});

test("connector A's client cannot use connector B, and B's client cannot use A", { skip }, async () => {
  const aToB = await call('/v2/conn-b/team/app/manifests/v1', { headers: as(ci) });
  assert.equal(aToB.status, 403, aToB.body.toString());
  const aPushB = await call('/v2/conn-b/team/app/blobs/uploads/', { method: 'POST', headers: { ...as(ci), 'content-length': '0' } });
  assert.equal(aPushB.status, 403);
  const bToA = await call('/v2/conn-a/team/app/manifests/v1', { headers: as(bclient) });
  assert.equal(bToA.status, 403);
});

test('a path, ns, Host or absolute-form target naming an unconfigured host is refused and that host is never contacted', { skip }, async () => {
  const evil = outsider.host;
  const before = outsider.requests.length;
  const paths = [
    `/v2/${evil}/team/app/manifests/v1`,
    `/v2/127.0.0.1/team/app/manifests/v1`,
    `/v2/team/app/manifests/v1?ns=${evil}`,
    `/v2/conn-a/team/app/manifests/v1?ns=${evil}`,
    `/v2/conn-a/../${evil}/team/manifests/v1`,
    `/v2/conn-a/%2e%2e/${encodeURIComponent(evil)}/manifests/v1`,
    `/v2/conn-a/team/app/blobs/uploads/?mount=${image.layer}&from=${encodeURIComponent(`${evil}/x`)}`,
  ];
  for (const path of paths) {
    const r = await call(path, { headers: as(ci), method: path.includes('uploads') ? 'POST' : 'GET' });
    if (path.startsWith(`/v2/conn-a/team/app/manifests/v1?ns=`) || path.includes('mount=')) {
      // Served from (or refused by) conn-a; either way never from the named host.
      assert.ok(r.status < 500, `${path}: ${r.status}`);
    } else {
      assert.ok(r.status >= 400 && r.status < 500, `${path}: ${r.status} ${r.body.toString()}`);
    }
  }
  // Host header and an absolute-form request target (forward-proxy style) do not pick the upstream.
  const viaHost = await call('/v2/conn-a/team/app/manifests/v1', { headers: { ...as(ci), host: evil, accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(viaHost.status, 200, 'served from conn-a whatever Host says');
  const absolute = await new Promise<number>((resolve, reject) => {
    const port = Number(proxy.host.split(':')[1]);
    const req = request({ host: '127.0.0.1', port, path: `${outsider.url}/v2/`, headers: as(ci), agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
  assert.ok(absolute >= 400 && absolute < 500, `absolute-form target: ${absolute}`);
  assert.equal(outsider.requests.length - before, 0, `outsider contacted: ${JSON.stringify(outsider.requests)}`);
});

test('an upstream blob redirect to another origin is followed without the token or any secret', { skip }, async () => {
  const before = outsider.requests.length;
  const r = await call(`/v2/conn-redir/team/app/blobs/${image.layer}`, { headers: as(ci) });
  const seen = outsider.requests.slice(before);
  // Policy (server core, forward.ts): GET/HEAD redirects are followed by the proxy, off-origin
  // without Authorization; the client never learns the object-store URL. The outsider answers 200.
  assert.equal(r.status, 200, r.body.toString());
  assert.equal(r.headers.location, undefined);
  assert.equal(seen.length, 1, 'the redirect target was asked once');
  for (const q of seen) {
    assert.equal(q.headers.authorization, undefined, `Authorization sent to the redirect target: ${q.url}`);
    assert.equal(q.headers.cookie, undefined);
    assert.deepEqual(leaked(JSON.stringify(q), [...world.secrets, ci.token, clientAuth(ci).slice(6)]), []);
  }
});

test("a client's Authorization, Proxy-Authorization and Cookie never reach the upstream", { skip }, async () => {
  const before = recorder.requests.length;
  const headers = { ...as(ci), 'proxy-authorization': `Basic ${Buffer.from(`x:${ci.token}`).toString('base64')}`, cookie: `session=${ci.token}`, accept: 'application/vnd.oci.image.manifest.v1+json' };
  const m = await call('/v2/conn-rec/team/app/manifests/v1', { headers });
  assert.equal(m.status, 200, m.body.toString());
  const b = await call(`/v2/conn-rec/team/app/blobs/${image.layer}`, { headers });
  assert.equal(b.status, 200);
  const bearer = await call(`/v2/conn-rec/team/app/blobs/${image.layer}`, { headers: { authorization: `Bearer ${ci.token}` } });
  assert.equal(bearer.status, 200);
  const seen = recorder.requests.slice(before);
  assert.ok(seen.length >= 2, 'the upstream was asked');
  const clientBasic = clientAuth(ci).slice('Basic '.length);
  for (const q of seen) {
    const text = JSON.stringify(q);
    assert.deepEqual(leaked(text, [ci.token, clientBasic]), [], `client credential upstream: ${q.method} ${q.url}`);
    assert.equal(q.headers['proxy-authorization'], undefined);
    assert.equal(q.headers.cookie, undefined);
    // A token-auth upstream gets the proxy's own Bearer token (or nothing before the challenge), never Basic.
    if (q.headers.authorization !== undefined) assert.match(String(q.headers.authorization), /^Bearer /);
  }
});

/**
 * Runs `ocm proxy token create <name>`, returns the token (from --token-file) and its clientsFile
 * line (from stderr), and checks the token is printed nowhere.
 */
async function createToken(name: string): Promise<{ token: string; line: string }> {
  const tokenFile = join(world.dir, `${name}.token`);
  const created = await runOcm(['proxy', 'token', 'create', name, '--token-file', tokenFile], { cwd: world.dir, env: { HOME: world.dir } });
  assert.equal(created.code, 0, created.stderr);
  const line = new RegExp(`^\\s*(?:or as a line of a clientsFile: )?(${name}:sha256:[0-9a-f]{64})\\s*$`, 'm').exec(created.stderr)?.[1];
  assert.ok(line, created.stderr);
  const token = (await readFile(tokenFile, 'utf8')).trim();
  assert.deepEqual(leaked(created.stdout + created.stderr, [token]), [], 'the token is printed only into --token-file');
  return { token, line };
}

/** A proxy whose clients come from a clientsFile; `rule` = the clients of conn-a's pull rule. */
async function clientsFileProxy(file: string, lines: string[], rule: string[]): Promise<ProxyProcess> {
  await writeFile(file, `# proxy clients\n${lines.join('\n')}\n`, { mode: 0o600 });
  const config = await world.writeConfig([world.connectorA([{ clients: rule, repositories: ['team/**'], actions: ['pull'] }])], [], `${rule.join('-').replace(/\*/g, 'all')}-clientsfile.ocmconfig`);
  await writeFile(config, `${await readFile(config, 'utf8')}  clientsFile: ${JSON.stringify(file)}\n`, { mode: 0o600 });
  return world.startProxy(config);
}

/** Polls (bounded) until `path` answers `want` to `authorization`; returns the last status. */
async function statusBecomes(url: string, authorization: string, want: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let status = 0;
  while (Date.now() < deadline) {
    status = (await httpCall(url, { headers: { authorization, accept: 'application/vnd.oci.image.manifest.v1+json' } })).status;
    if (status === want) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return status;
}

test('a token from `ocm proxy token create` in a clientsFile gets in (Basic and Bearer); removing its line revokes it on SIGHUP', { skip }, async () => {
  const [ci2, ci3] = [await createToken('ci2'), await createToken('ci3')];
  const file = join(world.dir, 'clients-all');
  const p = await clientsFileProxy(file, [ci2.line, ci3.line], ['*']);
  const path = `${p.url}/v2/conn-a/team/app/manifests/v1`;
  for (const authorization of [basic('anyone', ci2.token), `Bearer ${ci2.token}`]) {
    assert.equal(await statusBecomes(path, authorization, 200), 200, authorization.split(' ')[0]);
  }
  await writeFile(file, `# ci2 revoked\n${ci3.line}\n`, { mode: 0o600 });
  process.kill(p.pid, 'SIGHUP');
  const status = await statusBecomes(path, `Bearer ${ci2.token}`, 401);
  assert.equal(status, 401, `the revoked token still works (status ${status}); proxy said:\n${p.stderr()}`);
  assert.equal(await statusBecomes(path, `Bearer ${ci3.token}`, 200), 200, 'the other client still works');
  await p.stop();
  assert.deepEqual(leaked(await p.allOutput(), [ci2.token, ci3.token]), []);
});

test('revoking a client that an access rule names by name takes effect too (the rule then matches nobody)', { skip }, async () => {
  const [ci4, ci5] = [await createToken('ci4'), await createToken('ci5')];
  const file = join(world.dir, 'clients-named');
  const p = await clientsFileProxy(file, [ci4.line, ci5.line], ['ci4', 'ci5']);
  const path = `${p.url}/v2/conn-a/team/app/manifests/v1`;
  assert.equal(await statusBecomes(path, `Bearer ${ci4.token}`, 200), 200);
  await writeFile(file, `# ci4 revoked\n${ci5.line}\n`, { mode: 0o600 });
  process.kill(p.pid, 'SIGHUP');
  const status = await statusBecomes(path, `Bearer ${ci4.token}`, 401, 3000);
  await p.stop();
  assert.equal(status, 401, `the revoked token still works (status ${status}); proxy said:\n${p.stderr()}`);
});

test('canary secrets (upstream passwords, client tokens) are in no output, access log or response', { skip }, async () => {
  // An upstream failing on our credentials must not echo them either.
  const bad = await world.writeConfig([{ ...world.connectorB(), upstream: { username: 'bob', password: `${world.secrets[1]}x` } }], [ci], 'badcreds.ocmconfig');
  const failing = await world.startProxy(bad);
  const r = await httpCall(`${failing.url}/v2/conn-b/team/app/manifests/v1`, { headers: as(ci) });
  responses.push(r);
  assert.ok(r.status >= 400, String(r.status));
  await failing.stop();
  await proxy.stop();
  const secrets = [...world.secrets, ci.token, reader.token, bclient.token];
  const out = (await proxy.allOutput()) + (await failing.allOutput());
  const log = await readFile(proxy.accessLogFile, 'utf8').catch(() => '');
  assert.ok(log.trim().split('\n').length >= 10, `the proxy wrote an access log (${proxy.accessLogFile})`);
  assert.deepEqual(leaked(out, secrets), [], 'secret in proxy output');
  for (const resp of responses) assert.deepEqual(leaked(responseText(resp), secrets), [], `secret in a response: ${responseText(resp).slice(0, 200)}`);
});
