/**
 * The caching agent of `ocm-credential-helper` (`agent-run`): a per-user process holding answers
 * in memory only, on a Unix socket in a 0700 directory. Unlike tweag's agent, expiry is checked
 * on every read (an expired entry is never served) and the prune timer only frees memory.
 * Node cannot read the peer's uid (SO_PEERCRED), so who may connect is decided by the directory:
 * created with umask 077, ours, mode 0700, else the agent refuses to start.
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { agentPidPath, agentSocketPath, MAX_LINE, unsafeDirReason, type AgentReply } from './client.js';

/** At most this many answers are held; the oldest go first (Bazel asks per blob, answers are per repository). */
const MAX_ENTRIES = 10_000;

export interface AgentOptions {
  env: NodeJS.ProcessEnv;
  /** Clock, for tests (default Date.now). */
  now?: () => number;
  signal?: AbortSignal;
  /** Debug lines (never a secret: keys are fingerprinted, values are never logged). */
  log?: (line: string) => void;
}

export interface RunningAgent {
  socketPath: string;
  /** Resolves when the agent has stopped (shutdown, idle, signal). */
  closed: Promise<void>;
  stop(): Promise<void>;
}

interface Entry {
  response: unknown;
  expiresAt: number;
}

/** Go duration (`90s`, `1h30m`, `-1s`) in ms; a local copy keeps the agent free of the plugin layer. */
export function parseDurationMs(text: string): number | undefined {
  const s = text.trim();
  const neg = s.startsWith('-');
  const body = s.replace(/^[+-]/, '');
  if (body === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 36e5 };
  let total = 0;
  let at = 0;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    total += Number(m[1]) * unit[m[2]!]!;
    at = re.lastIndex;
  }
  if (body === '' || at !== body.length) return undefined;
  return neg ? -total : total;
}

function durationSetting(env: NodeJS.ProcessEnv, name: string, fallbackMs: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallbackMs;
  const ms = parseDurationMs(v);
  if (ms === undefined) throw new Error(`${name}=${JSON.stringify(v)} is not a duration; use e.g. "3h", "30m" or "90s"`);
  return ms;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function connectable(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(path);
    c.on('connect', () => (c.destroy(), resolve(true)));
    c.on('error', () => resolve(false));
  });
}

/**
 * Takes the pid file (O_EXCL). Returns false when another live agent holds it (a pid file of a
 * dead process, or of a live one whose socket has answered nothing for 10 s — a reused pid — is
 * taken over).
 */
async function takePidFile(pidPath: string, socketPath: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(pidPath, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let text: string;
    try {
      text = readFileSync(pidPath, 'utf8').trim();
    } catch {
      continue; // removed meanwhile: try to create it again
    }
    const pid = Number.parseInt(text, 10);
    const age = Date.now() - (statSync(pidPath, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    // An empty file is an agent between creating and writing it: starting, not stale.
    if (text === '' && age < 10_000) return false;
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid) && ((await connectable(socketPath)) || age < 10_000)) return false;
    try {
      unlinkSync(pidPath);
    } catch {
      // Another agent took it over first; the next attempt sees its pid.
    }
  }
  return false;
}

/** Starts the agent; resolves once it listens, or to undefined when another agent already runs. */
export async function runAgent(opts: AgentOptions): Promise<RunningAgent | undefined> {
  const { env } = opts;
  const now = opts.now ?? Date.now;
  const log = opts.log ?? (() => {});
  const idleMs = durationSetting(env, 'CREDENTIAL_HELPER_IDLE_TIMEOUT', 3 * 3600_000);
  const pruneMs = durationSetting(env, 'CREDENTIAL_HELPER_PRUNE_INTERVAL', 60_000);
  const socketPath = agentSocketPath(env);
  const pidPath = agentPidPath(env);
  const dir = dirname(socketPath);

  const removePidFileIfOurs = () => {
    try {
      if (readFileSync(pidPath, 'utf8').trim() === String(process.pid)) unlinkSync(pidPath);
    } catch {
      // already gone
    }
  };

  // Everything the agent creates (directory, socket, pid file) is private to the user; the umask
  // is restored once they exist (it is process-wide, and the agent may run inside a test).
  const oldUmask = process.umask(0o077);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const bad = unsafeDirReason(dir);
    if (bad) throw new Error(bad);
    if (!(await takePidFile(pidPath, socketPath))) {
      log('another agent is running');
      return undefined;
    }
    return await listenAndServe();
  } finally {
    process.umask(oldUmask);
  }

  async function listenAndServe(): Promise<RunningAgent | undefined> {
    const cache = new Map<string, Entry>();
    const sockets = new Set<Socket>();
    const server: Server = createServer((s) => serve(s));
    let idleTimer: NodeJS.Timeout | undefined;
    let pruneTimer: NodeJS.Timeout | undefined;
    let stopping: Promise<void> | undefined;
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));

    const touch = () => {
      if (idleMs <= 0) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        log('idle timeout');
        void stop();
      }, idleMs);
    };

    const prune = () => {
      const t = now();
      let n = 0;
      for (const [k, e] of cache) if (e.expiresAt <= t) (cache.delete(k), n++);
      return n;
    };

    const handle = (line: string): AgentReply => {
      let req: { method?: unknown; payload?: unknown };
      try {
        req = JSON.parse(line) as typeof req;
      } catch {
        return { status: 'error', payload: 'request is not JSON' };
      }
      switch (req?.method) {
        case 'retrieve': {
          const keys = Array.isArray(req.payload) ? req.payload : [req.payload];
          const t = now();
          for (const k of keys) {
            if (typeof k !== 'string') continue;
            const e = cache.get(k);
            if (!e) continue;
            // Expiry is checked on read: an entry is never served after its expiry, prune or not.
            if (e.expiresAt <= t) {
              cache.delete(k);
              continue;
            }
            log('retrieve: hit');
            return { status: 'ok', payload: e.response };
          }
          log('retrieve: miss');
          return { status: 'cache-miss' };
        }
        case 'store': {
          const p = req.payload as { cacheKey?: unknown; response?: { expires?: unknown }; expiresAt?: unknown } | undefined;
          if (!p || typeof p.cacheKey !== 'string' || p.cacheKey === '' || typeof p.response !== 'object' || p.response === null) {
            return { status: 'error', payload: 'store needs {cacheKey, response}' };
          }
          const fromResponse = typeof p.response.expires === 'string' ? Date.parse(p.response.expires) : NaN;
          const expiresAt = typeof p.expiresAt === 'number' ? (Number.isNaN(fromResponse) ? p.expiresAt : Math.min(p.expiresAt, fromResponse)) : fromResponse;
          // Only answers that expire are kept (as tweag does); one without expiry could be served forever.
          if (!Number.isFinite(expiresAt)) return { status: 'error', payload: 'store needs an expiry' };
          if (expiresAt <= now()) return { status: 'ok' };
          cache.delete(p.cacheKey);
          cache.set(p.cacheKey, { response: p.response, expiresAt });
          if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
          log('store');
          return { status: 'ok' };
        }
        case 'prune':
          return { status: 'ok', payload: { pruned: prune() } };
        case 'shutdown':
          setImmediate(() => void stop());
          return { status: 'ok' };
        default:
          return { status: 'error', payload: 'unknown method; use retrieve, store, prune or shutdown' };
      }
    };

    function serve(s: Socket) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
      s.setEncoding('utf8');
      let buf = '';
      touch();
      s.on('data', (d: string) => {
        buf += d;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim() !== '') s.write(JSON.stringify(handle(line)) + '\n');
        }
        if (buf.length > MAX_LINE) s.destroy();
        touch();
      });
    }

    const listen = () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => (server.off('error', reject), resolve()));
      });
    try {
      await listen();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      // We hold the pid file, so a socket that exists is a leftover; replace it unless someone answers on it.
      if (await connectable(socketPath)) {
        removePidFileIfOurs();
        return undefined;
      }
      unlinkSync(socketPath);
      await listen();
    }
    const socketIno = statSync(socketPath).ino;

    async function stop(): Promise<void> {
      stopping ??= (async () => {
        clearTimeout(idleTimer);
        clearInterval(pruneTimer);
        cache.clear();
        await new Promise<void>((r) => {
          server.close(() => r());
          for (const s of sockets) s.end();
        });
        // Remove only what is still ours (a successor may have replaced them).
        try {
          if (statSync(socketPath).ino === socketIno) unlinkSync(socketPath);
        } catch {
          // already gone
        }
        removePidFileIfOurs();
        log('stopped');
        resolveClosed();
      })();
      return stopping;
    }

    pruneTimer = setInterval(prune, pruneMs > 0 ? pruneMs : 60_000);
    pruneTimer.unref();
    touch();
    opts.signal?.addEventListener('abort', () => void stop(), { once: true });
    log(`listening on ${socketPath}`);
    return { socketPath, closed, stop };
  }
}

/** `agent-run`: runs the agent in this process until shutdown, idle timeout or SIGTERM/SIGINT. */
export async function agentRunMain(env: NodeJS.ProcessEnv, log?: (line: string) => void): Promise<number> {
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const agent = await runAgent({ env, signal: ac.signal, ...(log ? { log } : {}) });
  if (agent) await agent.closed;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return 0;
}

