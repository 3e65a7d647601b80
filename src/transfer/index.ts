/**
 * Transfer of component-version graphs between repositories (CTF ↔ registry, registry ↔ registry,
 * CTF ↔ CTF): plan first, then copy with bounded concurrency; see plan.ts and execute.ts.
 */
import { locationsOf } from './endpoint.js';
import { executeTransfer } from './execute.js';
import { planTransfer } from './plan.js';
import type { TransferEndpoint, TransferOptions, TransferSummary } from './types.js';

export { planTransfer } from './plan.js';
export { executeTransfer } from './execute.js';
export { transferConfigFrom, type TransferConfig } from './config.js';
export { componentRepositoryName, toTag, toVersion } from '../repository/oci-mapping/tags.js';
export { parseImageReference } from '../oci/remote/reference.js';
export { formatImageReference, isOciImageAccess } from './image-ref.js';
export { openEndpoint, openLocation, registryOpener, type OpenLocationOptions, type OpenedLocation } from './open.js';
export { locationOf } from './endpoint.js';
export { selectVersions, checkSemverConstraint, type VersionSelection } from './select.js';
export { parseSemverConstraint, parseSemVer, compareSemVer, type SemverConstraint, type SemVer } from './semver-constraint.js';
export { TRANSFER_SPEC_KIND, parseTransferSpec, transferSpecDocument, type TransferSpec, type TransferSpecFlags } from './spec.js';
export { findReferrers, writeReferrerTags } from './referrers.js';

export { DEFAULT_CONCURRENCY } from './types.js';
export type * from './types.js';

/**
 * Plans and executes a transfer; returns what moved. Between repositories stored in OCI form (CTF,
 * registry) manifests and blobs are copied unchanged (identical digests, mounts within a
 * registry); any other repository is transferred through the repository interface.
 */
export async function transfer(source: TransferEndpoint, target: TransferEndpoint, options: TransferOptions): Promise<TransferSummary> {
  // loaded only when needed: the CLI's start-up stays small for the usual OCI-mapped repositories
  if (!locationsOf([source, target, ...(options.resolvers ?? [])])) return (await import('./generic.js')).transferGeneric(source, target, options);
  // Nobody sees this plan before it runs: blobs are checked as they are copied (overlapping).
  const plan = await planTransfer(source, target, { blobChecks: 'copy', ...options });
  return executeTransfer(plan, options);
}
export { takeInventory, inventoryToDeltaBase, parseInventory, INVENTORY_KIND, type Inventory, type InventoryBlob, type InventoryOptions, type InventoryRepository, type InventoryVersion } from './inventory.js';
export { readDeltaManifest, DELTA_FILE, DELTA_KIND, type DeltaEntry, type DeltaManifest } from './delta.js';
