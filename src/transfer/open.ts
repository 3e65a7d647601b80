/**
 * Turns repository specs into `RepositoryLocation`s (the store behind a CTF or a registry), which
 * is what the transfer engine copies between. Registries opened for `ociArtifact` images are
 * cached per host and closed together.
 */
import { resolve } from 'node:path';
import type { TypedSpec } from '../descriptor/types.js';
import { openCtf } from '../ctf/store.js';
import { isCtfFormat } from '../ctf/format.js';
import { openOciStore } from '../repository/oci-provider.js';
import { repositoryKindOf } from '../repository/reference.js';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import { ErrorCode, OcmError, isOcmError } from '../runtime/errors.js';
import { MemoryStore } from '../oci/content/memory.js';
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
}

export type OpenedLocation = RepositoryLocation & { close(): Promise<void> };

/** Opens a CTF (`filePath`, `fileFormat`) or OCI (`baseUrl`, `subPath`) spec. */
export async function openLocation(spec: TypedSpec, options: OpenLocationOptions = {}): Promise<OpenedLocation> {
  const kind = repositoryKindOf(spec.type);
  if (kind === 'ctf') {
    const path = spec['filePath'];
    if (typeof path !== 'string' || !path) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `CTF repository spec needs a filePath`);
    const format = spec['fileFormat'];
    let store;
    try {
      store = await openCtf(path, {
        ...(isCtfFormat(format) ? { format } : {}),
        ...(options.create ? { create: true } : {}),
        ...(options.readOnly ? { readOnly: true } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (e) {
      if (!options.emptyIfMissing || !isOcmError(e, ErrorCode.NOT_FOUND)) throw e;
      return { store: new MemoryStore(), id: `ctf:${resolve(path)}`, description: `${path} (new)`, close: async () => {} };
    }
    return { store, id: `ctf:${resolve(path)}`, description: path, verifiedFetch: true, close: () => store.close() };
  }
  if (kind === 'oci') {
    const { store, subPath } = openOciStore(spec, {
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.plainHttp ? { plainHttp: true } : {}),
    });
    const host = (store as { host?: { host: string } }).host?.host ?? String(spec['baseUrl']);
    return {
      store,
      id: `oci:${host}`,
      registryHost: host,
      verifiedFetch: true,
      ...(subPath ? { subPath } : {}),
      description: subPath ? `${host}/${subPath}` : host,
      close: () => store.close(),
    };
  }
  throw new OcmError(ErrorCode.UNSUPPORTED, `cannot transfer with repository type "${spec.type}": use a CTF or an OCI registry`);
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
