/**
 * Artifact and reference digests (model §2.1, §2.2). Resource content is re-read through its
 * access method and hashed while streaming; existing digests are checked, never silently
 * replaced, and each keeps its `normalisationAlgorithm`. Reference digests are the normalised
 * digests of the referenced component versions, computed recursively from their content.
 */
import type { ComponentDescriptor, ComponentReference, DigestSpec, Resource } from '../descriptor/types.js';
import { digestStream } from '../digest/digest.js';
import { isManifestMediaType } from '../oci/content/media-types.js';
import { accessCredentials, accessMethod, isArtifactDigester, type AccessContext, type AccessMethod } from '../repository/access.js';
import { registerBuiltins } from '../repository/builtins.js';
import { LOCAL_BLOB_TYPE } from '../repository/local-blob-access.js';
import { OCI_IMAGE_TYPE } from '../repository/oci-artifact-access.js';
import { signingTypes, type DigestHandler } from './types.js';
import type { ComponentVersionReader, ComponentVersionRepository, LocalBlobContent } from '../repository/types.js';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import { ErrorCode, OcmError, isOcmError, throwIfAborted } from '../runtime/errors.js';
import { defaultTypeRegistry, type TypeRegistry } from '../runtime/type-registry.js';
import { artifactSetDigest, isOciArtifactMediaType } from './artifact-set.js';
import { HASH_SHA256, canonicalHashName, hasNoneAccess, nodeHashName, normalisedDigest } from './normalise/index.js';
import { describeElement, requireDigests } from './signature.js';
import { Limiter, mapLimit } from '../internal/limiter.js';

export { describeElement, requireDigests };

export const GENERIC_BLOB_DIGEST_V1 = 'genericBlobDigest/v1';
export const OCI_ARTIFACT_DIGEST_V1 = 'ociArtifactDigest/v1';
export const NO_DIGEST = 'NO-DIGEST';
/** Resources (and referenced versions) read in parallel by default: overlaps file and network latency. */
export const DEFAULT_CONCURRENCY = 16;
export const EXCLUDE_FROM_SIGNATURE = 'EXCLUDE-FROM-SIGNATURE';

/** Where a component version lives: its descriptor plus the repository holding its local blobs. */
export interface LocatedComponentVersion {
  readonly descriptor: ComponentDescriptor;
  readonly repository: ComponentVersionRepository;
}

/** Finds referenced component versions. Default: the same repository as the root. */
export type ComponentVersionResolver = (component: string, version: string, options: { signal?: AbortSignal }) => Promise<LocatedComponentVersion>;

export interface DigestOptions {
  readonly credentials?: CredentialResolver;
  readonly plainHttp?: boolean;
  readonly registry?: TypeRegistry;
  readonly signal?: AbortSignal;
  /** Resources read in parallel, across the whole graph (default 16). */
  readonly concurrency?: number;
  /** Shared read slots; created per operation from `concurrency` when absent. */
  readonly limiter?: Limiter;
}

/** A concurrency bound per operation (one limiter per operation, so nested graphs do not multiply it). */
export type { Limiter };

export function createLimiter(n: number): Limiter {
  return new Limiter(n);
}

/**
 * A signal of its own for one concurrent read, following the operation's signal. Reads and
 * requests listen on their signal; with up to `concurrency` of them on one shared signal Node
 * warns about a listener leak. `AbortSignal.any` follows the parent without adding a listener to it.
 */
function scopedSignal(signal: AbortSignal): AbortSignal {
  return AbortSignal.any([signal]);
}

function scoped<T extends { readonly signal?: AbortSignal }>(options: T): T {
  return options.signal ? { ...options, signal: scopedSignal(options.signal) } : options;
}

export function isExcludedDigest(d: DigestSpec | undefined): boolean {
  return !!d && (d.hashAlgorithm === NO_DIGEST || d.normalisationAlgorithm === EXCLUDE_FROM_SIGNATURE);
}

// The access types are compared through the registry, which knows every name they go by.
function isLocalBlob(type: string, registry?: TypeRegistry): boolean {
  return registerBuiltins(registry ?? defaultTypeRegistry).same('access', type, LOCAL_BLOB_TYPE);
}

function isOciArtifactAccess(type: string, registry?: TypeRegistry): boolean {
  return registerBuiltins(registry ?? defaultTypeRegistry).same('access', type, OCI_IMAGE_TYPE);
}

/** The artifact normalisation a new digest of this resource gets. */
export function defaultArtifactNormalisation(r: Resource, registry?: TypeRegistry): string {
  const access = r.access;
  if (isOciArtifactAccess(access.type, registry)) return OCI_ARTIFACT_DIGEST_V1;
  const mediaType = access.mediaType as string | undefined;
  if (isLocalBlob(access.type, registry) && (isOciArtifactMediaType(mediaType) || isManifestMediaType(mediaType))) return OCI_ARTIFACT_DIGEST_V1;
  return GENERIC_BLOB_DIGEST_V1;
}

async function openContent(r: Resource, cv: LocatedComponentVersion, options: DigestOptions): Promise<LocalBlobContent> {
  const { name, version } = cv.descriptor.component;
  if (isLocalBlob(r.access.type, options.registry)) return cv.repository.getLocalBlob(name, version, r.access, options.signal ? { signal: options.signal } : {});
  const method = accessMethod(r.access, options.registry ?? defaultTypeRegistry);
  return method.open(r.access, await accessContext(method, r, cv, options));
}

/** The context for an access method, with the credentials for its consumer identity resolved here (identity first). */
async function accessContext(method: AccessMethod, r: Resource, cv: LocatedComponentVersion, options: DigestOptions): Promise<AccessContext> {
  const credentials = await accessCredentials(method, r.access, options.credentials, options.signal ? { signal: options.signal } : {});
  return {
    repository: cv.repository,
    component: cv.descriptor.component.name,
    version: cv.descriptor.component.version,
    resource: r,
    ...(credentials ? { credentials } : {}),
    ...(options.plainHttp ? { plainHttp: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/**
 * Computes the digest of a resource's content with the given artifact normalisation. For a
 * `genericBlobDigest/v1` on an OCI artifact also returns the manifest digest, because v2 records
 * manifest digests under that name (model §2.2).
 */
export async function computeResourceDigest(
  r: Resource,
  cv: LocatedComponentVersion,
  normalisation: string,
  hashAlgorithm: string,
  options: DigestOptions = {},
): Promise<{ digest: DigestSpec; alternatives: string[] }> {
  const what = `resource ${describeElement(r)} of ${cv.descriptor.component.name}:${cv.descriptor.component.version}`;
  const types = signingTypes(options.registry);
  const handler = types.find<DigestHandler>('digest', normalisation);
  if (!handler) {
    const known = types.list('digest').map((x) => x.type);
    throw new OcmError(ErrorCode.UNSUPPORTED, `${what}: unknown artifact normalisation "${normalisation}": supported are ${known.join(', ')}`);
  }
  const oci = handler.impl.artifact === 'oci';
  const spec = (value: string): DigestSpec => ({ hashAlgorithm, normalisationAlgorithm: normalisation, value });
  if (!isLocalBlob(r.access.type, options.registry)) {
    const method = accessMethod(r.access, options.registry ?? defaultTypeRegistry);
    // A digest processor (a plugin's) answers for every normalisation, with the digest spec it computed.
    if (isArtifactDigester(method) && (oci || method.anyNormalisation)) {
      const d = await wrap(what, async () => method.artifactDigest(r.access, await accessContext(method, r, cv, options), normalisation));
      if (d) return { digest: method.anyNormalisation ? d : spec(d.value), alternatives: [] };
    }
  }
  const content = await wrap(what, () => openContent(r, cv, options));
  const mediaType = (r.access.mediaType as string | undefined) ?? content.mediaType;
  if (isLocalBlob(r.access.type, options.registry) && isManifestMediaType(mediaType)) {
    // An OCI artifact stored as a manifest (or index) in the CV's repository, e.g. an image copied
    // by value into the v2 index representation (§4.5): the local blob is the manifest itself, read
    // and digest-checked through the repository, so both normalisations give the manifest digest (§2.2).
    if (nodeHashName(hashAlgorithm, options.registry) !== 'sha256' && oci) throw new OcmError(ErrorCode.UNSUPPORTED, `${what}: ${hashAlgorithm} digests of OCI artifacts are not supported`);
    const { digest } = await wrap(what, () => digestStream(content.stream, { algorithm: oci ? 'sha256' : nodeHashName(hashAlgorithm, options.registry), ...(options.signal ? { signal: options.signal } : {}) }));
    return { digest: spec(digest.slice(digest.indexOf(':') + 1)), alternatives: [] };
  }
  if (oci || isOciArtifactMediaType(mediaType) || isOciArtifactAccess(r.access.type, options.registry)) {
    const set = await wrap(what, () => artifactSetDigest(content.stream, what, options.signal ? { signal: options.signal } : {}));
    const manifestHex = set.manifest.slice('sha256:'.length);
    const blobHex = set.blob.slice('sha256:'.length);
    if (oci) return { digest: spec(manifestHex), alternatives: [] };
    if (nodeHashName(hashAlgorithm, options.registry) !== 'sha256') throw new OcmError(ErrorCode.UNSUPPORTED, `${what}: ${hashAlgorithm} digests of OCI artifacts are not supported`);
    return { digest: spec(blobHex), alternatives: [manifestHex] };
  }
  const algorithm = nodeHashName(hashAlgorithm, options.registry);
  if (content.digest?.startsWith(`${algorithm}:`)) {
    // The repository's stream is checked against `content.digest` while it is read: reading it to
    // the end proves the bytes have that digest, so they are not hashed a second time.
    await wrap(what, () => drain(content.stream, options.signal));
    return { digest: spec(content.digest.slice(algorithm.length + 1)), alternatives: [] };
  }
  const { digest } = await wrap(what, () => digestStream(content.stream, { algorithm, ...(options.signal ? { signal: options.signal } : {}) }));
  return { digest: spec(digest.slice(digest.indexOf(':') + 1)), alternatives: [] };
}

/** Reads `stream` to its end (where a verifying stream reports a mismatch). */
async function drain(stream: AsyncIterable<unknown>, signal: AbortSignal | undefined): Promise<void> {
  for await (const _ of stream) throwIfAborted(signal);
}

async function wrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isOcmError(e) && (e.code === ErrorCode.DIGEST_MISMATCH || e.code === ErrorCode.NOT_FOUND) && !e.message.startsWith(what)) {
      throw new OcmError(e.code, `${what}: ${e.message}`, { cause: e, details: e.details });
    }
    throw e;
  }
}

export type DigestMode = 'sign' | 'verify';

/**
 * Checks (and in `sign` mode fills in) every resource digest from content. Returns the descriptor
 * with digests; DIGEST_MISMATCH naming resource, field, expected and found on any difference.
 */
export async function digestResources(cv: LocatedComponentVersion, mode: DigestMode, options: DigestOptions = {}): Promise<ComponentDescriptor> {
  if (mode === 'verify') requireDigests(cv.descriptor);
  const cd = cv.descriptor;
  const cvn = `${cd.component.name}:${cd.component.version}`;
  const resources = cd.component.resources ?? [];
  const limiter = options.limiter ?? createLimiter(options.concurrency ?? DEFAULT_CONCURRENCY);
  const out = await mapLimit(resources, resources.length, async (r, i): Promise<Resource> => {
    throwIfAborted(options.signal);
    if (hasNoneAccess(r) || isExcludedDigest(r.digest)) return r;
    const existing = r.digest;
    const normalisation = existing?.normalisationAlgorithm ?? defaultArtifactNormalisation(r, options.registry);
    const hash = existing?.hashAlgorithm ?? HASH_SHA256;
    const { digest, alternatives } = await limiter.run(() => computeResourceDigest(r, cv, normalisation, hash, scoped(options)));
    if (!existing) return { ...r, digest };
    if (existing.value !== digest.value && !alternatives.includes(existing.value)) {
      throw new OcmError(
        ErrorCode.DIGEST_MISMATCH,
        `resource ${describeElement(r)} of ${cvn} changed: field resources[${i}].digest.value (${normalisation}, ${hash}) records ${existing.value}, the content gives ${digest.value}`,
        { details: { resource: r.name, field: `resources[${i}].digest.value`, expected: existing.value, actual: digest.value } },
      );
    }
    return r;
  });
  return { ...cd, component: { ...cd.component, resources: out } };
}

/** Memo of component versions whose digests were computed, keyed `name:version`. */
export type DigestCache = Map<string, Promise<ComponentDescriptor>>;

export interface GraphOptions extends DigestOptions {
  readonly resolve: ComponentVersionResolver;
  /** Shared memo so a version referenced many times is read once. */
  readonly cache?: DigestCache;
  /** Normalisation and hash for reference digests that do not exist yet. */
  readonly normalisation: string;
  readonly hashAlgorithm: string;
}

/**
 * The descriptor with all resource digests and all reference digests checked (and, in `sign`
 * mode, filled in). Reference digests come from the referenced versions' own content, recursively.
 * In `verify` mode the descriptor itself must carry every digest (else nothing covers that content).
 */
export async function digestComponentVersion(cv: LocatedComponentVersion, mode: DigestMode, options: GraphOptions): Promise<ComponentDescriptor> {
  if (mode === 'verify') requireDigests(cv.descriptor);
  const shared = options.limiter ? options : { ...options, limiter: createLimiter(options.concurrency ?? DEFAULT_CONCURRENCY) };
  return digestCached(cv.descriptor.component.name, cv.descriptor.component.version, async () => cv, shared, []);
}

function digestCached(component: string, version: string, load: () => Promise<LocatedComponentVersion>, options: GraphOptions, stack: readonly string[]): Promise<ComponentDescriptor> {
  const key = `${component}:${version}`;
  // The cycle check comes before the cache: a cycle would otherwise wait on itself.
  if (stack.includes(key)) {
    return Promise.reject(new OcmError(ErrorCode.VALIDATION_FAILED, `component reference cycle: ${[...stack, key].join(' -> ')}`));
  }
  const hit = options.cache?.get(key);
  if (hit) return hit;
  const p = (async () => digestOne(await load(), options, [...stack, key]))();
  options.cache?.set(key, p);
  p.catch(() => options.cache?.delete(key));
  return p;
}

async function digestOne(cv: LocatedComponentVersion, options: GraphOptions, stack: readonly string[]): Promise<ComponentDescriptor> {
  const withResources = await digestResources(cv, 'sign', options);
  const key = stack[stack.length - 1]!;
  const refs = withResources.component.componentReferences ?? [];
  // Referenced versions are digested concurrently (each once, through the cache).
  const digestedRefs = await mapLimit(refs, options.concurrency ?? DEFAULT_CONCURRENCY, async (ref, i): Promise<ComponentReference> => {
    throwIfAborted(options.signal);
    const version = ref.version ?? '';
    const load = () => options.resolve(ref.componentName, version, options.signal ? { signal: scopedSignal(options.signal) } : {});
    // A referenced version is digested like when signing (missing digests computed from its
    // content, existing ones checked): a root signed without --recursive stores none in it.
    const child = await digestCached(ref.componentName, version, load, options, stack);
    const norm = ref.digest?.normalisationAlgorithm ?? options.normalisation;
    const hash = ref.digest?.hashAlgorithm ?? canonicalHashName(options.hashAlgorithm);
    const value = normalisedDigest(child, norm, hash).value;
    if (!ref.digest) return { ...ref, digest: { hashAlgorithm: hash, normalisationAlgorithm: norm, value } };
    if (ref.digest.value !== value) {
      throw new OcmError(
        ErrorCode.DIGEST_MISMATCH,
        `reference ${describeElement(ref)} of ${key} changed: field componentReferences[${i}].digest.value (${norm}) records ${ref.digest.value}, ${ref.componentName}:${version} now gives ${value}`,
        { details: { reference: ref.name, field: `componentReferences[${i}].digest.value`, expected: ref.digest.value, actual: value } },
      );
    }
    return ref;
  });
  return { ...withResources, component: { ...withResources.component, componentReferences: digestedRefs } };
}

/** Resolver over one repository: referenced versions live beside the root (a CTF, a registry path). */
export function sameRepositoryResolver(repository: ComponentVersionRepository & ComponentVersionReader): ComponentVersionResolver {
  return async (component, version, options) => ({ descriptor: await repository.getComponentVersion(component, version, options), repository });
}

/** Wraps a resolver so each version is loaded once per operation (a graph visits versions twice). */
export function memoResolver(resolve: ComponentVersionResolver): ComponentVersionResolver {
  const memo = new Map<string, Promise<LocatedComponentVersion>>();
  return (component, version, options) => {
    const key = `${component}:${version}`;
    let p = memo.get(key);
    if (!p) {
      p = resolve(component, version, options);
      memo.set(key, p);
      p.catch(() => memo.delete(key));
    }
    return p;
  };
}
