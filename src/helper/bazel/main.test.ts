/**
 * `ocm-credential-helper` as Bazel runs it: the built bin, JSON on stdin, JSON on stdout, against
 * the real distribution registry (htpasswd) and the real agent process. A stopped registry proves
 * where an answer came from: still answered = the cache; an error = it was resolved again.
 * Every agent started here is shut down and, if still alive, killed by its PID.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { freePort, registryAvailable, startRegistry } from '../../testing/registry.js';
import { repoRoot, tempDir } from '../../testing/fixtures.js';
import { agentRequest } from './client.js';
import { envFingerprint, storeKey } from './cache-key.js';
import { main } from './main.js';

const helperBin = join(repoRoot, 'dist', 'bin', 'ocm-credential-helper.js');
const helperBundle = join(repoRoot, 'dist', 'bin', 'ocm-credential-helper.cjs');
const skip = !registryAvailable() && 'docker-registry not installed';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runHelper(args: string[], input: string | undefined, env: NodeJS.ProcessEnv, cwd: string, node: string[] = [], bin = helperBundle): Promise<Run> {
  const child = spawn(process.execPath, [...node, bin, ...args], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => {});
  child.stdin.end(input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const consumerConfig = (port: number, user: string, password: string) => `type: generic.config.ocm.software/v1
configurations:
- type: credentials.config.ocm.software
  consumers:
  - identity: {type: OCIRegistry, hostname: 127.0.0.1, port: "${port}"}
    credentials:
    - type: Credentials/v1
      properties: {username: ${user}, password: "${password}"}
`;

/** A private HOME/XDG_RUNTIME_DIR/workspace; the agent it may start is stopped after the test. */
async function world(t: { after(fn: () => Promise<void> | void): void }) {
  const d = await tempDir('ocm-ts-bazel-main-');
  const home = join(d.path, 'home');
  const runtime = join(d.path, 'run');
  const work = join(d.path, 'work');
  await mkdir(home);
  await mkdir(runtime, { mode: 0o700 });
  await mkdir(work);
  const env: NodeJS.ProcessEnv = { HOME: home, XDG_RUNTIME_DIR: runtime, DOCKER_CONFIG: join(home, '.docker'), PATH: process.env.PATH ?? '' };
  const socketDir = join(runtime, 'ocm', 'credential-helper');
  const agentPid = async () => Number((await readFile(join(socketDir, 'agent.pid'), 'utf8').catch(() => '')).trim()) || undefined;
  t.after(async () => {
    const pid = await agentPid();
    await agentRequest(env, [{ method: 'shutdown' }]).catch(() => undefined);
    if (pid && alive(pid)) {
      await new Promise((r) => setTimeout(r, 200));
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    await d.dispose();
  });
  return { dir: d.path, home, work, env, socketDir, agentPid };
}

const req = (uri: string) => JSON.stringify({ uri, extra: 'tolerated', another: { nested: true } });

/** main() in-process with string stdin and collected stdout/stderr. */
async function inProcess(args: string[], stdin: string | Readable, env: NodeJS.ProcessEnv = { CREDENTIAL_HELPER_STANDALONE: '1', HOME: '/nonexistent/ocm-test-home', DOCKER_CONFIG: '/nonexistent/ocm-test-docker' }): Promise<Run> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await main(args, { stdin: typeof stdin === 'string' ? Readable.from([stdin]) : stdin, stdout: out, stderr: err, env, cwd: '/' });
  return { code, stdout, stderr };
}

test('protocol: malformed requests and usage errors exit 2 with one line on stderr and nothing on stdout', async () => {
  const cases: Array<[string, string[], string | Readable, RegExp]> = [
    ['closed stdin', ['get'], Readable.from([]), /no request on stdin.*empty or closed/],
    ['blank stdin', ['get'], '  \n', /no request on stdin/],
    ['not JSON', ['get'], '{"uri": ', /not JSON/],
    ['no uri', ['get'], '{"url": "https://ghcr.io/v2/"}', /no string "uri"/],
    ['uri not a string', ['get'], '{"uri": 42}', /no string "uri"/],
    ['an array', ['get'], '[{"uri": "https://ghcr.io/v2/"}]', /no string "uri"/],
    ['too large', ['get'], JSON.stringify({ uri: 'https://ghcr.io/v2/', pad: 'x'.repeat(70_000) }), /larger than 64 KiB/],
    ['unknown command', ['store'], '', /unknown command "store"/],
    ['setup-uri without url', ['setup-uri'], '', /exactly one URL/],
  ];
  for (const [what, args, stdin, message] of cases) {
    const r = await inProcess(args, stdin);
    assert.equal(r.code, 2, what);
    assert.equal(r.stdout, '', what);
    assert.match(r.stderr, /^ocm-credential-helper: [^\n]+\n$/, what);
    assert.match(r.stderr, message, what);
  }
  const usage = await inProcess([], '');
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^Usage: ocm-credential-helper/);
  const help = await inProcess(['--help'], '');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /agent-shutdown/);
  const version = await inProcess(['version'], '');
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('protocol: an unknown host fails with exit 1 and a message, not an empty answer', async () => {
  const r = await inProcess(['get'], req('https://registry.example.invalid/v2/a/b/blobs/sha256:00'));
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^ocm-credential-helper: [^\n]+\n$/);
});

test('get: the first call resolves against the registry and starts the agent; later calls for the repository are cache hits', { skip }, async (t) => {
  const w = await world(t);
  const password = `canary-${randomBytes(8).toString('hex')}`;
  const reg = await startRegistry({ auth: 'htpasswd', users: [{ username: 'bazel', password }] });
  t.after(() => reg.stop());
  await writeFile(join(w.home, '.ocmconfig'), consumerConfig(reg.port, 'bazel', password), { mode: 0o600 });
  const env = { ...w.env, CREDENTIAL_HELPER_LOGGING: 'debug' };

  const first = await runHelper(['get'], req(`${reg.url}/v2/team/app/blobs/sha256:${'1'.repeat(64)}`), env, w.work);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout.split('\n').filter(Boolean).length, 1, 'stdout holds exactly one JSON line');
  const answer = JSON.parse(first.stdout) as { headers: Record<string, string[]>; expires: string };
  assert.deepEqual(answer.headers.Authorization, [`Basic ${Buffer.from(`bazel:${password}`).toString('base64')}`]);
  assert.ok(Date.parse(answer.expires) > Date.now());
  assert.match(first.stderr, /cache miss|no agent/);
  assert.ok(!first.stderr.includes(password) && !first.stderr.includes(Buffer.from(`bazel:${password}`).toString('base64')), 'no secret in debug output');
  const pid = await w.agentPid();
  assert.ok(pid && alive(pid), 'the agent was started on demand');

  await reg.stop();
  const hit = await runHelper(['get'], req(`${reg.url}/v2/team/app/manifests/latest`), env, w.work);
  assert.equal(hit.code, 0, `answered from the cache with the registry down: ${hit.stderr}`);
  assert.equal(hit.stdout, first.stdout, 'the same answer');
  assert.match(hit.stderr, /cache hit/);

  const other = await runHelper(['get'], req(`${reg.url}/v2/team/other/blobs/sha256:${'1'.repeat(64)}`), w.env, w.work);
  assert.equal(other.code, 1, 'another repository is not answered from this entry');

  const standalone = await runHelper(['get'], req(`${reg.url}/v2/team/app/manifests/latest`), { ...w.env, CREDENTIAL_HELPER_STANDALONE: '1' }, w.work);
  assert.equal(standalone.code, 1, 'standalone bypasses the cache (and the registry is down)');
  assert.equal(standalone.stdout, '');

  // An edited .ocmconfig changes the fingerprint: a miss, never the stale entry.
  await writeFile(join(w.home, '.ocmconfig'), consumerConfig(reg.port, 'bazel', password) + '# edited\n', { mode: 0o600 });
  const edited = await runHelper(['get'], req(`${reg.url}/v2/team/app/manifests/latest`), w.env, w.work);
  assert.equal(edited.code, 1, 'resolved again after the config changed');
  const token = await runHelper(['get'], req(`${reg.url}/v2/team/app/manifests/latest`), { ...w.env, GHCR_TOKEN: 'x' }, w.work);
  assert.equal(token.code, 1, 'a changed token variable is a miss too');

  const down = await runHelper(['agent-shutdown'], undefined, w.env, w.work);
  assert.equal(down.code, 0, down.stderr);
  const until = Date.now() + 3_000;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!alive(pid), 'agent-shutdown stopped the agent');
  assert.ok(!existsSync(join(w.socketDir, 'agent.sock')));
});

test('get: an entry past its expiry is never served', async (t) => {
  const w = await world(t);
  const port = await freePort(); // nothing listens: any resolution fails
  await writeFile(join(w.home, '.ocmconfig'), consumerConfig(port, 'u', 'p'), { mode: 0o600 });
  assert.equal((await runHelper(['agent-launch'], undefined, w.env, w.work)).code, 0);
  const uri = `http://127.0.0.1:${port}/v2/team/app/blobs/sha256:${'2'.repeat(64)}`;
  const fp = envFingerprint(w.env, w.work, dirname(realpathSync(helperBin)));
  const expiresAt = Date.now() + 1_000;
  const response = { headers: { Authorization: ['Bearer short'] }, expires: new Date(expiresAt).toISOString() };
  assert.deepEqual(await agentRequest(w.env, [{ method: 'store', payload: { cacheKey: `${fp}|${storeKey(uri, 'repository')}`, response, expiresAt } }]), [{ status: 'ok' }]);
  const before = await runHelper(['get'], req(uri), w.env, w.work);
  assert.equal(before.code, 0, before.stderr);
  assert.deepEqual(JSON.parse(before.stdout), response);
  await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 50));
  const after = await runHelper(['get'], req(uri), w.env, w.work);
  assert.equal(after.code, 1, 'expired: resolved again (and failed, nothing listens)');
  assert.equal(after.stdout, '');
});

test('get: two concurrent first calls both answer and leave one agent that serves hits', { skip }, async (t) => {
  const w = await world(t);
  const reg = await startRegistry({ auth: 'htpasswd', users: [{ username: 'u', password: 'concurrent-pw' }] });
  t.after(() => reg.stop());
  await writeFile(join(w.home, '.ocmconfig'), consumerConfig(reg.port, 'u', 'concurrent-pw'), { mode: 0o600 });
  const uri = (n: number) => `${reg.url}/v2/team/app/blobs/sha256:${String(n).repeat(64)}`;
  const [a, b] = await Promise.all([runHelper(['get'], req(uri(3)), w.env, w.work), runHelper(['get'], req(uri(4)), w.env, w.work)]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  // Same headers; `expires` may differ by a second when the two straddle one.
  assert.deepEqual(JSON.parse(a.stdout).headers, JSON.parse(b.stdout).headers);
  const pid = await w.agentPid();
  assert.ok(pid && alive(pid));
  await reg.stop();
  const hit = await runHelper(['get'], req(uri(5)), w.env, w.work);
  assert.equal(hit.code, 0, hit.stderr);
  assert.ok([a.stdout, b.stdout].includes(hit.stdout), 'one of the two stored answers');
  assert.equal(await w.agentPid(), pid, 'still the one agent');
});

test('get: CREDENTIAL_HELPER_STANDALONE=1 starts no agent and creates no socket directory', { skip }, async (t) => {
  const w = await world(t);
  const reg = await startRegistry({ auth: 'htpasswd', users: [{ username: 'u', password: 'standalone-pw' }] });
  t.after(() => reg.stop());
  await writeFile(join(w.home, '.ocmconfig'), consumerConfig(reg.port, 'u', 'standalone-pw'), { mode: 0o600 });
  const r = await runHelper(['get'], req(`${reg.url}/v2/team/app/blobs/sha256:${'6'.repeat(64)}`), { ...w.env, CREDENTIAL_HELPER_STANDALONE: 'true' }, w.work);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(JSON.parse(r.stdout).headers.Authorization);
  assert.ok(!existsSync(w.socketDir));
});

test('get: an agent directory others can access is refused with a clear error', async (t) => {
  const w = await world(t);
  await mkdir(w.socketDir, { recursive: true });
  await chmod(w.socketDir, 0o777);
  const r = await runHelper(['get'], req('https://ghcr.io/v2/org/img/blobs/sha256:00'), w.env, w.work);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^ocm-credential-helper: agent directory .* is accessible to others \(mode 777\); run chmod 700 .*CREDENTIAL_HELPER_STANDALONE=1\)\n$/);
});

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.OCM_TEST_MODULE_LOG, r.url + '\\n');
  return r;
}
`;

for (const [bin, loaded] of [
  [helperBin, ['bin/ocm-credential-helper.js', 'helper/bazel/cache-key.js', 'helper/bazel/client.js', 'helper/bazel/main.js']],
  // The package's bin: one CommonJS bundle (scripts/bundle-helper.mjs); a hit loads no ES module of ours.
  [helperBundle, []],
] as const) {
test(`a cache hit of ${basename(bin)} loads only ${loaded.length ? loaded.join(', ') : 'the bundle'}`, async (t) => {
  const w = await world(t);
  await writeFile(join(w.dir, 'hooks.mjs'), HOOKS);
  await writeFile(join(w.dir, 'preload.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(w.dir, 'hooks.mjs')).href)});\n`);
  assert.equal((await runHelper(['agent-launch'], undefined, w.env, w.work)).code, 0);
  const uri = 'https://ghcr.io/v2/org/img/blobs/sha256:00';
  const fp = envFingerprint(w.env, w.work, dirname(realpathSync(helperBin)));
  const response = { headers: { Authorization: ['Bearer pinned'] }, expires: new Date(Date.now() + 60_000).toISOString() };
  await agentRequest(w.env, [{ method: 'store', payload: { cacheKey: `${fp}|${storeKey(uri, 'repository')}`, response, expiresAt: Date.now() + 60_000 } }]);
  const log = join(w.dir, 'modules.log');
  await writeFile(log, '');
  const r = await runHelper(['get'], req(uri), { ...w.env, OCM_TEST_MODULE_LOG: log }, w.work, ['--import', pathToFileURL(join(w.dir, 'preload.mjs')).href], bin);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), response);
  const ours = (await readFile(log, 'utf8'))
    .split('\n')
    .filter((l) => l.startsWith('file:') && !l.endsWith('preload.mjs') && !l.endsWith('.cjs'))
    .map((l) => new URL(l).pathname.replace(/^.*\/dist\//, ''));
  assert.deepEqual([...new Set(ours)].sort(), loaded);
});
}

test('setup-uri explains which entry answers, on stdout, without the secret', async (t) => {
  const w = await world(t);
  await writeFile(join(w.home, '.ocmconfig'), consumerConfig(5999, 'u', 'setup-uri-canary'), { mode: 0o600 });
  const r = await runHelper(['setup-uri', 'http://127.0.0.1:5999/v2/a/b/blobs/sha256:00'], undefined, w.env, w.work);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /configurations\[0\]\.consumers\[0\]/);
  assert.ok(!r.stdout.includes('setup-uri-canary') && !r.stderr.includes('setup-uri-canary'));
  assert.ok(!existsSync(w.socketDir), 'setup-uri starts no agent');
});

test('the agent runs without the caller\'s tokens in its environment and with nothing secret in its arguments', { skip: !existsSync('/proc/self/environ') && 'no /proc' }, async (t) => {
  const w = await world(t);
  const canary = `ghp_${randomBytes(12).toString('hex')}`;
  const r = await runHelper(['agent-launch'], undefined, { ...w.env, GHCR_TOKEN: canary, GITHUB_TOKEN: canary, CREDENTIAL_HELPER_IDLE_TIMEOUT: '1m' }, w.work);
  assert.equal(r.code, 0, r.stderr);
  const pid = await w.agentPid();
  assert.ok(pid && alive(pid));
  const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
  assert.ok(!environ.some((e) => e.includes(canary)), 'no token in the agent environment');
  assert.ok(environ.includes('CREDENTIAL_HELPER_IDLE_TIMEOUT=1m'), 'agent settings are passed');
  const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
  assert.deepEqual(cmdline.slice(1), [realpathSync(helperBin), 'agent-run']);
});
