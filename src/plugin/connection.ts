/**
 * The `PluginConnection` of one plugin binary: starts the process on the first call (concurrent
 * first calls share one start), speaks HTTP+JSON to it, notices when it exits (idle timeout,
 * crash) and starts it again on the next call.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Credentials } from '../runtime/credentials-types.js';
import { processAlive } from '../internal/atomic.js';
import { ErrorCode, OcmError, throwIfAborted } from '../runtime/errors.js';
import { BodyTooLarge, rawRequest } from './http.js';
import { describeExit, removeLeftoverSocket, startPluginProcess, type PluginProcess, type StartOptions } from './process.js';
import { oneLine, redactText } from './stderr-log.js';
import type { PluginCall, PluginConnection } from './types.js';

/** Bound of a 200 JSON answer (descriptors, lists; blobs travel as files). */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
/** Bound of a non-200 (plain-text) answer we keep for the error message. */
export const MAX_ERROR_BYTES = 64 * 1024;

export interface HandleOptions extends StartOptions {
  readonly stopGraceMs: number;
}

/** `Authorization` value: typed credentials with sorted properties, `{}`, or none. */
export function authorizationHeader(credentials: Credentials | undefined, none: PluginCall['noCredentials']): string | undefined {
  if (credentials && Object.keys(credentials).length > 0) {
    const properties: Record<string, string> = {};
    for (const k of Object.keys(credentials).sort()) properties[k] = credentials[k]!;
    return JSON.stringify({ type: 'Credentials/v1', properties });
  }
  return none === 'empty-object' ? '{}' : undefined;
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((res, rej) => {
    const onAbort = () => rej(new OcmError(ErrorCode.ABORTED, 'operation aborted', { cause: signal.reason }));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(res, rej).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class PluginHandle implements PluginConnection {
  readonly id: string;
  readonly #o: HandleOptions;
  #proc: PluginProcess | undefined;
  #starting: Promise<PluginProcess> | undefined;
  #tempDir: Promise<string> | undefined;
  #inflight = 0;
  #closed = false;

  constructor(o: HandleOptions) {
    this.id = o.id;
    this.#o = o;
  }

  get path(): string {
    return this.#o.path;
  }

  /** The running process, if any. */
  running(): PluginProcess | undefined {
    return this.#proc && !this.#proc.exitInfo ? this.#proc : undefined;
  }

  #ensure(): Promise<PluginProcess> {
    if (this.#closed) return Promise.reject(new OcmError(ErrorCode.PLUGIN_ERROR, `plugin "${this.id}": the plugin manager was shut down`, { details: { plugin: this.id } }));
    const p = this.running();
    if (p) return Promise.resolve(p);
    this.#starting ??= startPluginProcess(this.#o)
      .then((proc) => {
        this.#proc = proc;
        void proc.exited.then((x) => this.#onExit(proc, x.code === 0 && !x.signal));
        return proc;
      })
      .finally(() => (this.#starting = undefined));
    return this.#starting;
  }

  #onExit(proc: PluginProcess, clean: boolean): void {
    const dirs = this.#tempDirPath ? [this.#tempDirPath] : [];
    try {
      removeLeftoverSocket(this.id, proc.pid, proc.endpoint, dirs);
    } catch {
      /* best effort: a leftover socket is only clutter */
    }
    proc.agent.destroy();
    const x = proc.exitInfo!;
    const what = proc.stopping ? 'stopped' : clean && this.#inflight === 0 ? 'stopped by itself (idle timeout)' : `exited unexpectedly with ${describeExit(x)}`;
    this.#o.logger.debug(`plugin ${this.id}: ${what}`, { plugin: this.id, pid: proc.pid });
    if (this.#proc === proc) this.#proc = undefined;
  }

  #tempDirPath: string | undefined;

  tempDir(): Promise<string> {
    // mkdtemp creates the directory 0700. Our PID is in the name, so a later run can remove what a
    // killed `ocm` (SIGKILL, OOM) left behind; shutdown removes it otherwise.
    this.#tempDir ??= (async () => {
      await sweepAbandonedTempDirs();
      return (this.#tempDirPath = await mkdtemp(join(tmpdir(), `${TEMP_PREFIX}${this.id.replace(/[^A-Za-z0-9._-]/g, '_')}-${process.pid}-`)));
    })();
    return this.#tempDir;
  }

  async call<T = unknown>(call: PluginCall): Promise<T> {
    throwIfAborted(call.signal);
    let headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
    const auth = authorizationHeader(call.credentials, call.noCredentials);
    if (auth !== undefined) headers = { ...headers, Authorization: auth };
    const query = call.query && Object.keys(call.query).length ? `?${new URLSearchParams(call.query as Record<string, string>).toString()}` : '';
    const body = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
    const what = `plugin "${this.id}": ${call.method} ${call.path}`;
    for (let attempt = 0; ; attempt++) {
      const proc = await raceAbort(this.#ensure(), call.signal);
      this.#inflight++;
      let res;
      try {
        res = await rawRequest(proc.endpoint, proc.agent, {
          method: call.method,
          path: call.path + query,
          headers,
          ...(body ? { body } : {}),
          ...(call.signal ? { signal: call.signal } : {}),
          maxBytes: MAX_ANSWER_BYTES,
          overflow: 'error',
        });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (call.signal?.aborted || code === 'ABORT_ERR') throw new OcmError(ErrorCode.ABORTED, 'operation aborted', { cause: call.signal?.reason ?? e });
        if (e instanceof BodyTooLarge) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `${what}: answer exceeds ${MAX_ANSWER_BYTES} bytes`, { details: { plugin: this.id } });
        // The process may be going away: give its exit a moment to be noticed before blaming the connection.
        await Promise.race([proc.exited, delay(250)]);
        const x = proc.exitInfo;
        // Refused/missing socket: the request never arrived (e.g. the idle timer fired just now), so one retry is safe.
        if (x && attempt === 0 && (code === 'ECONNREFUSED' || code === 'ENOENT')) continue;
        if (x) {
          throw new OcmError(ErrorCode.PLUGIN_ERROR, `plugin "${this.id}" exited unexpectedly (${describeExit(x)}) during ${call.method} ${call.path}; last stderr: ${proc.stderrTail()}`, {
            details: { plugin: this.id },
          });
        }
        throw new OcmError(ErrorCode.PLUGIN_ERROR, `${what} failed: ${code ?? (e as Error).message}`, { cause: e, details: { plugin: this.id } });
      } finally {
        this.#inflight--;
      }
      if (res.status !== 200) {
        // A plugin may echo what it was given (credentials) into its error text: redacted like its logs.
        const msg = oneLine(redactText(res.body.subarray(0, MAX_ERROR_BYTES).toString('utf8'))) || '(no message)';
        throw new OcmError(ErrorCode.PLUGIN_ERROR, `${what} failed with status ${res.status}: ${msg}`, { details: { plugin: this.id, status: res.status } });
      }
      if (res.body.length === 0) return undefined as T;
      try {
        return JSON.parse(res.body.toString('utf8')) as T;
      } catch {
        throw new OcmError(ErrorCode.PLUGIN_ERROR, `${what} answered with invalid JSON: ${oneLine(redactText(res.body.subarray(0, 200).toString('utf8')), 80)}`, { details: { plugin: this.id, status: res.status } });
      }
    }
  }

  /** Stops the process if it runs (a later call starts it again). */
  async stop(): Promise<void> {
    if (this.#starting) await this.#starting.catch(() => undefined);
    const proc = this.#proc;
    if (!proc) return;
    await proc.stop(this.#o.stopGraceMs);
  }

  /** Stops the process and removes the temp dir; no call works afterwards. */
  async dispose(): Promise<void> {
    this.#closed = true;
    await this.stop();
    if (this.#tempDir) {
      const d = await this.#tempDir.catch(() => undefined);
      if (d) await rm(d, { recursive: true, force: true });
    }
  }
}

const TEMP_PREFIX = 'ocm-plugin-';
const ABANDONED = /^ocm-plugin-.+-(\d+)-[A-Za-z0-9]{6}$/;
let swept: Promise<void> | undefined;

/** Removes, once per process, the plugin data directories of host processes that are gone. */
function sweepAbandonedTempDirs(): Promise<void> {
  swept ??= removeAbandonedTempDirs(tmpdir());
  return swept;
}

/** Best effort: `ocm-plugin-<id>-<pid>-XXXXXX` directories in `dir` whose host PID no longer runs. */
export async function removeAbandonedTempDirs(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names.map(async (name) => {
      const pid = ABANDONED.exec(name)?.[1];
      if (!pid || Number(pid) === process.pid || processAlive(Number(pid))) return;
      await rm(join(dir, name), { recursive: true, force: true }).catch(() => undefined);
    }),
  );
}

