/**
 * What `ocm sign cv` and `ocm verify cv` share: the invocation's globals, Ctrl-C signal and
 * credentials, reading key/certificate files with one-line errors, and opening the repository of
 * a `repo//component:version` reference (a version is required). Imported lazily from their actions.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import type { ComponentVersionRepository } from '../repository/types.js';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import { ErrorCode, OcmError, fromFsError } from '../runtime/errors.js';
import { cliSignal, credentialsFor, openFromReference } from './context.js';
import { globals, type GlobalOptions } from './global-options.js';

export interface SigningCommandContext {
  readonly globals: GlobalOptions;
  readonly signal: AbortSignal;
  readonly credentials: CredentialResolver;
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
