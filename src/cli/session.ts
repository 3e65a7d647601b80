/**
 * The light half of the CLI context: Ctrl-C signal, the library session, credentials, output,
 * repository specs. It loads no repository provider, so commands that open repositories another
 * way (transfer) start faster. context.ts re-exports all of it.
 */
import { dirname } from 'node:path';
import { realpathSync } from 'node:fs';
import type { TypedSpec } from '../descriptor/types.js';
import { parseRepositoryReference, repositoryKindOf } from '../repository/reference.js';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import { silentLogger, type Logger } from '../runtime/logger.js';
import { createSession, type Session } from '../session/session.js';
import { debugEnabled, type GlobalOptions } from './global-options.js';

let interrupt: AbortController | undefined;

/** A signal aborted on SIGINT/SIGTERM, so streams stop and temp files are removed before exit. */
export function cliSignal(): AbortSignal {
  if (!interrupt) {
    const ac = new AbortController();
    interrupt = ac;
    const onSignal = (name: NodeJS.Signals) => {
      if (ac.signal.aborted) process.exit(130); // second Ctrl-C: leave now
      ac.abort(new OcmError(ErrorCode.ABORTED, `interrupted (${name})`));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return interrupt.signal;
}

export function executableDir(): string | undefined {
  const script = process.argv[1];
  if (!script) return undefined;
  try {
    return dirname(realpathSync(script));
  } catch {
    return dirname(script);
  }
}

let session: Session | undefined;

/** The library session of this invocation: one per process, `--config` or discovery, Ctrl-C as its signal. */
export function ocmSession(globals: GlobalOptions): Session {
  session ??= createSession({
    configFiles: globals.config,
    env: process.env,
    cwd: process.cwd(),
    execDir: executableDir(),
    signal: cliSignal(),
    logger: cliLogger(globals),
  });
  return session;
}

/**
 * The logger of this invocation: with --debug (or OCM_DEBUG=1) every line goes to stderr as
 * `debug: ...`, `info: ...`, `warn: ...`; without it the library stays silent, as it always was
 * (the CLI prints the warnings it gets back itself).
 */
export function cliLogger(globals: GlobalOptions): Logger {
  if (!debugEnabled(globals)) return silentLogger;
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    const extra = fields ? Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('') : '';
    // One line per entry, no terminal control: messages may quote what a plugin or registry sent.
    process.stderr.write(`${level}: ${`${message}${extra}`.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}\n`);
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn') };
}

/** The credential resolver of this invocation (from `.ocmconfig` or `--config`). */
export async function credentialsFor(globals: GlobalOptions): Promise<CredentialResolver> {
  // credentials.ts imports this file; loaded on demand to keep the import graph acyclic
  const { credentialResolverFor } = await import('./credentials.js');
  return await credentialResolverFor(globals);
}

/** The spec for a repository reference, with `fileFormat` for CTFs when given. */
export function repositorySpecFor(text: string, fileFormat?: string): TypedSpec {
  const spec = parseRepositoryReference(text);
  if (fileFormat === undefined) return spec;
  if (repositoryKindOf(spec.type) !== 'ctf') {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--format ${fileFormat} applies to CTF repositories only, not to "${text}"`);
  }
  if (!['directory', 'tar', 'tgz'].includes(fileFormat)) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--format "${fileFormat}": expected directory, tar or tgz`);
  }
  return { ...spec, fileFormat };
}

/** A short human name of a repository spec for messages: the CTF path or the registry URL with sub-path. */
export function describeRepository(spec: TypedSpec): string {
  if (typeof spec.filePath === 'string') return spec.filePath;
  if (typeof spec.baseUrl === 'string') return typeof spec.subPath === 'string' && spec.subPath ? `${spec.baseUrl}/${spec.subPath}` : spec.baseUrl;
  return spec.type;
}

/** Checks `-o` against the formats a command supports. */
export function outputFormat<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  const v = (value ?? fallback).toLowerCase();
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new OcmError(ErrorCode.INVALID_ARGUMENT, `output format "${value}" is not supported here (use one of: ${allowed.join(', ')})`);
}

/** Writes to stdout and waits for it to drain (large YAML must not be cut off at exit). */
export async function print(text: string): Promise<void> {
  if (text === '') return;
  await new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
