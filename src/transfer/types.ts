/** The transfer engine's public vocabulary. */
import type { CredentialResolver } from '../runtime/credentials-types.js';
import type { TypeRegistry } from '../runtime/type-registry.js';
import type { OciDescriptor, OpOptions } from '../oci/content/types.js';
import type { ComponentVersionRepository, OciStoreRef } from '../repository/types.js';
import type { PublicKeyMaterial } from '../signing/rsa.js';
import type { RewrittenVersion, StoredVersion } from './cv-io.js';

/**
 * A place component versions (or images) live, at the OCI level: a CTF, or a registry host with a
 * sub path (what an OCI-mapped repository's `ociStore()` reports).
 */
export type RepositoryLocation = OciStoreRef;

/**
 * What transfer reads from and writes to: any component-version repository. One that maps onto OCI
 * (`ociStore()`, the built-in CTF and OCI types) is copied at the OCI level (unchanged manifests,
 * mounts); any other through the repository interface. A bare `RepositoryLocation` is accepted too.
 */
export type TransferEndpoint = ComponentVersionRepository | RepositoryLocation;

/**
 * Parallel blob copies by default: like skopeo's 6 parallel layer copies; measured faster than 4 for
 * many small blobs, while in-flight upload buffers (one chunk each) keep memory bounded.
 */
export const DEFAULT_CONCURRENCY = 6;

export type UploadAs = 'localBlob' | 'ociArtifact';

export interface VersionSelector {
  readonly component: string;
  /** Absent: every version (or the highest with `latest`). */
  readonly version?: string;
}

export interface TransferEvents {
  /** A blob or manifest starts streaming. */
  onStart?(desc: OciDescriptor): void;
  onBytes?(desc: OciDescriptor, bytes: number): void;
  onCopy?(desc: OciDescriptor): void;
  onSkip?(desc: OciDescriptor): void;
  onMount?(desc: OciDescriptor, fromRepository: string): void;
  /** A component version became visible at the target (tag written) or was already there. */
  onVersion?(v: PlannedVersion, state: 'written' | 'present'): void;
}

export interface TransferOptions extends OpOptions {
  readonly roots: readonly VersionSelector[];
  /** Follow component references (from the source, then `resolvers`). */
  readonly recursive?: boolean;
  readonly resolvers?: readonly TransferEndpoint[];
  /** With a versionless root: only the highest version. */
  readonly latest?: boolean;
  /** Copy external `ociArtifact` resources by value. */
  readonly copyResources?: boolean;
  /** How by-value artifacts are stored (default `localBlob`; `ociArtifact` needs a registry target). */
  readonly uploadAs?: UploadAs;
  /** Parallel blob operations (default `DEFAULT_CONCURRENCY`). */
  readonly concurrency?: number;
  /**
   * When the target is asked about each blob: `plan` (default; exact totals, as dry runs and
   * printed plans need) or `copy` (right before the blob would be copied, so the checks overlap
   * with other blobs' transfers instead of preceding them all; the plan's blob counts and bytes
   * are then upper bounds, and present blobs are reported by `onSkip`). Delta exports always
   * check in the plan (what to omit is decided there).
   */
  readonly blobChecks?: 'plan' | 'copy';
  /** Replace a target version whose content differs (default: ALREADY_EXISTS). */
  readonly overwrite?: boolean;
  /** Opens the registry behind an `ociArtifact` image reference (`host[:port]`). Needed with `copyResources`. */
  readonly openRegistry?: (host: string) => Promise<RepositoryLocation>;
  /**
   * For repositories not stored in OCI form, `copyResources` reads resources through their access
   * method (e.g. a plugin's): where access types are looked up, and who resolves their credentials.
   */
  readonly registry?: TypeRegistry;
  readonly credentials?: CredentialResolver;
  readonly plainHttp?: boolean;
  readonly events?: TransferEvents;
  /**
   * Before a version's tag is written, read everything back from the target: every blob it
   * references (digest and size), resource digests recomputed against the descriptor, and the
   * digest every signature covers. On failure no tag is written (DIGEST_MISMATCH / VERIFICATION_FAILED).
   */
  readonly verify?: boolean;
  /** With `verify`: also verify this signature with `publicKey` on every written version. */
  readonly verifySignature?: { readonly name: string; readonly publicKey: PublicKeyMaterial };
  /**
   * Delta export (issue 15): blobs the far side already holds are not copied; the target (a CTF)
   * records what it omitted, so an import can check the far side before writing anything.
   */
  readonly deltaAgainst?: DeltaBase;
  /** With `copyResources`: also copy each artifact's OCI referrers (signatures, SBOMs, attestations). Default true. */
  readonly referrers?: boolean;
  /** Versionless roots: only versions matching this constraint (Masterminds/semver syntax, as Go v2). */
  readonly semverConstraint?: string;
}

/** What the far side of an air gap already holds (from an inventory, a previous CTF or a registry). */
export interface DeltaBase {
  /** Where it was taken from (for messages). */
  readonly description: string;
  /** Blob and manifest digests held, with their size and the repositories holding them. */
  readonly has: ReadonlyMap<string, { readonly size: number; readonly repositories: readonly string[] }>;
}

/** An OCI referrer of a by-value artifact (its manifest has `subject` = the artifact's root), copied along. */
export interface PlannedReferrer {
  readonly desc: OciDescriptor;
  /** The referrers-tag-schema / cosign tag it was found under (`sha256-<hex>[.sig|.att|.sbom]`), re-created at the target. */
  readonly tag?: string;
}

/** An external OCI artifact that moves by value. */
export interface PlannedArtifact {
  readonly resourceIndex: number;
  readonly resource: Readonly<Record<string, string>>;
  readonly imageReference: string;
  readonly from: RepositoryLocation;
  readonly fromRepository: string;
  readonly root: OciDescriptor;
  readonly uploadAs: UploadAs;
  /** Repository in the target store it is copied into. */
  readonly targetRepository: string;
  readonly targetTag?: string;
  readonly newAccess: Readonly<Record<string, unknown>>;
  /** Referrers of `root` copied along (empty or absent with `referrers: false`). */
  readonly referrers?: readonly PlannedReferrer[];
}

export interface PlannedVersion {
  readonly component: string;
  readonly version: string;
  readonly from: RepositoryLocation;
  readonly fromRepository: string;
  readonly stored: StoredVersion;
  readonly targetRepository: string;
  /** Set when accesses change (by-value copy): the regenerated CV. */
  readonly rewritten?: RewrittenVersion;
  /** What the tag will point to at the target. */
  readonly targetRoot: OciDescriptor;
  readonly action: 'copy' | 'present';
  readonly artifacts: readonly PlannedArtifact[];
  /** `name:version` of referenced versions in this plan. */
  readonly references: readonly string[];
  /** Digests (blobs and manifests) the target lacked when planned. */
  readonly missing: Set<string>;
  /** Leaf blobs (and their bytes) that the target is missing (at most, with `blobChecks: 'copy'`). */
  missingBlobs: number;
  missingBytes: number;
  totalBytes: number;
  /** Delta export: blobs left out because the far side holds them (digest → size). */
  readonly omitted?: Map<string, number>;
}

export interface TransferPlan {
  /** Children before parents: the order tags are written in. */
  readonly versions: readonly PlannedVersion[];
  readonly target: RepositoryLocation;
  /** The roots with the exact versions they resolved to (`latest`, `semverConstraint`), in order. */
  readonly roots?: readonly { readonly component: string; readonly version: string }[];
  /** Blobs are checked as they are copied (`blobChecks: 'copy'`): blob totals are upper bounds. */
  readonly blobsCheckedAtCopy?: boolean;
}

export interface TransferSummary {
  components: number;
  versions: number;
  versionsWritten: number;
  versionsPresent: number;
  resources: number;
  artifacts: number;
  blobsCopied: number;
  blobsSkipped: number;
  blobsMounted: number;
  bytesMoved: number;
  durationMs: number;
}
