/**
 * Builds the view model (model.ts) from a repository: walks component references, records where
 * every artifact lives now (with layer size and media type from the stored OCI manifest, read
 * without touching content) and, when asked, verifies each signature the way `ocm verify cv` does,
 * keeping its one-line failure message as the signature's `detail`.
 */
import type { X509Certificate } from 'node:crypto';
import type { ComponentDescriptor, DigestSpec, Label, Resource, Signature, Source, TypedSpec } from '../descriptor/types.js';
import type { OciDescriptor } from '../oci/content/types.js';
import type { StoredVersion } from '../repository/oci-mapping/stored.js';
import { hasOciStore, type ComponentVersionRepository } from '../repository/types.js';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import { ErrorCode, OcmError, isOcmError, throwIfAborted } from '../runtime/errors.js';
import type { TypeRegistry, TypedSpecLike } from '../runtime/type-registry.js';
import { createLimiter, digestComponentVersion, memoResolver, type ComponentVersionResolver, type DigestCache } from '../signing/digests.js';
import type { PublicKeyMaterial } from '../signing/rsa.js';
import { verifySignature } from '../signing/signature.js';
import { verifySpecSignature } from '../signing/spec-signer.js';
import { VERSION } from '../version.js';
import type { NodeKey, SignatureState, ViewArtifact, ViewDigest, ViewEdge, ViewGraph, ViewLabel, ViewNode, ViewSignature } from './model.js';

export interface ViewVerifyOptions {
  /** Only this signature is checked (others stay `not-checked`); default: every signature. */
  readonly signature?: string;
  readonly publicKey?: PublicKeyMaterial;
  readonly caCerts?: readonly X509Certificate[];
  /** A verifier config of a registered signer type (e.g. a plugin's); no public key needed. */
  readonly verifierSpec?: TypedSpecLike;
  /** For blobs behind external accesses and spec verifiers. */
  readonly credentials?: CredentialResolver;
  readonly registry?: TypeRegistry;
  readonly plainHttp?: boolean;
}

export interface BuildViewGraphOptions {
  /** Follow component references (default: only the root version(s)). */
  readonly recursive?: boolean;
  /** Where referenced versions are looked for after `repo`, in order. */
  readonly resolvers?: readonly ComponentVersionRepository[];
  /** Check signatures; without it every signature is `not-checked`. */
  readonly verify?: ViewVerifyOptions;
  /** Names a repository in `location`/`repository` (default: its OCI store description). */
  readonly describe?: (repo: ComponentVersionRepository) => string | undefined;
  readonly signal?: AbortSignal;
  /** For reproducible output in tests. */
  readonly now?: Date;
}

interface Loaded {
  readonly key: NodeKey;
  readonly component: string;
  readonly version: string;
  readonly descriptor?: ComponentDescriptor;
  readonly repository?: ComponentVersionRepository;
  readonly layers?: readonly OciDescriptor[];
  readonly error?: string;
}

type StoredReader = { readStoredVersion(component: string, version: string, options?: { signal?: AbortSignal }): Promise<StoredVersion> };

const keyOf = (component: string, version: string): NodeKey => `${component}:${version}`;
const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * The graph of `component` at `version` (or several versions: several roots). A root that cannot
 * be read fails; a referenced version that cannot be read becomes a node with `error`.
 */
export async function buildViewGraph(
  repo: ComponentVersionRepository,
  component: string,
  version: string | readonly string[],
  options: BuildViewGraphOptions = {},
): Promise<ViewGraph> {
  const { signal } = options;
  const repos = [repo, ...(options.resolvers ?? [])];
  const describe = (r: ComponentVersionRepository): string => options.describe?.(r) ?? (hasOciStore(r) ? r.ociStore()?.description : undefined) ?? 'repository';
  const op = signal ? { signal } : {};

  const rootVersions = typeof version === 'string' ? [version] : [...version];
  const roots = rootVersions.map((v) => keyOf(component, v));
  const loaded = new Map<NodeKey, Loaded>();
  const discovery: NodeKey[] = [];
  const edges: ViewEdge[] = [];

  const load = async (c: string, v: string, root: boolean): Promise<Loaded> => {
    const key = keyOf(c, v);
    let firstError: unknown;
    for (const r of repos) {
      throwIfAborted(signal);
      try {
        const descriptor = await r.getComponentVersion(c, v, op);
        return { key, component: c, version: v, descriptor, repository: r, ...(await layersOf(r, c, v, signal)) };
      } catch (e) {
        if (signal?.aborted) throw e;
        if (root && r === repo) throw e;
        if (!isOcmError(e, ErrorCode.NOT_FOUND)) firstError ??= e;
      }
    }
    const error = firstError
      ? oneLine(firstError instanceof Error ? firstError.message : String(firstError))
      : `not found in ${repos.map(describe).join(', ')}`;
    return { key, component: c, version: v, error };
  };

  // Breadth-first discovery; each version is read once, so cycles end.
  const queue: { component: string; version: string; root: boolean }[] = rootVersions.map((v) => ({ component, version: v, root: true }));
  for (const q of queue) {
    const key = keyOf(q.component, q.version);
    if (loaded.has(key)) continue;
    const node = await load(q.component, q.version, q.root);
    loaded.set(key, node);
    discovery.push(key);
    if (!options.recursive || !node.descriptor) continue;
    for (const ref of node.descriptor.component.componentReferences ?? []) {
      const v = ref.version ?? '';
      edges.push({ from: key, to: keyOf(ref.componentName, v), name: ref.name, ...(ref.digest ? { digest: viewDigest(ref.digest) } : {}) });
      queue.push({ component: ref.componentName, version: v, root: false });
    }
  }

  const verifier = options.verify ? new Verifier(options.verify, loaded, repos, signal) : undefined;
  const nodes: ViewNode[] = [];
  for (const key of parentsFirst(discovery, edges)) {
    const l = loaded.get(key)!;
    nodes.push(await toNode(l, l.repository ? describe(l.repository) : '', verifier));
  }
  return { roots, nodes, edges, generatedAt: (options.now ?? new Date()).toISOString(), generator: `ocm-ts ${VERSION}` };
}

/** The stored manifest's layers, when the repository is the OCI mapping (no content is read). */
async function layersOf(r: ComponentVersionRepository, c: string, v: string, signal?: AbortSignal): Promise<{ layers?: readonly OciDescriptor[] }> {
  const reader = r as Partial<StoredReader>;
  if (typeof reader.readStoredVersion !== 'function') return {};
  try {
    const stored = await reader.readStoredVersion(c, v, signal ? { signal } : {});
    return { layers: [...stored.manifest.layers, ...(stored.index?.manifests.slice(1) ?? [])] };
  } catch (e) {
    if (signal?.aborted) throw e;
    // Size and media type are extras: the descriptor was read, so the node stays complete.
    return {};
  }
}

/** Discovery order, reordered so every node comes after all its parents (Kahn; cycles keep discovery order). */
export function parentsFirst(discovery: readonly NodeKey[], edges: readonly ViewEdge[]): NodeKey[] {
  const known = new Set(discovery);
  const indegree = new Map<NodeKey, number>(discovery.map((k) => [k, 0]));
  for (const e of edges) if (known.has(e.from) && known.has(e.to) && e.from !== e.to) indegree.set(e.to, indegree.get(e.to)! + 1);
  const out: NodeKey[] = [];
  const done = new Set<NodeKey>();
  while (out.length < discovery.length) {
    // The first ready node in discovery order; on a cycle, the first one left.
    const next = discovery.find((k) => !done.has(k) && indegree.get(k) === 0) ?? discovery.find((k) => !done.has(k))!;
    done.add(next);
    out.push(next);
    for (const e of edges) {
      if (e.from === next && e.to !== next && !done.has(e.to) && known.has(e.to)) indegree.set(e.to, indegree.get(e.to)! - 1);
    }
  }
  return out;
}

async function toNode(l: Loaded, where: string, verifier: Verifier | undefined): Promise<ViewNode> {
  const d = l.descriptor;
  if (!d) {
    return { key: l.key, component: l.component, version: l.version, provider: '', labels: [], repositoryContexts: [], repository: '', resources: [], sources: [], signatures: [], error: l.error ?? 'not found' };
  }
  const c = d.component;
  const signatures: ViewSignature[] = [];
  for (const s of d.signatures ?? []) signatures.push(await viewSignature(s, l, verifier));
  return {
    key: l.key,
    component: c.name,
    version: c.version,
    provider: providerName(c.provider),
    labels: viewLabels(c.labels),
    repositoryContexts: c.repositoryContexts ?? [],
    repository: where,
    ...(c.creationTime ? { creationTime: c.creationTime } : {}),
    resources: (c.resources ?? []).map((r) => artifact('resource', r, where, l.layers)),
    sources: (c.sources ?? []).map((s) => artifact('source', s, where, l.layers)),
    signatures,
  };
}

/** The wire form may be a JSON string `{"name":..,"labels":[..]}` (model §2). */
function providerName(p: string): string {
  if (!p.startsWith('{')) return p;
  try {
    const v = JSON.parse(p) as { name?: unknown };
    return typeof v.name === 'string' ? v.name : p;
  } catch {
    return p;
  }
}

function viewLabels(labels: readonly Label[] | undefined): ViewLabel[] {
  return (labels ?? []).map((l) => ({ name: l.name, value: l.value, ...(l.signing ? { signing: true } : {}) }));
}

function viewDigest(d: DigestSpec): ViewDigest {
  return { hashAlgorithm: d.hashAlgorithm, normalisationAlgorithm: d.normalisationAlgorithm, value: d.value };
}

function artifact(kind: 'resource' | 'source', e: Resource | Source, where: string, layers: readonly OciDescriptor[] | undefined): ViewArtifact {
  const access = e.access as TypedSpec | undefined;
  const r = e as Resource;
  const rel = r.relation === 'local' || r.relation === 'external' ? r.relation : undefined;
  const blob = access && isLocalBlobType(access.type) ? localLayers(access, layers) : undefined;
  const mediaType = (typeof access?.mediaType === 'string' ? access.mediaType : undefined) ?? blob?.mediaType;
  return {
    kind,
    name: e.name,
    ...(e.version !== undefined ? { version: e.version } : {}),
    type: e.type,
    ...(rel ? { relation: rel } : {}),
    ...(e.extraIdentity && Object.keys(e.extraIdentity).length > 0 ? { extraIdentity: e.extraIdentity } : {}),
    ...(e.labels && e.labels.length > 0 ? { labels: viewLabels(e.labels) } : {}),
    ...(access ? { access } : {}),
    location: locationOf(access, where),
    ...(r.digest ? { digest: viewDigest(r.digest) } : {}),
    ...(blob?.size !== undefined ? { size: blob.size } : {}),
    ...(mediaType ? { mediaType } : {}),
  };
}

// v1 and v2 names of the local blob access (the type registry knows them; the view needs only these).
const LOCAL_BLOB_TYPES = new Set(['localBlob', 'localBlob/v1', 'LocalBlob', 'LocalBlob/v1']);
const isLocalBlobType = (t: string): boolean => LOCAL_BLOB_TYPES.has(t);

function localLayers(access: TypedSpec, layers: readonly OciDescriptor[] | undefined): { size?: number; mediaType?: string } | undefined {
  const ref = typeof access.localReference === 'string' ? access.localReference : '';
  if (!layers || !ref) return undefined;
  // A v1 `blobLimit` blob is the concatenation of several layers.
  const found = ref.split(',').map((p) => layers.find((l) => l.digest === p.trim()));
  if (found.some((f) => !f)) return undefined;
  return { size: found.reduce((n, f) => n + f!.size, 0), mediaType: found[0]!.mediaType };
}

/** One line: where the bytes are now. */
export function locationOf(access: TypedSpec | undefined, where: string): string {
  if (!access) return 'no access';
  const s = (k: string): string | undefined => (typeof access[k] === 'string' && access[k] !== '' ? (access[k] as string) : undefined);
  const t = access.type;
  if (isLocalBlobType(t)) return `localBlob ${s('localReference') ?? '?'} in ${where || 'repository'}`;
  if (/^ociArtifact(\/v1)?$|^ociRegistry(\/v1)?$|^OCIImage(\/v1)?$/i.test(t)) return s('imageReference') ?? `${t} (no imageReference)`;
  if (/^ociBlob(\/v1)?$/i.test(t)) return [s('ref'), s('digest')].filter(Boolean).join('@') || t;
  if (/^helm(\/v1)?$/i.test(t)) return [s('helmRepository'), s('helmChart')].filter(Boolean).join(' ') || t;
  if (/^(gitHub|github)(\/v1)?$/.test(t)) return [s('repoUrl') ?? s('repository'), s('commit') ?? s('ref')].filter(Boolean).join(' @ ') || t;
  if (/^s3(\/v1)?$/i.test(t)) return `s3://${s('bucket') ?? '?'}/${s('key') ?? ''}`;
  if (/^none(\/v1)?$/i.test(t)) return 'no content (none access)';
  // Unknown types: the first URL-ish field, else the type.
  const hint = s('url') ?? s('imageReference') ?? s('reference') ?? s('ref') ?? s('path');
  return hint ? `${t} ${hint}` : t;
}

async function viewSignature(s: Signature, l: Loaded, verifier: Verifier | undefined): Promise<ViewSignature> {
  const base = {
    name: s.name,
    algorithm: s.signature.algorithm,
    mediaType: s.signature.mediaType,
    ...(s.signature.issuer ? { issuer: s.signature.issuer } : {}),
    digest: viewDigest(s.digest),
  };
  const outcome = verifier ? await verifier.check(l, s) : undefined;
  return { ...base, state: outcome?.state ?? 'not-checked', ...(outcome?.detail ? { detail: outcome.detail } : {}) };
}

/** Verifies signatures with one digest cache per (normalisation, hash), so a graph's blobs are read once per pair. */
class Verifier {
  readonly #caches = new Map<string, DigestCache>();
  readonly #limiter = createLimiter(8);
  readonly #resolve: ComponentVersionResolver;
  readonly options: ViewVerifyOptions;
  readonly signal: AbortSignal | undefined;

  constructor(options: ViewVerifyOptions, loaded: ReadonlyMap<NodeKey, Loaded>, repos: readonly ComponentVersionRepository[], signal: AbortSignal | undefined) {
    this.options = options;
    this.signal = signal;
    // Versions already read come from the walk; others (not walked, not recursive) are looked up in order.
    this.#resolve = memoResolver(async (component, version, op) => {
      const l = loaded.get(keyOf(component, version));
      if (l?.descriptor && l.repository) return { descriptor: l.descriptor, repository: l.repository };
      let last: unknown;
      for (const r of repos) {
        try {
          return { descriptor: await r.getComponentVersion(component, version, op), repository: r };
        } catch (e) {
          if (!isOcmError(e, ErrorCode.NOT_FOUND)) throw e;
          last = e;
        }
      }
      throw last;
    });
  }

  async check(l: Loaded, s: Signature): Promise<{ state: SignatureState; detail?: string }> {
    const o = this.options;
    if (o.signature !== undefined && o.signature !== s.name) return { state: 'not-checked' };
    if (!o.publicKey && !o.caCerts && !o.verifierSpec) return { state: 'not-checked' };
    const { normalisationAlgorithm: normalisation, hashAlgorithm } = s.digest;
    const ck = `${normalisation} ${hashAlgorithm}`;
    let cache = this.#caches.get(ck);
    if (!cache) this.#caches.set(ck, (cache = new Map()));
    try {
      const digested = await digestComponentVersion({ descriptor: l.descriptor!, repository: l.repository! }, 'verify', {
        resolve: this.#resolve,
        cache,
        limiter: this.#limiter,
        normalisation,
        hashAlgorithm,
        ...(o.credentials ? { credentials: o.credentials } : {}),
        ...(o.registry ? { registry: o.registry } : {}),
        ...(o.plainHttp ? { plainHttp: true } : {}),
        ...(this.signal ? { signal: this.signal } : {}),
      });
      if (o.verifierSpec) {
        await verifySpecSignature(digested, s.name, {
          spec: o.verifierSpec,
          ...(o.registry ? { registry: o.registry } : {}),
          ...(o.credentials ? { credentials: o.credentials } : {}),
          ...(this.signal ? { signal: this.signal } : {}),
        });
      } else {
        verifySignature(digested, s.name, { ...(o.publicKey ? { publicKey: o.publicKey } : {}), ...(o.caCerts ? { caCerts: o.caCerts } : {}), ...(o.registry ? { registry: o.registry } : {}) });
      }
      return { state: 'verified' };
    } catch (e) {
      if (this.signal?.aborted) throw e;
      // The same message `ocm verify cv` prints: it names what changed (resource, reference, field).
      const msg = e instanceof OcmError || e instanceof Error ? e.message : String(e);
      return { state: 'failed', detail: oneLine(msg) };
    }
  }
}
