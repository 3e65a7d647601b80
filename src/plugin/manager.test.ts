import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOcmError } from '../runtime/errors.js';
import type { Logger } from '../runtime/logger.js';
import { repoRoot } from '../testing/fixtures.js';
import { createPluginManager, type PluginManagerOptions } from './manager.js';
import { removeAbandonedTempDirs } from './connection.js';
import { spawnSync } from 'node:child_process';
import type { PluginConnection } from './types.js';

const fixtureJs = join(repoRoot, 'dist', 'testing', 'plugin-fixture.js');
const b64 = Buffer.from(JSON.stringify({ type: 'object' })).toString('base64');
const decl = (type: string) => ({ type, aliases: null, jsonSchema: b64 });
const CAPS = JSON.stringify({
  capabilities: [
    { type: 'inputRepository', supportedInputTypes: [decl('Gen/v1')] },
    { type: 'blobTransformer', supportedTransformerSpecTypes: [decl('Up/v1')] },
  ],
  supportedConfigTypes: ['fixture.config.ocm.software/v1'],
});

interface Fixture {
  dir: string;
  counter: string;
  record: string;
  id: string;
  starts(): number[];
}

/** A plugin dir with one fixture plugin (unique id: Go-convention sockets live in /tmp). */
function fixture(t: TestContext, env: Record<string, string> = {}, script?: (counter: string) => string[]): Fixture {
  const root = mkdtempSync(join(tmpdir(), 'plugin-manager-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'plugins');
  mkdirSync(dir);
  const id = `fx${process.pid}${Math.random().toString(36).slice(2, 8)}`;
  const counter = join(root, 'count');
  const record = join(root, 'config.json');
  const all = { FIXTURE_CAPS: CAPS, FIXTURE_COUNTER: counter, FIXTURE_RECORD: record, ...env };
  const exports = Object.entries(all).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`);
  const body = script ? script(counter) : [...exports, `exec node ${fixtureJs} "$@"`];
  writeFileSync(join(dir, id), ['#!/bin/sh', ...body, ''].join('\n'), { mode: 0o755 });
  const starts = () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter((l) => l.startsWith('start ')).map((l) => Number(l.slice(6))) : []);
  return { dir, counter, record, id, starts };
}

async function connect(t: TestContext, f: Fixture, options: Partial<PluginManagerOptions> = {}) {
  const m = createPluginManager({ directories: [f.dir], cacheDir: false, ...options });
  t.after(() => m.shutdown());
  const [p] = await m.load();
  assert.ok(p, 'fixture loads');
  return { m, c: p.connection as PluginConnection };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const echo = (c: PluginConnection, extra: object = {}) => c.call<{ pid: number; headers: Record<string, string>; query: Record<string, string>; body: unknown }>({ method: 'POST', path: '/echo', body: { a: 1 }, ...extra });
const until = async (cond: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('lazy start: no process before the first call; one process for a binary used through two capabilities; --config in the Go shape', async (t) => {
  const f = fixture(t);
  const m = createPluginManager({
    directories: [f.dir],
    cacheDir: false,
    idleTimeoutNs: 1_800_000_000_000,
    configEntries: [
      { type: 'fixture.config.ocm.software/v1', value: { type: 'fixture.config.ocm.software/v1', answer: 42 } },
      { type: 'other.config.ocm.software/v1', value: { type: 'other.config.ocm.software/v1' } },
    ],
  });
  t.after(() => m.shutdown());
  const [p] = await m.load();
  assert.deepEqual(p!.info.capabilities.capabilities.map((c) => c.type), ['inputRepository', 'blobTransformer']);
  assert.deepEqual(m.processes(), []);
  assert.deepEqual(f.starts(), []);
  // Both capabilities' adapters share this connection: concurrent first calls share one start.
  const answers = await Promise.all([echo(p!.connection), echo(p!.connection), echo((await m.load())[0]!.connection)]);
  assert.equal(f.starts().length, 1);
  const pid = f.starts()[0]!;
  assert.deepEqual(answers.map((a) => a.pid), [pid, pid, pid]);
  assert.deepEqual(m.processes(), [{ id: f.id, pid }]);
  assert.ok(alive(pid));
  assert.deepEqual(JSON.parse(readFileSync(f.record, 'utf8')), {
    id: f.id,
    type: 'unix',
    pluginType: '',
    idleTimeout: 1_800_000_000_000,
    configTypes: [{ type: 'fixture.config.ocm.software/v1', answer: 42 }],
  });
  await m.shutdown();
  assert.equal(alive(pid), false, 'no process after shutdown');
  assert.deepEqual(m.processes(), []);
  await m.shutdown(); // idempotent
  await assert.rejects(echo(p!.connection), /shut down/);
});

test('--config omits configTypes when no config entry matches (Go shape)', async (t) => {
  const f = fixture(t);
  const { c } = await connect(t, f);
  await echo(c);
  assert.deepEqual(JSON.parse(readFileSync(f.record, 'utf8')), { id: f.id, type: 'unix', pluginType: '', idleTimeout: 3_600_000_000_000 });
});

for (const ready of ['http', 'bare', 'gounix'] as const) {
  test(`readiness line form "${ready}" is accepted and calls work`, async (t) => {
    const f = fixture(t, { FIXTURE_READY: ready, FIXTURE_SIGINT: 'leave' });
    const { m, c } = await connect(t, f);
    const a = await echo(c);
    assert.deepEqual(a.body, { a: 1 });
    await m.shutdown();
    if (ready === 'gounix') {
      assert.equal(existsSync(`/tmp/${f.id}-plugin.socket`), false, 'socket the plugin left behind is removed');
      assert.equal(existsSync(`/tmp/${f.id}-plugin.socket.lock`), false, 'and its lock');
    }
  });
}

test('a plugin that exits on its idle timeout is noticed and started again by the next call', async (t) => {
  const f = fixture(t);
  const { m, c } = await connect(t, f, { idleTimeoutNs: 300_000_000 });
  const first = (await echo(c)).pid;
  await until(() => m.processes().length === 0 && !alive(first));
  const second = (await echo(c)).pid;
  assert.notEqual(second, first);
  assert.deepEqual(f.starts(), [first, second]);
});

test('a crash during a call is a clear PLUGIN_ERROR with the exit code and stderr; the next call restarts the plugin', async (t) => {
  const f = fixture(t, { FIXTURE_STDERR: 'fixture says hello' });
  const { c } = await connect(t, f);
  const first = (await echo(c)).pid;
  await assert.rejects(c.call({ method: 'POST', path: '/crash' }), (e: unknown) => {
    assert.ok(isOcmError(e, 'PLUGIN_ERROR'));
    assert.equal(e.message, `plugin "${f.id}" exited unexpectedly (code 3) during POST /crash; last stderr: fixture says hello`);
    return true;
  });
  const second = (await echo(c)).pid;
  assert.notEqual(second, first);
});

test('a plugin that never prints readiness hits the start deadline: error names it and its stderr, no process is left', async (t) => {
  // A shell plugin: no node start-up inside the deadline, so a busy machine cannot make this flaky.
  const f = fixture(t, {}, (counter) => [
    `if [ "$1" = capabilities ]; then echo '${CAPS}'; exit 0; fi`,
    `echo "start $$" >> '${counter}'`,
    'echo "fixture: waiting forever" >&2',
    'exec sleep 60',
  ]);
  const { m, c } = await connect(t, f, { startTimeoutMs: 1500 });
  await assert.rejects(echo(c), (e: unknown) => {
    assert.ok(isOcmError(e, 'PLUGIN_ERROR'));
    assert.equal(e.message, `plugin "${f.id}" printed no readiness line within 1500 ms; last stderr: fixture: waiting forever`);
    return true;
  });
  const [pid] = f.starts();
  assert.ok(pid);
  assert.equal(alive(pid), false);
  assert.deepEqual(m.processes(), []);
});

test('a plugin ignoring SIGINT is SIGKILLed after the grace period', async (t) => {
  const f = fixture(t, { FIXTURE_SIGINT: 'ignore' });
  const { m, c } = await connect(t, f, { stopGraceMs: 400 });
  const pid = (await echo(c)).pid;
  const started = Date.now();
  await m.stop(f.id);
  assert.ok(Date.now() - started >= 350, 'waited for the grace period');
  assert.equal(alive(pid), false);
  assert.notEqual((await echo(c)).pid, pid, 'a stopped plugin starts again on the next call');
});

test('Authorization: typed credentials with sorted properties, {} or absent as the call asks; query and body pass through', async (t) => {
  const f = fixture(t);
  const { c } = await connect(t, f);
  const typed = await echo(c, { credentials: { username: 'u', password: 'p' }, query: { name: 'a/b', version: '1.0' } });
  assert.equal(typed.headers.authorization, '{"type":"Credentials/v1","properties":{"password":"p","username":"u"}}');
  assert.equal(typed.headers['content-type'], 'application/json');
  assert.equal(typed.headers.accept, 'application/json');
  assert.deepEqual(typed.query, { name: 'a/b', version: '1.0' });
  assert.deepEqual(typed.body, { a: 1 });
  assert.equal((await echo(c, { noCredentials: 'empty-object' })).headers.authorization, '{}');
  assert.equal((await echo(c, { noCredentials: 'omit' })).headers.authorization, undefined);
  assert.equal((await echo(c)).headers.authorization, undefined);
});

test('answers: non-200 plain text → PLUGIN_ERROR with message and status; bad JSON → PLUGIN_ERROR; empty 200 → undefined; abort → ABORTED', async (t) => {
  const f = fixture(t);
  const { c } = await connect(t, f);
  await assert.rejects(c.call({ method: 'GET', path: '/fail' }), (e: unknown) => {
    assert.ok(isOcmError(e, 'PLUGIN_ERROR'));
    assert.equal(e.message, `plugin "${f.id}": GET /fail failed with status 500: backend exploded: no such thing`);
    assert.deepEqual(e.details, { plugin: f.id, status: 500 });
    return true;
  });
  await assert.rejects(c.call({ method: 'GET', path: '/leaky-fail' }), (e: unknown) => {
    assert.ok(isOcmError(e, 'PLUGIN_ERROR'));
    assert.match(e.message, /login failed: password/);
    assert.doesNotMatch(e.message, /hunter2|abc\.def\.ghi/, 'secrets a plugin echoes into its error text are redacted');
    return true;
  });
  await assert.rejects(c.call({ method: 'GET', path: '/nope' }), /status 404: 404 page not found$/);
  await assert.rejects(c.call({ method: 'GET', path: '/bad-json' }), (e: unknown) => isOcmError(e, 'PLUGIN_ERROR') && /answered with invalid JSON/.test(e.message));
  assert.equal(await c.call({ method: 'GET', path: '/empty' }), undefined);
  await assert.rejects(c.call({ method: 'GET', path: '/slow', signal: AbortSignal.timeout(50) }), (e: unknown) => isOcmError(e, 'ABORTED'));
  assert.deepEqual(await c.call({ method: 'GET', path: '/slow' }), { slow: true }, 'still usable after an abort');
});

test('tempDir is private (0700), one per plugin, removed at shutdown', async (t) => {
  const f = fixture(t);
  const { m, c } = await connect(t, f);
  const d = await c.tempDir();
  assert.equal(await c.tempDir(), d);
  assert.equal(statSync(d).mode & 0o777, 0o700);
  writeFileSync(join(d, 'blob'), 'x', { mode: 0o600 });
  await echo(c);
  await m.shutdown();
  assert.equal(existsSync(d), false);
});

test('plugin data directories a killed ocm left behind are removed when their PID is gone; live ones stay', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ocm-sweep-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  const abandoned = join(dir, `ocm-plugin-my-plugin-2-${dead}-AbC123`);
  const live = join(dir, `ocm-plugin-my-plugin-2-${process.pid}-XyZ789`);
  const unrelated = join(dir, 'ocm-plugin-AbC123');
  for (const d of [abandoned, live, unrelated]) mkdirSync(d);
  writeFileSync(join(abandoned, 'blob-1'), 'leftover');
  await removeAbandonedTempDirs(dir);
  assert.deepEqual([existsSync(abandoned), existsSync(live), existsSync(unrelated)], [false, true, true]);
});

test("secrets in a plugin's JSON stderr log never reach our logger; the line arrives at its level with the plugin id", async (t) => {
  const f = fixture(t);
  const seen: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    debug: (msg, fields) => seen.push({ level: 'debug', msg, fields }),
    info: (msg, fields) => seen.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => seen.push({ level: 'warn', msg, fields }),
  };
  const { m, c } = await connect(t, f, { logger });
  await c.call({ method: 'GET', path: '/log' });
  await m.shutdown();
  const all = JSON.stringify(seen);
  for (const secret of ['hunter2', 'tok-123', '"s3"']) assert.ok(!all.includes(secret), `${secret} leaked: ${all}`);
  const warn = seen.find((s) => s.level === 'warn');
  assert.deepEqual(warn, { level: 'warn', msg: 'resolving password=<redacted>', fields: { token: '<redacted>', user: 'alice', nested: { secret: '<redacted>' }, plugin: f.id } });
  // Lifecycle is visible at debug.
  for (const what of ['starting', 'ready at http+unix://', 'stopped']) assert.ok(seen.some((s) => s.level === 'debug' && s.msg.includes(what)), what);
});

test('a CLI that exits without shutdown() leaves no plugin behind (synchronous exit hook)', async (t) => {
  // Neither SIGINT nor stdin EOF would stop this one: only the hook's SIGKILL does.
  const f = fixture(t, { FIXTURE_SIGINT: 'ignore', FIXTURE_STDIN: 'ignore' });
  const managerJs = join(repoRoot, 'dist', 'plugin', 'manager.js');
  const script = `
    import { createPluginManager } from ${JSON.stringify(managerJs)};
    const m = createPluginManager({ directories: [${JSON.stringify(f.dir)}], cacheDir: false });
    const [p] = await m.load();
    await p.connection.call({ method: 'POST', path: '/echo' });
    process.exit(7); // an error path that skips shutdown()
  `;
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 7, r.stderr);
  const [pid] = f.starts();
  assert.ok(pid);
  await until(() => !alive(pid!), 2000);
});
