/**
 * Plugin lifecycle: idle timeout (paused while requests are in flight), SIGINT/SIGTERM, stdin EOF,
 * /shutdown, socket and lock clean-up, Go's socket convention, TCP, bad --config, error answers.
 * Process tests run against the TS toolbox and the Python plugin; SDK internals run in-process.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureExamplesBuilt, exampleLaunchers, startPluginProcess } from '../../testing/plugin-process.js';
import type { PluginDefinition } from './contracts.js';
import { runPlugin } from './run.js';
import { s } from './schema.js';
import { PluginError } from './wire.js';

const hasPython = spawnSync('python3', ['--version']).status === 0;
const NS_PER_MS = 1_000_000;

for (const [name, launcher] of [['toolbox', exampleLaunchers.toolbox], ['pytools', exampleLaunchers.pytools]] as const) {
  describe(`${name} process lifecycle`, { skip: name === 'pytools' && !hasPython ? 'python3 is not installed: the Python example plugin cannot run' : false }, () => {
    const start = async (config: Record<string, unknown>, options?: Parameters<typeof startPluginProcess>[2]) => {
      await ensureExamplesBuilt();
      return startPluginProcess(launcher, { id: `ocm-plugin-${name}`, type: 'unix', ...config }, options);
    };

    test('idle timeout: exits 0 after the timeout and removes its socket and directory', async (t) => {
      const p = await start({ idleTimeout: 300 * NS_PER_MS });
      t.after(() => p.stop());
      // The request re-arms the timer when it ends, so the exit comes at least a full timeout after it began.
      const began = Date.now();
      assert.equal((await p.call('GET', '/healthz')).status, 200);
      assert.equal(await p.exited(), 0);
      assert.ok(Date.now() - began >= 290, `exited ${Date.now() - began} ms after the last request began`);
      assert.equal(existsSync(p.socketPath!), false);
      assert.equal(existsSync(dirname(p.socketPath!)), false);
    });

    test('SIGINT and SIGTERM: graceful stop, exit 0, socket removed, stdout held only the readiness line, stderr JSON lines', async (t) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        const p = await start({});
        t.after(() => p.stop());
        assert.equal((await p.call('POST', '/sign', { body: '{' })).status, 400);
        p.proc.kill(signal);
        assert.equal(await p.exited(), 0, signal);
        assert.equal(existsSync(p.socketPath!), false);
        assert.equal(p.stdout(), `${p.address}\n`);
        const lines = p.stderr().trim().split('\n');
        for (const line of lines) {
          const entry = JSON.parse(line) as Record<string, unknown>;
          assert.ok(typeof entry.time === 'string' && ['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(entry.level as string) && typeof entry.msg === 'string', line);
        }
        assert.ok(lines.some((l) => (JSON.parse(l) as { reason?: string }).reason === `signal ${signal}`), p.stderr());
      }
    });

    test('stdin EOF stops the plugin when OCM_PLUGIN_STDIN_WATCH=1, and does not without it', async (t) => {
      const watched = await start({}, { stdin: 'pipe', env: { OCM_PLUGIN_STDIN_WATCH: '1' } });
      const unwatched = await start({}, { stdin: 'pipe', env: { OCM_PLUGIN_STDIN_WATCH: '' } });
      t.after(() => Promise.all([watched.stop(), unwatched.stop()]));
      watched.proc.stdin!.end();
      unwatched.proc.stdin!.end();
      assert.equal(await watched.exited(), 0);
      assert.equal(existsSync(watched.socketPath!), false);
      await sleep(300);
      assert.equal((await unwatched.call('GET', '/healthz')).status, 200);
    });

    test('a host that dies (stdin EOF, its pipes closed) leaves nothing: the plugin survives EPIPE on its logs and removes its socket directory', async (t) => {
      const p = await start({}, { stdin: 'pipe', env: { OCM_PLUGIN_STDIN_WATCH: '1' } });
      t.after(() => p.stop());
      // The read ends of the plugin's stdout and stderr go away with the host: its "stopping" log line hits EPIPE.
      p.proc.stdout!.destroy();
      p.proc.stderr!.destroy();
      p.proc.stdin!.end();
      assert.equal(await p.exited(), 0);
      assert.equal(existsSync(dirname(p.socketPath!)), false);
    });

    test('/shutdown answers 200, then the plugin exits 0', async (t) => {
      const p = await start({});
      t.after(() => p.stop());
      const r = await p.call('POST', '/shutdown');
      assert.equal(r.status, 200);
      assert.equal(await p.exited(), 0);
    });

    test('TCP: listens on 127.0.0.1 with a free port and says so as http://127.0.0.1:<port>', async (t) => {
      const p = await start({ type: 'tcp' });
      t.after(() => p.stop());
      assert.match(p.address, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await p.call('GET', '/healthz')).status, 200);
    });

    test('--config with an empty id: exit 1 with one line on stderr, nothing on stdout', () => {
      // The parser's other error cases are a table in capabilities.test.ts (TS) — here only the process contract.
      for (const config of ['{"id":""}']) {
        const r = spawnSync(launcher, ['--config', config], { encoding: 'utf8' });
        assert.equal(r.status, 1, config);
        assert.equal(r.stdout, '');
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, /--config/);
      }
      const eq = spawnSync(launcher, ['--config={"id":""}'], { encoding: 'utf8' });
      assert.equal(eq.status, 1);
      assert.match(eq.stderr, /plugin id is required/);
    });
  });
}

/** Runs a plugin definition in this process (no signal handlers, exit captured). */
async function inProcess(def: PluginDefinition, config: Record<string, unknown>) {
  let out = '';
  let err = '';
  let exitCode: number | undefined;
  const running = await runPlugin(def, {
    argv: ['--config', JSON.stringify(config)],
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    exit: (code) => (exitCode = code),
    handleProcess: false,
  });
  const call = (method: string, path: string, body?: string) => new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request({ socketPath: running!.socketPath!, method, path, agent: false, headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  return { running, call, out: () => out, err: () => err, exitCode: () => exitCode };
}

const Gen = s.object({ type: s.string() }, { required: ['type'] });

describe('SDK server in-process', () => {
  test('an in-flight request pauses the idle timer; it restarts when the request ends', async (t) => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = await inProcess({ capabilities: { inputRepository: { types: [{ type: 'Slow/v1', schema: Gen }], async processResource({ resource }) {
      await gate;
      return { resource, location: { type: 'localFile', value: '/dev/null' } };
    } } } }, { id: 'slow', idleTimeout: 200 * NS_PER_MS });
    t.after(() => p.running!.stop('test end'));
    const pending = p.call('POST', '/resource/process', JSON.stringify({ resource: { name: 'r', input: { type: 'Slow/v1' } } }));
    await sleep(600);
    assert.equal(p.exitCode(), undefined, 'still running while the request is in flight');
    release();
    assert.equal((await pending).status, 200);
    await p.running!.stopped;
    assert.equal(p.exitCode(), 0);
    assert.match(p.err(), /"reason":"idle timeout"/);
  });

  test('handler errors: a thrown Error is a plain-text 500, a PluginError keeps its status, an oversized body is 413', async (t) => {
    const p = await inProcess({
      maxBodyBytes: 1024,
      capabilities: { inputRepository: { types: [{ type: 'E/v1', schema: Gen }], processResource({ resource }) {
        if ((resource as { name?: string }).name === 'teapot') throw new PluginError(418, 'short and stout');
        throw new Error('boom\nsecond line');
      } } },
    }, { id: 'errors' });
    t.after(() => p.running!.stop('test end'));
    const body = (name: string) => JSON.stringify({ resource: { name, input: { type: 'E/v1' } } });
    assert.deepEqual(await p.call('POST', '/resource/process', body('x')), { status: 500, text: 'boom second line\n' });
    assert.deepEqual(await p.call('POST', '/resource/process', body('teapot')), { status: 418, text: 'short and stout\n' });
    const big = await p.call('POST', '/resource/process', JSON.stringify({ resource: { name: 'x'.repeat(2000), input: { type: 'E/v1' } } }));
    assert.equal(big.status, 413);
    assert.match(p.err(), /"level":"ERROR","msg":"request failed"/);
  });

  test('Go socket convention: /tmp/<id>-plugin.socket with a PID lock; a live holder fails the start, a stale lock is cleared', async (t) => {
    const id = `ocm-sdk-test-${process.pid}-${Date.now()}`;
    const socket = `/tmp/${id}-plugin.socket`;
    const lock = `${socket}.lock`;
    const def: PluginDefinition = { socket: 'go', capabilities: {} };
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    t.after(() => {
      holder.kill('SIGKILL');
      for (const f of [socket, lock]) rmSync(f, { force: true });
    });
    writeFileSync(socket, '');
    writeFileSync(lock, String(holder.pid));
    const live = await inProcess(def, { id });
    assert.equal(live.running, undefined);
    assert.equal(live.exitCode(), 1);
    assert.match(live.err(), /^process using socket file \/tmp\/.*-plugin\.socket is still alive \(pid \d+\); stop it or remove the file\n$/);

    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const p = await inProcess(def, { id });
    assert.ok(p.running, p.err());
    assert.equal(p.out(), `http+unix://${socket}\n`);
    assert.equal(readFileSync(lock, 'utf8'), String(process.pid));
    assert.equal((await p.call('GET', '/healthz')).status, 200);
    await p.running!.stop('test end');
    assert.equal(existsSync(socket), false);
    assert.equal(existsSync(lock), false);

    const traversal = await inProcess(def, { id: '../etc/x' });
    assert.equal(traversal.exitCode(), 1);
    assert.match(traversal.err(), /cannot name a socket file/);
  });
});
