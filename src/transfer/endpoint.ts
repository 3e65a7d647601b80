/** Which way a transfer goes: at the OCI level (both ends OCI-mapped) or through the repository interface. */
import { hasOciStore, type ComponentVersionRepository } from '../repository/types.js';
import type { RepositoryLocation, TransferEndpoint } from './types.js';

export function isRepository(e: TransferEndpoint): e is ComponentVersionRepository {
  return typeof (e as Partial<ComponentVersionRepository>).getComponentVersion === 'function';
}

/** The OCI store behind an endpoint, or undefined when it has none (it is then used through its interface). */
export function locationOf(e: TransferEndpoint): RepositoryLocation | undefined {
  if (!isRepository(e)) return e;
  return hasOciStore(e) ? e.ociStore() : undefined;
}

/** Locations of every endpoint, or undefined if one of them is not OCI-mapped. */
export function locationsOf(endpoints: readonly TransferEndpoint[]): RepositoryLocation[] | undefined {
  const out: RepositoryLocation[] = [];
  for (const e of endpoints) {
    const l = locationOf(e);
    if (!l) return undefined;
    out.push(l);
  }
  return out;
}
