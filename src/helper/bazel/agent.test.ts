/**
 * The caching agent: private socket directory, expiry checked on read, the wire protocol, stale
 * sockets, one agent per socket, idle exit. In-process agents use a fake clock; the idle test
 * runs the real bin. Every agent started here is stopped (by handle or PID), also on failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, tempDir } from '../../testing/fixtures.js';
import { agentRequest, agentSocketPath, UnsafeAgentDir } from './client.js';
import { parseDurationMs, runAgent, type RunningAgent } from './agent.js';

const helperBin = join(repoRoot, 'dist', 'bin', 'ocm-credential-helper.js');
const run = promisify(execFile);

async function world(t: { after(fn: () => Promise<void> | void): void }) {
  const d = await tempDir('ocm-ts-agent-');
  t.after(d.dispose);
  const runtime = join(d.path, 'run');
  await mkdir(runtime, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = { HOME: d.path, XDG_RUNTIME_DIR: runtime };
  return { dir: d.path, env, socketDir: join(runtime, 'ocm', 'credential-helper') };
}

async function startAgent(t: { after(fn: () => Promise<void> | void): void }, env: NodeJS.ProcessEnv, now?: () => number): Promise<RunningAgent> {
  const agent = await runAgent({ env, ...(now ? { now } : {}) });
  assert.ok(agent, 'agent started');
  t.after(() => agent.stop());
  return agent;
}

const response = (token: string, expires: number) => ({ headers: { Authorization: [`Bearer ${token}`] }, expires: new Date(expires).toISOString() });

test('agent: socket directory is 0700, socket and pid file private, all owned by the user', async (t) => {
  const w = await world(t);
  await startAgent(t, w.env);
  const uid = process.getuid!();
  const dir = await stat(w.socketDir);
  assert.equal(dir.mode & 0o777, 0o700);
  assert.equal(dir.uid, uid);
  const sock = await stat(agentSocketPath(w.env));
  assert.ok(sock.isSocket());
  assert.equal(sock.mode & 0o077, 0, `socket mode ${(sock.mode & 0o777).toString(8)}`);
  assert.equal(sock.uid, uid);
  const pid = await stat(join(w.socketDir, 'agent.pid'));
  assert.equal(pid.mode & 0o777, 0o600);
  assert.equal((await readFile(join(w.socketDir, 'agent.pid'), 'utf8')).trim(), String(process.pid));
});

test('agent: a group- or world-accessible or foreign directory is refused by agent and client', async (t) => {
  const w = await world(t);
  await mkdir(w.socketDir, { recursive: true });
  await chmod(w.socketDir, 0o755);
  await assert.rejects(runAgent({ env: w.env }), /accessible to others \(mode 755\); run chmod 700/);
  await assert.rejects(agentRequest(w.env, [{ method: 'prune' }]), (e: Error) => e instanceof UnsafeAgentDir && /chmod 700/.test(e.message));
  assert.ok(!existsSync(agentSocketPath(w.env)), 'no socket created');
});

test('agent: retrieve answers the first live key, never an expired entry (checked on read, not by prune)', async (t) => {
  const w = await world(t);
  let clock = 1_000_000;
  await startAgent(t, w.env, () => clock);
  const ask = (method: 'retrieve' | 'store' | 'prune', payload?: unknown) => agentRequest(w.env, [{ method, payload }]).then((r) => r![0]!);

  assert.deepEqual(await ask('retrieve', ['fp|oci://r/a', 'fp|uri:x']), { status: 'cache-miss' });
  assert.equal((await ask('store', { cacheKey: 'fp|uri:x', response: response('u', clock + 10_000), expiresAt: clock + 10_000 })).status, 'ok');
  assert.equal((await ask('store', { cacheKey: 'fp|oci://r/a', response: response('r', clock + 5_000), expiresAt: clock + 5_000 })).status, 'ok');
  assert.deepEqual(await ask('retrieve', ['fp|oci://r/a', 'fp|uri:x']), { status: 'ok', payload: response('r', 1_005_000) });
  assert.deepEqual(await ask('retrieve', 'fp|uri:x'), { status: 'ok', payload: response('u', 1_010_000) }, 'a single key as in tweag');

  clock += 5_000; // the repository entry expires now, without any prune
  assert.deepEqual(await ask('retrieve', ['fp|oci://r/a', 'fp|uri:x']), { status: 'ok', payload: response('u', 1_010_000) }, 'expired key skipped, next one answers');
  clock += 5_000;
  assert.deepEqual(await ask('retrieve', ['fp|oci://r/a', 'fp|uri:x']), { status: 'cache-miss' });

  // Already expired, or no expiry at all: never kept.
  assert.equal((await ask('store', { cacheKey: 'fp|past', response: response('p', clock - 1), expiresAt: clock - 1 })).status, 'ok');
  assert.deepEqual(await ask('retrieve', ['fp|past']), { status: 'cache-miss' });
  assert.equal((await ask('store', { cacheKey: 'fp|forever', response: { headers: {} } })).status, 'error');
  assert.deepEqual(await ask('retrieve', ['fp|forever']), { status: 'cache-miss' });
  // The earlier of expiresAt and the response's own expires wins.
  await ask('store', { cacheKey: 'fp|both', response: response('b', clock + 1_000), expiresAt: clock + 60_000 });
  clock += 1_000;
  assert.deepEqual(await ask('retrieve', ['fp|both']), { status: 'cache-miss' });

  await ask('store', { cacheKey: 'fp|p1', response: response('p1', clock + 1), expiresAt: clock + 1 });
  clock += 2;
  assert.deepEqual(await ask('prune'), { status: 'ok', payload: { pruned: 1 } });
});

test('agent: malformed lines and unknown methods get an error reply and the connection stays usable', async (t) => {
  const w = await world(t);
  await startAgent(t, w.env);
  const lines = await new Promise<string[]>((resolve, reject) => {
    const c = connect(agentSocketPath(w.env));
    let buf = '';
    c.setEncoding('utf8');
    c.on('error', reject);
    c.on('data', (d: string) => {
      buf += d;
      const l = buf.split('\n').filter(Boolean);
      if (l.length === 3) (c.destroy(), resolve(l));
    });
    c.write('not json\n{"method":"steal"}\n{"method":"retrieve","payload":"k"}\n');
  });
  assert.deepEqual(lines.map((l) => JSON.parse(l).status), ['error', 'error', 'cache-miss']);
});

test('agent: a stale socket (nobody listening) is replaced; a second agent on a live socket backs off', async (t) => {
  const w = await world(t);
  await mkdir(w.socketDir, { recursive: true, mode: 0o700 });
  const path = agentSocketPath(w.env);
  // A socket file whose owner died: bound, never listening.
  await run('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path]);
  assert.ok((await stat(path)).isSocket());
  const first = await startAgent(t, w.env);
  assert.deepEqual(await agentRequest(w.env, [{ method: 'retrieve', payload: 'k' }]), [{ status: 'cache-miss' }]);
  assert.equal(await runAgent({ env: w.env }), undefined, 'a second agent does not start');
  assert.deepEqual(await agentRequest(w.env, [{ method: 'retrieve', payload: 'k' }]), [{ status: 'cache-miss' }], 'the first still answers');
  await first.stop();
  assert.ok(!existsSync(path), 'socket removed on stop');
  assert.ok(!existsSync(join(w.socketDir, 'agent.pid')), 'pid file removed on stop');
});

test('agent: a fresh empty pid file is an agent starting (back off); an old one or a dead pid is taken over', async (t) => {
  const w = await world(t);
  await mkdir(w.socketDir, { recursive: true, mode: 0o700 });
  const pidFile = join(w.socketDir, 'agent.pid');
  await writeFile(pidFile, '', { mode: 0o600 });
  assert.equal(await runAgent({ env: w.env }), undefined, 'another agent is between creating and writing its pid file');
  const old = new Date(Date.now() - 60_000);
  await utimes(pidFile, old, old);
  await startAgent(t, w.env);
  assert.equal((await readFile(pidFile, 'utf8')).trim(), String(process.pid));
});

test('agent: a pid file of a dead process is taken over', async (t) => {
  const w = await world(t);
  await mkdir(w.socketDir, { recursive: true, mode: 0o700 });
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => dead.on('close', r));
  await writeFile(join(w.socketDir, 'agent.pid'), `${dead.pid}\n`, { mode: 0o600 });
  await startAgent(t, w.env);
  assert.deepEqual(await agentRequest(w.env, [{ method: 'retrieve', payload: 'k' }]), [{ status: 'cache-miss' }]);
});

test('agent: shutdown over the protocol stops it and removes socket and pid file', async (t) => {
  const w = await world(t);
  const agent = await startAgent(t, w.env);
  assert.deepEqual(await agentRequest(w.env, [{ method: 'shutdown' }]), [{ status: 'ok' }]);
  await agent.closed;
  assert.ok(!existsSync(agentSocketPath(w.env)));
  assert.equal(await agentRequest(w.env, [{ method: 'prune' }]), undefined, 'no agent: the client sees undefined');
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('agent: the real agent exits on its own after CREDENTIAL_HELPER_IDLE_TIMEOUT', async (t) => {
  const w = await world(t);
  const env = { ...w.env, PATH: process.env.PATH ?? '', CREDENTIAL_HELPER_IDLE_TIMEOUT: '400ms' };
  const child = spawn(process.execPath, [helperBin, 'agent-launch'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  assert.equal(await new Promise((r) => child.on('close', r)), 0, stderr);
  const pid = Number((await readFile(join(w.socketDir, 'agent.pid'), 'utf8')).trim());
  t.after(() => {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  assert.ok(alive(pid));
  const until = Date.now() + 5_000;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!alive(pid), 'agent exited when idle');
  assert.ok(!existsSync(agentSocketPath(w.env)), 'and removed its socket');
});

test('parseDurationMs: Go durations, negative disables', () => {
  const cases: Array<[string, number | undefined]> = [
    ['3h', 3 * 3600_000], ['1h30m', 5400_000], ['90s', 90_000], ['400ms', 400], ['1.5s', 1500], ['0', 0], ['-1s', -1000],
    ['', undefined], ['3', undefined], ['3d', undefined], ['s', undefined],
  ];
  for (const [text, want] of cases) assert.equal(parseDurationMs(text), want, text);
});
