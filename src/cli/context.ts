/**
 * What every CLI command needs around the library: references → opened repositories with the
 * invocation's credentials, an AbortSignal tied to Ctrl-C, and "close even when failing".
 * Imported lazily from command actions (never from command registration).
 */
import type { TypedSpec } from '../descriptor/types.js';
import { openRepository } from '../repository/open.js';
import {
  parseComponentReference,
  parseRepositoryReference,
  repositoryKindOf,
  type ComponentReference,
} from '../repository/reference.js';
import type { ComponentVersionRepository } from '../repository/types.js';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import { credentialResolverFor } from './credentials.js';
import type { GlobalOptions } from './global-options.js';

export interface OpenedReference {
  readonly ref: ComponentReference;
  readonly repository: ComponentVersionRepository;
}

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

/** The credential resolver of this invocation (from `.ocmconfig` or `--config`). */
export async function credentialsFor(globals: GlobalOptions): Promise<CredentialResolver> {
  return await credentialResolverFor(globals);
}

/** Opens a repository spec with this invocation's credentials and transport options. */
export async function openSpec(spec: TypedSpec, globals: GlobalOptions, options: { create?: boolean } = {}): Promise<ComponentVersionRepository> {
  return await openRepository(spec, {
    credentials: await credentialsFor(globals),
    signal: cliSignal(),
    ...(globals.plainHttp ? { plainHttp: true } : {}),
    ...(options.create ? { create: true } : {}),
  });
}

/** Parses `[type::]repo//component[:version]` and opens its repository. */
export async function openFromReference(text: string, globals: GlobalOptions): Promise<OpenedReference> {
  const ref = parseComponentReference(text);
  return { ref, repository: await openSpec(ref.repository, globals) };
}

/** Parses a repository reference (`./ctf`, `ctf::x.tgz`, `ghcr.io/org`) and opens it. */
export async function openRepositoryReference(
  text: string,
  globals: GlobalOptions,
  options: { create?: boolean; fileFormat?: string } = {},
): Promise<{ spec: TypedSpec; repository: ComponentVersionRepository }> {
  const spec = repositorySpecFor(text, options.fileFormat);
  return { spec, repository: await openSpec(spec, globals, options) };
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

/** Runs `fn` with the repository and closes it afterwards, also on failure (a close error never hides the first error). */
export async function using<T>(repository: ComponentVersionRepository, fn: (r: ComponentVersionRepository) => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await fn(repository);
  } catch (e) {
    await repository.close().catch(() => undefined);
    throw e;
  }
  await repository.close({ signal: cliSignal() });
  return result;
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
