/**
 * Opens transfer endpoints through the repository registry (`openRepository`): any registered
 * repository type works; the built-in CTF and OCI types also report their OCI store, which the
 * OCI-level copy uses. Registries opened for `ociArtifact` images are cached per host and closed together.
 */
import { resolve } from 'node:path';
import type { TypedSpec } from '../descriptor/types.js';
import { MemoryStore } from '../oci/content/memory.js';
import { OciComponentRepository } from '../repository/oci-mapping/repository.js';
import { openRepository } from '../repository/open.js';
import { repositoryKindOf } from '../repository/reference.js';
import { hasOciStore, type ComponentVersionRepository } from '../repository/types.js';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import { ErrorCode, OcmError, isOcmError } from '../runtime/errors.js';
import type { TypeRegistry } from '../runtime/type-registry.js';
import type { RepositoryLocation } from './types.js';

export interface OpenLocationOptions {
  readonly credentials?: CredentialResolver;
  readonly plainHttp?: boolean;
  /** Create a missing CTF (targets). */
  readonly create?: boolean;
  readonly readOnly?: boolean;
  /** A missing CTF reads as empty (for `--dry-run`, which must not create it). */
  readonly emptyIfMissing?: boolean;
  readonly signal?: AbortSignal;
  /** Type registry to open with (default: the process-wide one with the built-ins). */
  readonly registry?: TypeRegistry;
}

export type OpenedLocation = RepositoryLocation & { close(): Promise<void> };

/** Opens the repository `spec` describes, as a transfer endpoint. */
export async function openEndpoint(spec: TypedSpec, options: OpenLocationOptions = {}): Promise<ComponentVersionRepository> {
  const ctf = repositoryKindOf(spec.type) === 'ctf';
  const opened = {
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.plainHttp ? { plainHttp: true } : {}),
    ...(options.create ? { create: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.registry ? { registry: options.registry } : {}),
  };
  try {
    return await openRepository(ctf && options.readOnly && !options.create ? { ...spec, accessMode: 'readonly' } : spec, opened);
  } catch (e) {
    if (!ctf || !options.emptyIfMissing || !isOcmError(e, ErrorCode.NOT_FOUND)) throw e;
    const path = String(spec['filePath']);
    return new OciComponentRepository(new MemoryStore(), { location: { id: `ctf:${resolve(path)}`, description: `${path} (new)` } });
  }
}

/** Opens a repository spec down to its OCI store (for the OCI-level API: `planTransfer`, `executeTransfer`). */
export async function openLocation(spec: TypedSpec, options: OpenLocationOptions = {}): Promise<OpenedLocation> {
  const repo = await openEndpoint(spec, options);
  const loc = hasOciStore(repo) ? repo.ociStore() : undefined;
  if (!loc) {
    await repo.close();
    throw new OcmError(ErrorCode.UNSUPPORTED, `repository type "${spec.type}" is not stored in OCI form; transfer it with transfer() on the repository`);
  }
  return { ...loc, close: () => repo.close() };
}

/** A per-host cache of registries for `ociArtifact` images; `close()` closes them all. */
export function registryOpener(options: OpenLocationOptions = {}): { open: (host: string) => Promise<RepositoryLocation>; close: () => Promise<void> } {
  const opened = new Map<string, Promise<OpenedLocation>>();
  return {
    open: (host) => {
      let p = opened.get(host);
      if (!p) opened.set(host, (p = openLocation({ type: 'OCIRepository/v1', baseUrl: host }, options)));
      return p;
    },
    close: async () => {
      for (const p of opened.values()) await (await p.catch(() => undefined))?.close();
    },
  };
}
