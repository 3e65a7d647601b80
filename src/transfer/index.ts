/**
 * Transfer of component-version graphs between repositories (CTF ↔ registry, registry ↔ registry,
 * CTF ↔ CTF): plan first, then copy with bounded concurrency; see plan.ts and execute.ts.
 */
import { executeTransfer } from './execute.js';
import { planTransfer } from './plan.js';
import type { RepositoryLocation, TransferOptions, TransferSummary } from './types.js';

export { planTransfer } from './plan.js';
export { executeTransfer } from './execute.js';
export { transferConfigFrom, type TransferConfig } from './config.js';
export { componentRepositoryName, toTag, toVersion } from '../repository/oci-mapping/tags.js';
export { parseImageReference } from '../oci/remote/reference.js';
export { formatImageReference, isOciImageAccess } from './image-ref.js';
export { openLocation, registryOpener, type OpenLocationOptions, type OpenedLocation } from './open.js';
export { DEFAULT_CONCURRENCY } from './types.js';
export type * from './types.js';

/** Plans and executes a transfer; returns what moved. */
export async function transfer(source: RepositoryLocation, target: RepositoryLocation, options: TransferOptions): Promise<TransferSummary> {
  const plan = await planTransfer(source, target, options);
  return executeTransfer(plan, options);
}
