/**
 * One plugin process: `<path> --config '<json>'`, the readiness line on stdout, `/healthz`, and the
 * stop sequence (SIGINT, grace, SIGKILL). Every child is also in a process-wide set that an
 * `exit` hook SIGKILLs synchronously, so an error path that skips shutdown leaves no plugin behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import type { Logger } from '../runtime/logger.js';
import { describeEndpoint, rawRequest, type Endpoint } from './http.js';
import { oneLine, pluginStderr } from './stderr-log.js';

/** Bound of what we read from stdout while waiting for the readiness line. */
const MAX_READINESS_BYTES = 64 * 1024;
const HEALTH_POLL_MS = 20;

const live = new Set<ChildProcess>();
let hookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  if (!hookInstalled) {
    hookInstalled = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

/**
 * The endpoint in a readiness line: `http+unix://<path>`, `http://host:port`, or the Go SDK's bare
 * `[::]:PORT` / `host:port` (an unspecified host means loopback: the plugin listens everywhere).
 */
export function parseReadiness(line: string): Endpoint | undefined {
  const s = line.trim();
  if (s.startsWith('http+unix://')) {
    const p = s.slice('http+unix://'.length);
    return p.startsWith('/') ? { kind: 'unix', socketPath: p } : undefined;
  }
  const m = /^(?:http:\/\/)?(\[[0-9A-Fa-f:.]*\]|[A-Za-z0-9.-]*):(\d{1,5})\/?$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  let host = m[1]!.replace(/^\[|\]$/g, '');
  if (host === '' || host === '::' || host === '0.0.0.0') host = '127.0.0.1';
  return { kind: 'tcp', host, port };
}

export interface StartOptions {
  readonly id: string;
  readonly path: string;
  /** The `--config` object (Go's types.Config). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  readonly startTimeoutMs: number;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export function describeExit(x: ExitInfo): string {
  return x.signal ? `signal ${x.signal}` : `code ${x.code}`;
}

export class PluginProcess {
  readonly id: string;
  readonly pid: number;
  readonly endpoint: Endpoint;
  readonly agent: Agent;
  readonly exited: Promise<ExitInfo>;
  readonly #child: ChildProcess;
  readonly #stderr: () => readonly string[];
  #exit: ExitInfo | undefined;
  /** True once we asked it to stop (an exit then is not a crash). */
  stopping = false;

  constructor(id: string, child: ChildProcess, endpoint: Endpoint, exited: Promise<ExitInfo>, stderr: () => readonly string[]) {
    this.id = id;
    this.pid = child.pid!;
    this.endpoint = endpoint;
    this.#child = child;
    this.#stderr = stderr;
    this.agent = new Agent({ keepAlive: true, maxSockets: 16 });
    this.exited = exited.then((x) => (this.#exit = x));
  }

  get exitInfo(): ExitInfo | undefined {
    return this.#exit;
  }

  stderrTail(): string {
    const lines = this.#stderr();
    return lines.length ? oneLine(lines.slice(-5).join(' | '), 1000) : '(nothing on stderr)';
  }

  /** SIGINT, then SIGKILL after `graceMs`; resolves once the process is gone and its socket removed. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.agent.destroy();
    if (!this.#exit) {
      this.#child.ref(); // we wait for its exit now: that wait must keep the event loop alive
      this.#child.kill('SIGINT');
      const t = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(t);
    }
  }
}

/** Removes a socket the plugin left behind, but only Go's `/tmp/<id>-plugin.socket` whose lock names this PID, or one in a directory we own. */
export function removeLeftoverSocket(id: string, pid: number, ep: Endpoint, ownedDirs: readonly string[]): void {
  if (ep.kind !== 'unix') return;
  const p = ep.socketPath;
  if (ownedDirs.some((d) => p.startsWith(`${d}/`))) {
    rmSync(p, { force: true });
    return;
  }
  if (p !== join('/tmp', `${id}-plugin.socket`)) return;
  try {
    if (readFileSync(`${p}.lock`, 'utf8').trim() !== String(pid)) return;
  } catch {
    return;
  }
  rmSync(p, { force: true });
  rmSync(`${p}.lock`, { force: true });
}

function startError(id: string, what: string, stderr: readonly string[]): OcmError {
  const tail = stderr.length ? oneLine(stderr.slice(-5).join(' | '), 1000) : '(nothing on stderr)';
  return new OcmError(ErrorCode.PLUGIN_ERROR, `plugin "${id}" ${what}; last stderr: ${tail}`, { details: { plugin: id } });
}

/** Starts the process and waits for its readiness line and a `/healthz` answer, all within the start deadline. */
export async function startPluginProcess(o: StartOptions): Promise<PluginProcess> {
  const deadline = Date.now() + o.startTimeoutMs;
  const stderr = pluginStderr(o.id, o.logger);
  // stdin is a pipe we never write: our SDK exits when it reads EOF, i.e. when this process died.
  const child = spawn(o.path, ['--config', JSON.stringify(o.config)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...o.env, OCM_PLUGIN_STDIN_WATCH: '1' },
  });
  let exitInfo: ExitInfo | undefined;
  let spawnError: NodeJS.ErrnoException | undefined;
  const exited = new Promise<ExitInfo>((resolveExit) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (x: ExitInfo) => {
      clearTimeout(timer);
      live.delete(child);
      stderr.flush();
      resolveExit(x);
    };
    child.on('close', (code, signal) => done({ code, signal }));
    // 'close' waits for stdio; a grandchild holding stderr must not delay noticing the exit much.
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      timer = setTimeout(() => done({ code, signal }), 100);
    });
    child.on('error', (e) => {
      spawnError = e;
      done({ code: null, signal: null });
    });
  });
  if (child.pid !== undefined) track(child);
  // The CLI must be able to exit without waiting for the plugin; in-flight calls and the start deadline keep the loop alive.
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
  child.stdin!.on('error', () => {});
  child.stderr!.on('data', (b: Buffer) => stderr.push(b));
  o.logger.debug(`plugin ${o.id}: starting`, { plugin: o.id, path: o.path, pid: child.pid });

  const fail = async (what: string): Promise<never> => {
    child.ref(); // we wait for its exit now: that wait must keep the event loop alive
    child.kill('SIGKILL');
    await exited;
    throw startError(o.id, spawnError ? `cannot be started (${spawnError.code ?? spawnError.message})` : what, stderr.lines());
  };

  const endpoint = await new Promise<Endpoint | string>((resolveReady) => {
    let settled = false;
    let buf = '';
    let read = 0;
    const finish = (r: Endpoint | string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolveReady(r);
    };
    const onData = (b: Buffer) => {
      read += b.length;
      buf += b.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        const ep = parseReadiness(l);
        if (ep) return finish(ep);
      }
      if (read > MAX_READINESS_BYTES) finish(`printed more than ${MAX_READINESS_BYTES} bytes on stdout without a readiness line`);
    };
    const timer = setTimeout(() => finish(`printed no readiness line within ${o.startTimeoutMs} ms`), o.startTimeoutMs);
    child.stdout!.on('data', onData);
    void exited.then(() => finish(`exited during start-up with ${exitInfo ? describeExit(exitInfo) : 'an error'} before printing a readiness line`));
  });
  if (typeof endpoint === 'string') return fail(endpoint);
  child.stdout!.resume(); // later stdout is drained and dropped: only the readiness line means something

  const proc = new PluginProcess(o.id, child, endpoint, exited, () => stderr.lines());
  for (;;) {
    if (exitInfo || spawnError) {
      proc.agent.destroy();
      return fail(`exited during start-up with ${exitInfo ? describeExit(exitInfo) : 'an error'} before answering /healthz`);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      proc.agent.destroy();
      return fail(`did not answer /healthz at ${describeEndpoint(endpoint)} within ${o.startTimeoutMs} ms`);
    }
    try {
      await rawRequest(endpoint, proc.agent, { method: 'GET', path: '/healthz', maxBytes: 1024, overflow: 'truncate', timeoutMs: Math.max(left, 1) });
      break; // any HTTP answer means it serves
    } catch {
      await new Promise((r) => setTimeout(r, Math.min(HEALTH_POLL_MS, Math.max(left, 1))));
    }
  }
  o.logger.debug(`plugin ${o.id}: ready at ${describeEndpoint(endpoint)}`, { plugin: o.id, pid: proc.pid });
  return proc;
}
