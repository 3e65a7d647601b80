/**
 * Component version repositories: where descriptors and their local blobs live. The OCM OCI
 * mapping implements these over any `Target` store (CTF archive or OCI registry), so both
 * backends produce byte-identical manifests.
 */
import type { Readable } from 'node:stream';
import type { ReadOnlyBlob } from '../blob/blob.js';
import type { ComponentDescriptor, TypedSpec } from '../descriptor/types.js';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import type { Identity } from '../runtime/identity.js';
import type { Logger } from '../runtime/logger.js';

import type { OpOptions, RepositoryStore } from '../oci/content/types.js';
export type { OpOptions };

/** The element(s) stored in a local blob; written as the `software.ocm.artifact` layer annotation. */
export interface ArtifactRef {
  readonly kind: 'resource' | 'source';
  readonly identity: Identity;
  /** The element's type (e.g. `blob`, `helmChart`), for repositories that store whole elements (a plugin's). */
  readonly type?: string;
}

export interface LocalBlobInput {
  /** The bytes; a ReadOnlyBlob may be opened more than once (e.g. to compute a digest first). */
  readonly content: ReadOnlyBlob | Readable;
  readonly mediaType: string;
  /** `sha256:<hex>` if known in advance; verified while storing. */
  readonly digest?: string;
  readonly size?: number;
  readonly artifacts?: readonly ArtifactRef[];
}

/** What a stored local blob is known as; becomes the `localBlob` access. */
export interface StoredLocalBlob {
  /** `sha256:<hex>` in OCI/CTF repositories. */
  readonly localReference: string;
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

export interface LocalBlobContent {
  /** Verified stream (digest and size checked while reading). */
  readonly stream: Readable;
  readonly mediaType?: string;
  readonly digest?: string;
  readonly size?: number;
}

export interface ComponentVersionReader {
  /** NOT_FOUND if the component version does not exist. */
  getComponentVersion(component: string, version: string, options?: OpOptions): Promise<ComponentDescriptor>;
  /** All versions of a component (tags mapped back `.build-` → `+`); `[]` if none. */
  listComponentVersions(component: string, options?: OpOptions): Promise<string[]>;
}

export interface AddComponentVersionOptions extends OpOptions {
  /** Replace an existing version (default: ALREADY_EXISTS if it differs, no-op if identical). */
  readonly overwrite?: boolean;
}

export interface ComponentVersionWriter {
  /**
   * Stores the descriptor as the CV manifest, whose layers are the descriptor layer plus every
   * local blob referenced by a `localBlob` access. The tag is written last, so a half-written
   * version is never visible.
   */
  addComponentVersion(descriptor: ComponentDescriptor, options?: AddComponentVersionOptions): Promise<void>;
}

export interface LocalBlobReader {
  /** Opens a local blob by its `localBlob` access (`localReference`, `mediaType`). */
  getLocalBlob(component: string, version: string, access: TypedSpec, options?: OpOptions): Promise<LocalBlobContent>;
}

export interface LocalBlobWriter {
  /** Stores a blob for a CV that is about to be added; returns its local reference. */
  addLocalBlob(component: string, version: string, blob: LocalBlobInput, options?: OpOptions): Promise<StoredLocalBlob>;
}

export type ComponentVersionRepository = ComponentVersionReader &
  ComponentVersionWriter &
  LocalBlobReader &
  LocalBlobWriter & {
    /** Flushes (e.g. rewrites a tar/tgz CTF atomically) and releases resources. Idempotent. */
    close(options?: OpOptions): Promise<void>;
  };

/**
 * Where a repository that maps component versions onto OCI (a CTF, a registry) keeps them: lets
 * transfer copy manifests and blobs unchanged (identical digests, cross-repository mounts).
 */
export interface OciStoreRef {
  readonly store: RepositoryStore;
  /** Prefix of OCI repository names (the registry `subPath`); empty for a CTF. */
  readonly subPath?: string;
  /** Identifies the physical store: equal ids allow cross-repository mounts (`oci:host:port`, `ctf:/abs/path`). */
  readonly id: string;
  /** `host[:port]` of a registry (needed to write `ociArtifact` accesses). */
  readonly registryHost?: string;
  /** For messages (never with credentials). */
  readonly description?: string;
}

/** Optional capability: the repository is the OCM OCI mapping over an OCI store. */
export interface OciStoreCapable {
  ociStore(): OciStoreRef | undefined;
}

export function hasOciStore<T>(r: T): r is T & OciStoreCapable {
  return typeof (r as Partial<OciStoreCapable> | undefined)?.ociStore === 'function';
}

/** Optional capability: release without committing pending writes (a failed operation's target). */
export interface Discardable {
  /** Like `close`, but nothing pending is written (a tar/tgz CTF is not rewritten, an index not flushed). */
  discard(options?: OpOptions): Promise<void>;
}

export function isDiscardable<T>(r: T): r is T & Discardable {
  return typeof (r as Partial<Discardable> | undefined)?.discard === 'function';
}

export type CtfFormat = 'directory' | 'tar' | 'tgz';

/** `CommonTransportFormat/v1` (aliases `CTF`, `ctf`). */
export interface CtfRepositorySpec extends TypedSpec {
  readonly type: string;
  readonly filePath: string;
  readonly fileFormat?: CtfFormat;
  readonly accessMode?: 'readonly' | 'readwrite' | 'create';
}

/** `OCIRepository/v1` (aliases `OCIRegistry`, `OCI`, `oci`, `ociRegistry`). */
export interface OciRepositorySpec extends TypedSpec {
  readonly type: string;
  /** `host[:port]`, optionally with `https://`, `http://` or `oci://`. */
  readonly baseUrl: string;
  readonly subPath?: string;
}

export interface OpenRepositoryOptions extends OpOptions {
  /** Where credentials come from; the repository computes consumer identities and asks. Default: anonymous. */
  readonly credentials?: CredentialResolver;
  /** Allow plain HTTP to non-loopback hosts. */
  readonly plainHttp?: boolean;
  /** Create a CTF if missing (writes). */
  readonly create?: boolean;
  readonly logger?: Logger;
}

/** Registered in the type registry under kind `repository`. */
export interface RepositoryProvider {
  /** The consumer identity credentials for this repository are looked up with, if any (a plugin's asks its process). */
  consumerIdentity(spec: TypedSpec): Identity | undefined | Promise<Identity | undefined>;
  open(spec: TypedSpec, options?: OpenRepositoryOptions): Promise<ComponentVersionRepository>;
}
