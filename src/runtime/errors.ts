/**
 * One error root for the whole library. Every failure carries a stable SCREAMING_SNAKE `code`
 * (catalogue below; once published a code never changes meaning) and an optional `cause`.
 *
 * `instanceof` works across two loaded copies of the package (a plugin may bundle its own copy)
 * because it checks a `Symbol.for` brand instead of the prototype chain (undici's pattern).
 */

/** The error-code catalogue. Documented in README ("Errors and exit codes"). */
export const ErrorCode = {
  /** Something asked for does not exist: component version, blob, tag, resource, file. Same code for every backend. */
  NOT_FOUND: 'NOT_FOUND',
  /** A command-line argument, option or API parameter is malformed. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** Bytes could not be parsed (YAML, JSON, tar, gzip). */
  PARSE_ERROR: 'PARSE_ERROR',
  /** A document parsed but breaks a rule (JSON schema, name rules, identity uniqueness, index keys). */
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** Content does not match its digest or declared size. */
  DIGEST_MISMATCH: 'DIGEST_MISMATCH',
  /** An archive entry or input path would leave its root (`..`, absolute path, escaping symlink). */
  UNSAFE_PATH: 'UNSAFE_PATH',
  /** The target already holds something different under that name (a version, a signature name). */
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  /** A type, algorithm, media type or feature this build does not support. */
  UNSUPPORTED: 'UNSUPPORTED',
  /** A read or parse exceeded a bound: remote metadata (manifest, error body, token response, pages, redirects) or a document (size, nesting, YAML aliases, documents). */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /** The registry or server refused the credentials or no credentials were available when required. */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** Authenticated but not allowed (e.g. a pull-only token used to push). */
  FORBIDDEN: 'FORBIDDEN',
  /** Any other remote protocol failure (5xx after retries, unexpected status, bad response). */
  REGISTRY_ERROR: 'REGISTRY_ERROR',
  /** A network connection could not be made or broke. */
  NETWORK_ERROR: 'NETWORK_ERROR',
  /** The configuration (.ocmconfig, docker config) is invalid: unknown type, cycle, malformed. */
  CONFIG_ERROR: 'CONFIG_ERROR',
  /** A credential source failed (helper crashed, secret store unreachable). "No credentials" is NOT an error. */
  CREDENTIAL_ERROR: 'CREDENTIAL_ERROR',
  /** A signature or digest check during verification failed. */
  VERIFICATION_FAILED: 'VERIFICATION_FAILED',
  /** A key or certificate could not be used. */
  KEY_ERROR: 'KEY_ERROR',
  /** A plugin failed to start, answer or behave. */
  PLUGIN_ERROR: 'PLUGIN_ERROR',
  /** A transfer step failed; details name the side (source/target). */
  TRANSFER_ERROR: 'TRANSFER_ERROR',
  /** Local filesystem failure (permission, disk full). */
  IO_ERROR: 'IO_ERROR',
  /** The operation was aborted through its AbortSignal. */
  ABORTED: 'ABORTED',
  /** A bug: an invariant that should hold did not. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const BRAND = Symbol.for('ocm-ts.error');

export interface OcmErrorOptions {
  cause?: unknown;
  /** Structured, secret-free context: field paths, expected/actual digests, HTTP status, side. */
  details?: Readonly<Record<string, unknown>>;
}

export class OcmError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: OcmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
    Object.defineProperty(this, BRAND, { value: classChain(new.target), enumerable: false });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (value === null || typeof value !== 'object') return false;
    const chain = (value as Record<symbol, unknown>)[BRAND];
    if (!Array.isArray(chain)) return false;
    return chain.includes(this.name);
  }
}

function classChain(ctor: Function): string[] {
  const names: string[] = [];
  let c: unknown = ctor;
  while (typeof c === 'function' && c.name && c !== Error) {
    names.push(c.name);
    c = Object.getPrototypeOf(c);
  }
  return names;
}

export class NotFoundError extends OcmError {
  constructor(message: string, options?: OcmErrorOptions) {
    super(ErrorCode.NOT_FOUND, message, options);
  }
}

export class ValidationError extends OcmError {
  /** JSON-pointer-like paths of the offending fields, when known. */
  readonly paths: readonly string[];
  constructor(message: string, options: OcmErrorOptions & { paths?: readonly string[] } = {}) {
    super(ErrorCode.VALIDATION_FAILED, message, options);
    this.paths = options.paths ?? [];
  }
}

export class DigestMismatchError extends OcmError {
  readonly expected: string;
  readonly actual: string;
  constructor(what: string, expected: string, actual: string, options?: OcmErrorOptions) {
    super(ErrorCode.DIGEST_MISMATCH, `${what}: content digest ${actual} does not match expected ${expected}`, {
      ...options,
      details: { ...options?.details, expected, actual },
    });
    this.expected = expected;
    this.actual = actual;
  }
}

/** True if `e` is an OcmError, optionally with the given code. */
export function isOcmError(e: unknown, code?: ErrorCode): e is OcmError {
  return e instanceof OcmError && (code === undefined || e.code === code);
}

/** Throws ABORTED if the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new OcmError(ErrorCode.ABORTED, 'operation aborted', { cause: signal.reason });
}

/** Maps a Node filesystem error to the catalogue: ENOENT → NOT_FOUND, else IO_ERROR. */
export function fromFsError(e: unknown, what: string): OcmError {
  if (e instanceof OcmError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new NotFoundError(`${what}: no such file or directory`, { cause: e });
  if (code === 'EACCES' || code === 'EPERM') return new OcmError(ErrorCode.IO_ERROR, `${what}: permission denied`, { cause: e });
  if (code === 'ENOSPC') return new OcmError(ErrorCode.IO_ERROR, `${what}: no space left on device`, { cause: e });
  return new OcmError(ErrorCode.IO_ERROR, `${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}
