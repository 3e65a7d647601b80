/**
 * How the CLI ends: one line on stderr with a stable code, a stable exit code, a stack only
 * with --debug. Secrets never reach here: library errors are built without them.
 */
import { ErrorCode, OcmError } from '../runtime/errors.js';

/** Exit codes by error code (documented in README). */
export const ExitCode: Readonly<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 2,
  NOT_FOUND: 3,
  PARSE_ERROR: 4,
  VALIDATION_FAILED: 4,
  UNSAFE_PATH: 4,
  CONFIG_ERROR: 4,
  DIGEST_MISMATCH: 5,
  VERIFICATION_FAILED: 5,
  UNAUTHORIZED: 6,
  FORBIDDEN: 6,
  CREDENTIAL_ERROR: 6,
  KEY_ERROR: 6,
  ALREADY_EXISTS: 7,
  UNSUPPORTED: 8,
  LIMIT_EXCEEDED: 9,
  REGISTRY_ERROR: 10,
  NETWORK_ERROR: 10,
  PLUGIN_ERROR: 11,
  TRANSFER_ERROR: 12,
  IO_ERROR: 13,
  ABORTED: 130,
  INTERNAL: 70,
};

export function isDebug(argv: readonly string[] = process.argv): boolean {
  return argv.includes('--debug') || process.env.OCM_DEBUG === '1';
}

/** Prints the error as one line (plus the stack with --debug) and returns the exit code. */
export function reportError(e: unknown, debug = isDebug()): number {
  const err = e instanceof OcmError ? e : toOcmError(e);
  // One line, and no terminal control: a message may quote bytes of a hostile input (\r, ESC, NUL).
  const msg = err.message.replace(/\s*\n\s*/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  process.stderr.write(`Error: ${msg} [${err.code}]\n`);
  if (debug) {
    process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    let c = (e as Error)?.cause;
    while (c) {
      process.stderr.write(`caused by: ${(c as Error)?.stack ?? String(c)}\n`);
      c = (c as Error)?.cause;
    }
  }
  return ExitCode[err.code] ?? 1;
}

function toOcmError(e: unknown): OcmError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ABORT_ERR') return new OcmError(ErrorCode.ABORTED, 'operation aborted', { cause: e });
  if (code === 'EPIPE') return new OcmError(ErrorCode.IO_ERROR, 'output closed (EPIPE)', { cause: e });
  const message = e instanceof Error ? e.message : String(e);
  return new OcmError(ErrorCode.INTERNAL, `unexpected failure: ${message} (rerun with --debug for details)`, { cause: e });
}

type Finisher = () => Promise<void>;
type HintSource = (e: unknown) => Promise<readonly string[]>;
const finishers: Finisher[] = [];
const hintSources: HintSource[] = [];

/**
 * Registers work that must complete before the CLI exits, on every path (success, error, Ctrl-C):
 * stopping plugin processes. Registered by whoever started something; `run.ts` stays light.
 */
export function onFinish(fn: Finisher): void {
  finishers.push(fn);
}

/** Registers a source of `Warning:` lines printed before an error (e.g. "plugin x was skipped: ..."). */
export function onErrorHints(fn: HintSource): void {
  hintSources.push(fn);
}

/** Runs every finisher once (each failure is ignored: shutting down must not hide the command's outcome). */
export async function finish(): Promise<void> {
  const all = finishers.splice(0);
  await Promise.all(all.map((f) => f().catch(() => undefined)));
}

/** Reports `e` with any hints the registered sources have for it; returns the exit code. */
export async function reportWithHints(e: unknown): Promise<number> {
  const hints = (await Promise.all(hintSources.map((h) => h(e).catch(() => [] as string[])))).flat();
  for (const h of new Set(hints)) process.stderr.write(`Warning: ${h}\n`);
  return reportError(e);
}

/** Wraps a commander action: runs it, on failure reports and sets the exit code, and always finishes (plugin shutdown). */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      process.exitCode = await reportWithHints(e);
    } finally {
      await finish();
    }
  };
}
