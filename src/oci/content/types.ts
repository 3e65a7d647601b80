/**
 * The content-addressed vocabulary shared by every OCI medium (CTF, remote registry, OCI layout,
 * memory). Small interfaces composed (oras-go style): a `Target` is all that the OCM mapping and
 * `copy()` need, so a CTF and a registry are interchangeable and yield identical manifests.
 */
import type { Readable } from 'node:stream';

export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly 'os.version'?: string;
  readonly 'os.features'?: readonly string[];
}

/** The OCI content descriptor. */
export interface OciDescriptor {
  readonly mediaType: string;
  /** `sha256:<hex>` */
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly artifactType?: string;
  readonly platform?: Platform;
  readonly urls?: readonly string[];
  /** base64 embedded content */
  readonly data?: string;
}

export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly config: OciDescriptor;
  readonly layers: readonly OciDescriptor[];
  readonly subject?: OciDescriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly manifests: readonly OciDescriptor[];
  readonly subject?: OciDescriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface OpOptions {
  signal?: AbortSignal;
}

/** Options of a read. */
export interface FetchOptions extends OpOptions {
  /**
   * The caller verifies the digest itself (e.g. it streams into a `Pusher`, which must), so the
   * fetch may skip its own hash. Size is still enforced. A fetcher is free to verify anyway.
   */
  unverified?: boolean;
}

/**
 * Reads content by descriptor. The returned stream MUST be verified against `desc.digest` and
 * `desc.size` unless the caller asked for `unverified` (then at least the size is bounded).
 */
export interface Fetcher {
  fetch(desc: OciDescriptor, options?: FetchOptions): Promise<Readable>;
}

/**
 * Stores content under `desc`. MUST verify digest and size while streaming and make the content
 * visible only after verification (ingest → verify → rename / commit). Manifests and indexes
 * (by media type) are stored as manifests, everything else as blobs.
 */
export interface Pusher {
  push(desc: OciDescriptor, content: Readable | AsyncIterable<Uint8Array>, options?: OpOptions): Promise<void>;
}

/** True if the content of `desc` is present. */
export interface Exister {
  exists(desc: OciDescriptor, options?: OpOptions): Promise<boolean>;
}

export type ReadOnlyStorage = Fetcher & Exister;
export type Storage = ReadOnlyStorage & Pusher;

/** Tag resolution. `reference` is a tag or a digest. Unknown references throw NOT_FOUND. */
export interface TagResolver {
  resolve(reference: string, options?: OpOptions): Promise<OciDescriptor>;
  tag(desc: OciDescriptor, tag: string, options?: OpOptions): Promise<void>;
}

/** One OCI repository (`<host>/<path>` or a CTF repository name). */
export type Target = Storage & TagResolver;

/** Optional capability: list tags. */
export interface TagLister {
  listTags(options?: OpOptions): Promise<string[]>;
}

/** Optional capability: mount a blob from another repository of the same store without copying. */
export interface Mounter {
  mount(desc: OciDescriptor, fromRepository: string, options?: OpOptions): Promise<boolean>;
}

/**
 * Optional capability: store a blob unless the repository already has it, asking and starting the
 * upload in one request where the store can (a registry's POST with `mount=<digest>&from=<itself>`),
 * instead of a check and then an upload. `content` is read only when the blob is missing.
 */
export interface PresentOrPush {
  pushUnlessPresent(desc: OciDescriptor, content: Readable | AsyncIterable<Uint8Array>, options?: OpOptions): Promise<'present' | 'pushed'>;
}

/** A store of many repositories (a CTF archive, a registry host). */
export interface RepositoryStore {
  repository(name: string): Target;
  /** Optional: names of repositories present (CTF can list; registries may not). */
  listRepositories?(options?: OpOptions): Promise<string[]>;
  /** Flushes and releases resources (e.g. rewrites a tar archive atomically). */
  close?(options?: OpOptions): Promise<void>;
}

export function isTagLister(t: unknown): t is TagLister {
  return typeof (t as TagLister | undefined)?.listTags === 'function';
}

export function isMounter(t: unknown): t is Mounter {
  return typeof (t as Mounter | undefined)?.mount === 'function';
}

export function isPresentOrPush(t: unknown): t is PresentOrPush {
  return typeof (t as PresentOrPush | undefined)?.pushUnlessPresent === 'function';
}
