/**
 * What `ocm sign cv` and `ocm verify cv` share: the invocation's globals, Ctrl-C signal and
 * credentials, reading key/certificate files with one-line errors, and opening the repository of
 * a `repo//component:version` reference (a version is required). Imported lazily from their actions.
 */
import type { Command } from 'commander';
import { readFile, stat } from 'node:fs/promises';
import type { ComponentVersionRepository } from '../repository/types.js';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import type { TypeRegistry, TypedSpecLike } from '../runtime/type-registry.js';
import { parseYamlBounded } from '../internal/bounded-parse.js';
import { ErrorCode, OcmError, fromFsError } from '../runtime/errors.js';
import { cliSignal, credentialsFor, ocmSession, openFromReference } from './context.js';
import { globals, type GlobalOptions } from './global-options.js';

export interface SigningCommandContext {
  readonly globals: GlobalOptions;
  readonly signal: AbortSignal;
  readonly credentials: CredentialResolver;
  /** The session's type registry (signers, including plugin ones). */
  readonly types: TypeRegistry;
  /** Reads a signer/verifier spec file (YAML or JSON, bounded): a mapping with a `type`; one-line errors naming the file. */
  readSpec(file: string, what: string): Promise<TypedSpecLike>;
  /** Reads a PEM file; a missing or unreadable file is one line naming `what` and the path. */
  readPem(file: string, what: string): Promise<string>;
  /** Opens the repository of `reference`, which must name one component version. Close it with `ctx.using`. */
  openVersion(reference: string, verb: 'sign' | 'verify'): Promise<{ component: string; version: string; repository: ComponentVersionRepository }>;
}

export async function signingCommandContext(cmd: Command): Promise<SigningCommandContext> {
  const g = globals(cmd);
  const credentials = await credentialsFor(g);
  return {
    globals: g,
    signal: cliSignal(),
    credentials,
    types: ocmSession(g).types,
    readSpec: (file, what) => readSpecFile(file, what),
    async readPem(file, what) {
      try {
        return await readFile(file, 'utf8');
      } catch (e) {
        throw fromFsError(e, `${what} ${file}`);
      }
    },
    async openVersion(reference, verb) {
      const { ref, repository } = await openFromReference(reference, g);
      if (!ref.version) {
        await repository.close().catch(() => undefined);
        throw new OcmError(ErrorCode.INVALID_ARGUMENT, `reference "${reference}" names no version: ${verb} one component version (component:version)`);
      }
      return { component: ref.component, version: ref.version, repository };
    },
  };
}

/** A signer spec is a few fields; anything larger is a mistake (or an attack on the parser). */
const MAX_SPEC_BYTES = 64 * 1024;

/** Reads `{type: ..., ...}` from a YAML/JSON file, bounded; INVALID_ARGUMENT / PARSE_ERROR / LIMIT_EXCEEDED in one line naming the file. */
export async function readSpecFile(file: string, what: string): Promise<TypedSpecLike> {
  let text: Buffer;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `${what} ${file} is not a file`);
    if (st.size > MAX_SPEC_BYTES) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `${what} ${file} is larger than ${MAX_SPEC_BYTES} bytes: a spec is a small YAML or JSON mapping`);
    text = await readFile(file);
  } catch (e) {
    if (e instanceof OcmError) throw e;
    throw fromFsError(e, `${what} ${file}`);
  }
  // redact: a spec may name key material; syntax errors give the position only.
  const value = parseYamlBounded(text, { what: `${what} ${file}`, maxBytes: MAX_SPEC_BYTES, maxDepth: 32, redact: true });
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string' || (value as { type: string }).type === '') {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `${what} ${file} must be a mapping with a "type" (e.g. type: RSASigningConfiguration/v1alpha1)`);
  }
  return value as TypedSpecLike;
}
