/**
 * Test kit for plugin processes: builds the example plugins when their output is stale, spawns a
 * plugin with `--config`, reads its readiness line and talks HTTP to it over the Unix socket (or
 * TCP). Everything started here is killed by `stop()`, which tests register with `t.after`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './fixtures.js';

const examplesDir = join(repoRoot, 'examples', 'plugins');

/** Launchers of the example plugins (executables without extension, as a plugin directory holds them). */
export const exampleLaunchers = {
  toolbox: join(examplesDir, 'toolbox', 'ocm-plugin-toolbox'),
  filestore: join(examplesDir, 'filestore', 'ocm-plugin-filestore'),
  pytools: join(examplesDir, 'pytools', 'ocm-plugin-pytools'),
} as const;

let built: Promise<void> | undefined;
/** Compiles examples/plugins when a compiled file is missing or older than its source (`npm run build` does it too). */
export function ensureExamplesBuilt(): Promise<void> {
  built ??= (async () => {
    const stale = readdirSync(examplesDir, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'dist').some((d) => {
      return readdirSync(join(examplesDir, d.name)).filter((f) => f.endsWith('.ts')).some((f) => {
        const out = join(examplesDir, 'dist', d.name, f.replace(/\.ts$/, '.js'));
        return !existsSync(out) || statSync(out).mtimeMs < statSync(join(examplesDir, d.name, f)).mtimeMs;
      });
    });
    if (stale) await promisify(execFile)(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(examplesDir, 'tsconfig.json')], { cwd: repoRoot });
  })();
  return built;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = any>(): T;
}

export interface PluginProcess {
  readonly proc: ChildProcess;
  readonly address: string;
  /** The Unix socket path (undefined for TCP). */
  readonly socketPath?: string;
  /** stderr so far. */
  stderr(): string;
  /** stdout so far (the readiness line and nothing else, if the plugin behaves). */
  stdout(): string;
  /** One HTTP request; `body` is JSON-encoded unless it is a string. */
  /** `chunked` sends the body in two chunks without Content-Length (as a streaming host would). */
  call(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string>; chunked?: boolean }): Promise<HttpAnswer>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited(): Promise<number | string>;
  /** Stops the process if it still runs (SIGTERM, SIGKILL after 3 s) and waits for its exit. */
  stop(): Promise<void>;
}

/** Spawns `launcher --config <config>` and waits (≤ 10 s) for its readiness line. */
export async function startPluginProcess(
  launcher: string,
  config: Record<string, unknown>,
  options: { env?: NodeJS.ProcessEnv; stdin?: 'pipe' | 'ignore' } = {},
): Promise<PluginProcess> {
  const proc = spawn(launcher, ['--config', JSON.stringify(config)], {
    env: { ...process.env, ...options.env },
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  // SIGTERM first so the plugin removes its socket and temp files; SIGKILL if it does not stop.
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 3_000);
      await exit;
      clearTimeout(killer);
    }
    await exit;
  };
  let address: string;
  try {
    address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no readiness line within 10 s; stderr: ${err}`)), 10_000);
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(timer);
          resolve(out.slice(0, nl));
        }
      });
      void exit.then((code) => {
        clearTimeout(timer);
        reject(new Error(`plugin exited (${code}) before it was ready; stderr: ${err}`));
      });
    });
  } catch (e) {
    await stop();
    throw e;
  }
  const socketPath = address.startsWith('http+unix://') ? address.slice('http+unix://'.length) : undefined;
  const base = socketPath ? undefined : new URL(address);
  return {
    proc,
    address,
    ...(socketPath ? { socketPath } : {}),
    stderr: () => err,
    stdout: () => out,
    exited: () => exit,
    stop,
    call(method, path, o = {}) {
      const qs = o.query ? `?${new URLSearchParams(o.query).toString()}` : '';
      const payload = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      return new Promise<HttpAnswer>((resolve, reject) => {
        const req = request({
          ...(socketPath ? { socketPath } : { host: base!.hostname, port: Number(base!.port) }),
          method,
          path: `${path}${qs}`,
          headers: {
            ...(payload !== undefined ? { 'Content-Type': 'application/json', ...(o.chunked ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': Buffer.byteLength(payload) }) } : {}),
            ...o.headers,
          },
          agent: false,
        }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => {
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
          }).on('error', reject);
        });
        req.on('error', reject);
        if (o.chunked && payload) {
          req.write(payload.slice(0, payload.length >> 1));
          req.end(payload.slice(payload.length >> 1));
        } else req.end(payload);
      });
    },
  };
}
