/**
 * The plugin's HTTP server: Unix socket (private 0700 dir, or Go's `/tmp/<id>-plugin.socket` + lock)
 * or loopback TCP, the readiness line, `/healthz`, `/shutdown`, request limits, the idle timer
 * (paused while requests are in flight) and graceful stop.
 */
import { processAlive } from '../../internal/atomic.js';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PluginDefinition } from './contracts.js';
import type { Logger } from './log.js';
import { buildRoutes } from './routes.js';
import { PluginError, credentialsFromHeader, sendError, sendJson } from './wire.js';

/** The `--config` JSON the host passes (Go `types.Config`). */
export interface PluginConfig {
  readonly id: string;
  readonly type?: 'unix' | 'tcp';
  readonly pluginType?: string;
  /** Integer nanoseconds (Go `time.Duration`); default 1 h. */
  readonly idleTimeout?: number;
  /** `.ocmconfig` entries of the plugin's `supportedConfigTypes`. */
  readonly configTypes?: readonly Record<string, unknown>[];
}

export interface RunningPlugin {
  /** `http+unix://<socket>` or `http://127.0.0.1:<port>`: the readiness line. */
  readonly address: string;
  /** The socket path (unix) or undefined (tcp). */
  readonly socketPath?: string;
  /** Graceful stop: no new connections, in-flight requests get up to 5 s, socket/lock/temp removed. */
  stop(reason: string): Promise<void>;
  /** Resolves when the plugin has stopped (idle timeout, `/shutdown`, signal, `stop`). */
  readonly stopped: Promise<void>;
}

export const DEFAULT_IDLE_TIMEOUT_NS = 3_600_000_000_000;
const STOP_GRACE_MS = 5_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Go's convention: one socket per plugin id in /tmp; a live PID in the lock means another instance. */
function prepareGoSocket(id: string): { socketPath: string; lockPath: string } {
  if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new Error(`plugin id ${JSON.stringify(id)} cannot name a socket file; use letters, digits, '.', '_' or '-'`);
  const socketPath = `/tmp/${id}-plugin.socket`;
  const lockPath = `${socketPath}.lock`;
  if (existsSync(socketPath) || existsSync(lockPath)) {
    let pid = NaN;
    try {
      pid = Number.parseInt(readFileSync(lockPath, 'utf8').trim(), 10);
    } catch { /* no lock: a stale socket */ }
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new Error(`process using socket file ${socketPath} is still alive (pid ${pid}); stop it or remove the file`);
    }
    rmSync(socketPath, { force: true });
    rmSync(lockPath, { force: true });
  }
  return { socketPath, lockPath };
}

/** Starts serving `def` per `config`; prints the readiness line to `stdout` once listening. */
export async function startServer(
  def: PluginDefinition,
  config: PluginConfig,
  io: { stdout: { write(s: string): unknown }; log: Logger; tempDirs?: Set<string> },
): Promise<RunningPlugin> {
  const routes = buildRoutes(def);
  const log = io.log;
  const lifetime = new AbortController();
  let inFlight = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));

  const idleNs = typeof config.idleTimeout === 'number' && config.idleTimeout > 0 ? config.idleTimeout : DEFAULT_IDLE_TIMEOUT_NS;
  const idleMs = Math.min(Math.max(1, Math.round(idleNs / 1e6)), MAX_TIMER_MS);
  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => void stop('idle timeout'), idleMs);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://unix');
    const path = url.pathname;
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'Method Not Allowed');
      res.writeHead(200, { 'Content-Length': 0 });
      return void res.end();
    }
    if (path === '/shutdown') {
      res.writeHead(200, { 'Content-Length': 0 });
      res.end();
      // After the answer is out: the host waits for it before it expects the exit.
      res.once('close', () => void stop('shutdown requested'));
      return undefined;
    }
    const route = routes.get(path);
    if (!route) return sendError(res, 404, '404 page not found');
    if (req.method !== route.method) {
      res.setHeader('Allow', route.method);
      return sendError(res, 405, 'Method Not Allowed');
    }
    const call = new AbortController();
    const onAbort = () => call.abort(new Error('plugin stopping'));
    lifetime.signal.addEventListener('abort', onAbort, { once: true });
    res.once('close', () => {
      if (!res.writableFinished) call.abort(new Error('client disconnected'));
      lifetime.signal.removeEventListener('abort', onAbort);
    });
    try {
      const credentials = credentialsFromHeader(req.headers.authorization);
      const answer = await route.handle(req, url, { credentials, signal: call.signal, log });
      sendJson(res, answer);
    } catch (e) {
      const status = e instanceof PluginError && e.status >= 400 && e.status <= 599 ? e.status : 500;
      const message = e instanceof Error ? e.message : String(e);
      if (status >= 500) log.error('request failed', { path, status, error: message });
      sendError(res, status, message || 'internal error');
    }
    return undefined;
  };

  const server: Server = createServer({ headersTimeout: 5_000, requestTimeout: 15_000 }, (req, res) => {
    inFlight++;
    clearTimeout(idleTimer);
    res.once('close', () => {
      if (--inFlight === 0 && !stopping) armIdle();
    });
    handle(req, res).catch((e: unknown) => sendError(res, 500, e instanceof Error ? e.message : String(e)));
  });

  let socketPath: string | undefined;
  let lockPath: string | undefined;
  let privateDir: string | undefined;
  let address: string;
  if (config.type === 'tcp') {
    await listen(server, { port: 0, host: '127.0.0.1' });
    address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  } else {
    if (def.socket === 'go') {
      ({ socketPath, lockPath } = prepareGoSocket(config.id));
    } else {
      // mkdtemp creates the directory 0700: only our user can reach the socket.
      privateDir = mkdtempSync(join(tmpdir(), 'ocm-plugin-'));
      socketPath = join(privateDir, 'plugin.socket');
    }
    await listen(server, { path: socketPath });
    chmodSync(socketPath, 0o600);
    if (lockPath) {
      const tmp = `${lockPath}.${process.pid}.tmp`;
      writeFileSync(tmp, String(process.pid), { mode: 0o600 });
      renameSync(tmp, lockPath);
    }
    address = `http+unix://${socketPath}`;
  }

  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      clearTimeout(idleTimer);
      log.info('plugin stopping', { reason });
      lifetime.abort(new Error('plugin stopping'));
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS);
      await closed;
      clearTimeout(grace);
      if (socketPath) rmSync(socketPath, { force: true });
      if (lockPath) rmSync(lockPath, { force: true });
      if (privateDir) rmSync(privateDir, { recursive: true, force: true });
      for (const d of io.tempDirs ?? []) rmSync(d, { recursive: true, force: true });
      resolveStopped();
    })();
    return stopping;
  };

  armIdle();
  io.stdout.write(`${address}\n`);
  log.info('plugin listening', { id: config.id, address, idleTimeoutMs: idleMs });
  return { address, ...(socketPath ? { socketPath } : {}), stop, stopped };
}

function listen(server: Server, at: { path: string } | { port: number; host: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
