/**
 * Runs `docker-credential-<name> get` per docker's helper protocol (spec auth §B.1): the server
 * URL goes on stdin (never argv), the answer is `{ServerURL, Username, Secret}` on stdout, errors
 * are printed to stdout with exit 1, and exactly `credentials not found in native keychain` means
 * "none". Helpers are untrusted programs: bounded time, bounded output, calls serialised (as Go
 * does), and nothing they print on success ever reaches an error message.
 */
import { spawn } from 'node:child_process';
import { ErrorCode, OcmError, throwIfAborted } from '../runtime/errors.js';

export const HELPER_NOT_FOUND_TEXT = 'credentials not found in native keychain';
/**
 * Nesting depth of helper runs, passed to every helper we start. A helper that is ocm under
 * another name (a renamed docker-credential-ocm) would otherwise start itself without end.
 */
export const HELPER_DEPTH_ENV = 'OCM_CREDENTIAL_HELPER_DEPTH';
export const MAX_HELPER_DEPTH = 2;

export interface HelperCredentials {
  username: string;
  secret: string;
}

export interface HelperOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Default 30 s. */
  timeoutMs?: number;
  /** Default 64 KiB. */
  maxOutputBytes?: number;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

let queue: Promise<unknown> = Promise.resolve();

/** Serialises helper runs process-wide (some native stores misbehave under concurrent access). */
function serialised<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

/** `get` for one server URL. Resolves undefined when the helper has no credentials for it. */
export function helperGet(name: string, serverUrl: string, options: HelperOptions = {}): Promise<HelperCredentials | undefined> {
  if (!NAME_RE.test(name)) {
    return Promise.reject(new OcmError(ErrorCode.CONFIG_ERROR, `docker credential helper name "${name}" is invalid; use the suffix of docker-credential-<name>`));
  }
  return serialised(() => runGet(name, serverUrl, options));
}

function runGet(name: string, serverUrl: string, options: HelperOptions): Promise<HelperCredentials | undefined> {
  throwIfAborted(options.signal);
  const program = `docker-credential-${name}`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const max = options.maxOutputBytes ?? 64 * 1024;
  const fail = (why: string, cause?: unknown) =>
    new OcmError(ErrorCode.CREDENTIAL_ERROR, `credential helper ${program} failed for ${serverUrl}: ${why}`, { cause, details: { helper: program, serverUrl } });
  const env = options.env ?? process.env;
  const depth = Number.parseInt(env[HELPER_DEPTH_ENV] ?? '0', 10) || 0;
  if (depth >= MAX_HELPER_DEPTH) {
    return Promise.reject(fail(`not started: credential helpers are nested ${depth} deep (${HELPER_DEPTH_ENV}); a credHelpers/credsStore entry leads back to ocm, remove it`));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { env: { ...env, [HELPER_DEPTH_ENV]: String(depth + 1) }, stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal });
    const out: Buffer[] = [];
    let size = 0;
    let failure: OcmError | undefined;
    const timer = setTimeout(() => {
      failure = fail(`no answer within ${timeoutMs} ms`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        failure ??= fail(`output larger than ${max} bytes`);
        child.kill('SIGKILL');
      } else out.push(c);
    });
    // Docker's client passes stderr through; we drain and drop it (it may echo input).
    child.stderr.resume();
    child.stdin.on('error', () => {
      /* helper exited before reading stdin; its exit status tells the story */
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') reject(fail(`${program} is not on PATH; install it or remove it from the docker config`, e));
      else if (e.name === 'AbortError') reject(new OcmError(ErrorCode.ABORTED, `credential helper ${program} aborted`, { cause: e }));
      else reject(fail(`cannot start (${e.code ?? e.message})`, e));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (failure) return reject(failure);
      const text = Buffer.concat(out).toString('utf8');
      if (code !== 0) {
        const trimmed = text.trim();
        if (trimmed === HELPER_NOT_FOUND_TEXT) return resolve(undefined);
        // Failure output is the helper's error message; keep one short line of it.
        const line = trimmed.split('\n')[0]?.slice(0, 200) ?? '';
        return reject(fail(signal ? `killed by ${signal}` : `exit ${code}${line ? `: ${line}` : ''}`));
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return reject(fail('answer is not JSON (expected {"ServerURL","Username","Secret"})'));
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        return reject(fail('answer is not a JSON object (expected {"ServerURL","Username","Secret"})'));
      }
      const p = parsed as Record<string, unknown>;
      const username = typeof p.Username === 'string' ? p.Username : '';
      const secret = typeof p.Secret === 'string' ? p.Secret : '';
      if (username === '' && secret === '') return resolve(undefined);
      // A user without a secret is a broken helper, not an anonymous answer: saying so beats a 401 later.
      if (secret === '') return reject(fail('answer has a Username but no Secret'));
      resolve({ username, secret });
    });
    child.stdin.end(serverUrl);
  });
}
