/**
 * OCM's OCI mapping (shared/spec/model-and-formats.md §4): a component version is an image
 * manifest tagged `<version>` in `[<subPath>/]component-descriptors/<component>`, whose config
 * points at the descriptor layer and whose further layers are the local blobs. Works over any
 * `RepositoryStore`, so a CTF and a registry get byte-identical manifests.
 */
import { Readable } from 'node:stream';
import { serializeDescriptor, validateDescriptor } from '../../descriptor/codec.js';
import { elementIdentity } from '../../descriptor/identity.js';
import type { ComponentDescriptor, ElementMeta, TypedSpec } from '../../descriptor/types.js';
import { digestOf, isDigest } from '../../digest/digest.js';
import { Annotation, MediaType, isManifestMediaType } from '../../oci/content/media-types.js';
import type { ImageIndex, ImageManifest, OciDescriptor, OpOptions, RepositoryStore, Target } from '../../oci/content/types.js';
import { isTagLister } from '../../oci/content/types.js';
import { ErrorCode, NotFoundError, OcmError, ValidationError, isOcmError } from '../../runtime/errors.js';
import type { Identity } from '../../runtime/identity.js';
import { typeKey } from '../../runtime/type-registry.js';
import { VERSION } from '../../version.js';
import type {
  AddComponentVersionOptions,
  ArtifactRef,
  ComponentVersionRepository,
  LocalBlobContent,
  LocalBlobInput,
  OciStoreRef,
  StoredLocalBlob,
} from '../types.js';
import { isBlobStatter, isDedupingPusher, isTagBatcher } from './capabilities.js';
import { descriptorTar } from './descriptor-layer.js';
import { readStoredManifest, readStoredVersion, type StoredVersion } from './stored.js';
import { serializeComponentConfig, serializeIndex, serializeManifest } from './manifest.js';
import { BATCH_CONCURRENCY, checkOnce, ownSignal, type AddComponentVersionsOptions, type ComponentVersionBatch, type StagedVersion } from './batch.js';
import { Limiter, mapLimit } from '../../internal/limiter.js';
import { BoundedCache } from './util.js';
import { storeBlob } from './store-blob.js';
import { componentRepositoryName, isVersionTag, toTag, toVersion } from './tags.js';

export interface OciComponentRepositoryOptions {
  subPath?: string;
  /** `software.ocm.creator` annotation (free text). */
  creator?: string;
  /** Close the store when this repository is closed. */
  closeStore?: boolean;
  /** What `ociStore()` reports besides store and subPath (default: an id of this instance only, so no mounts). */
  location?: { id: string; registryHost?: string; description?: string };
}

let instances = 0;

export const DEFAULT_CREATOR = `ocm-ts ${VERSION}`;

interface PendingBlob {
  desc: OciDescriptor;
  artifacts?: readonly ArtifactRef[];
}

interface CvManifest {
  /** What the tag points at (manifest or index). */
  top: OciDescriptor;
  manifest: ImageManifest;
  index?: ImageIndex;
}

/** True for `localBlob` access specs in any spelling (`localBlob`, `LocalBlob/v1`, ...). */
export function isLocalBlobAccess(access: TypedSpec | undefined): boolean {
  return typeof access?.type === 'string' && typeKey(access.type).toLowerCase() === 'localblob/v1';
}

/** The `software.ocm.artifact` annotation: a JSON string list in v1 key order, identity keys sorted. */
export function artifactAnnotation(refs: readonly ArtifactRef[]): string {
  const sorted = (id: Identity): Record<string, string> => Object.fromEntries(Object.keys(id).sort().map((k) => [k, id[k]!]));
  return JSON.stringify(refs.map((r) => ({ kind: r.kind, identity: sorted(r.identity) })));
}

export class OciComponentRepository implements ComponentVersionRepository {
  readonly #store: RepositoryStore;
  readonly #subPath: string | undefined;
  readonly #creator: string;
  readonly #closeStore: boolean;
  readonly #location: { id: string; registryHost?: string; description?: string };
  readonly #pending = new Map<string, Map<string, PendingBlob>>();
  /** Verified manifest/config JSON by digest: content-addressed, so it never goes stale. */
  readonly #json = new BoundedCache<string, unknown>(JSON_CACHE_ENTRIES);
  /** Parsed and validated descriptors by descriptor layer digest (handed out as copies). */
  readonly #descriptors = new BoundedCache<string, ComponentDescriptor>(DESCRIPTOR_CACHE_ENTRIES);
  #closed = false;

  constructor(store: RepositoryStore, options: OciComponentRepositoryOptions = {}) {
    this.#store = store;
    this.#subPath = options.subPath;
    this.#creator = options.creator ?? DEFAULT_CREATOR;
    this.#closeStore = options.closeStore ?? false;
    this.#location = options.location ?? { id: `store:${++instances}` };
  }

  /** The OCI store behind this repository (capability used by transfer's copy of unchanged OCI content). */
  ociStore(): OciStoreRef {
    return { store: this.#store, ...(this.#subPath ? { subPath: this.#subPath } : {}), ...this.#location };
  }

  /** The underlying store (e.g. for copying whole OCI artifacts). */
  get store(): RepositoryStore {
    return this.#store;
  }

  repositoryName(component: string): string {
    return componentRepositoryName(component, this.#subPath);
  }

  #target(component: string): Target {
    if (this.#closed) throw new OcmError(ErrorCode.INVALID_ARGUMENT, 'repository is already closed');
    return this.#store.repository(this.repositoryName(component));
  }

  async addLocalBlob(component: string, version: string, blob: LocalBlobInput, options: OpOptions = {}): Promise<StoredLocalBlob> {
    const desc = await storeBlob(this.#target(component), blob, options);
    const key = `${component}:${version}`;
    let m = this.#pending.get(key);
    if (!m) this.#pending.set(key, (m = new Map()));
    const prev = m.get(desc.digest);
    const artifacts = [...(prev?.artifacts ?? []), ...(blob.artifacts ?? [])];
    m.set(desc.digest, { desc, ...(artifacts.length ? { artifacts } : {}) });
    return { localReference: desc.digest, mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  }

  async addComponentVersion(cd: ComponentDescriptor, options: AddComponentVersionOptions = {}): Promise<void> {
    const s = await this.#stage(cd, options);
    if (s.root) {
      await this.#writeContent(s, options);
      await s.target.tag(s.root, s.tag, options);
    }
    this.#pending.delete(s.where);
  }

  /**
   * Stores many component versions as one unit: all are validated and checked first (nothing is
   * written if one fails), their content is written concurrently, then the tags in the given order
   * (pass referenced versions first) — on a store that tags many at once (a CTF) in one index
   * write, so the whole set becomes visible together.
   */
  async addComponentVersions(cds: readonly ComponentDescriptor[], options: AddComponentVersionsOptions = {}): Promise<void> {
    const limit = options.concurrency ?? BATCH_CONCURRENCY;
    const seen = new Set<string>();
    for (const cd of cds) checkOnce(seen, cd);
    const staged = await mapLimit(cds, limit, (cd) => this.#stage(cd, ownSignal(options)));
    await mapLimit(staged, limit, (s) => this.#writeContent(s, ownSignal(options)));
    await this.#tagAll(staged, options);
  }

  /**
   * Starts a set of versions written as one unit, added one by one: `add` validates a version and
   * writes its content right away (nothing becomes visible), `commit` waits for every `add` and then
   * writes all tags in the order of the `add` calls (add referenced versions first) — in a CTF with
   * one index write. Lets a caller overlap writing with computing the next versions.
   */
  beginComponentVersions(options: AddComponentVersionsOptions = {}): ComponentVersionBatch {
    const slots = new Limiter(options.concurrency ?? BATCH_CONCURRENCY);
    const added: Promise<StagedVersion>[] = [];
    const seen = new Set<string>();
    return {
      add: (cd) => {
        checkOnce(seen, cd);
        const p = slots.run(async () => {
          const s = await this.#stage(cd, ownSignal(options));
          await this.#writeContent(s, ownSignal(options));
          return s;
        });
        added.push(p);
        p.catch(() => {}); // reported by commit (and by the caller's await, if any)
        return p.then(() => undefined);
      },
      commit: async () => this.#tagAll(await Promise.all(added), options),
    };
  }

  /** Tags every changed version, in order; one step where the store can tag many at once. */
  async #tagAll(staged: readonly StagedVersion[], options: OpOptions): Promise<void> {
    const changed = staged.filter((s): s is StagedVersion & { root: OciDescriptor } => s.root !== undefined);
    if (isTagBatcher(this.#store)) {
      await this.#store.tagMany(changed.map((s) => ({ repository: this.repositoryName(s.component), tag: s.tag, desc: s.root })), options);
    } else {
      for (const s of changed) await s.target.tag(s.root, s.tag, options);
    }
    for (const s of staged) this.#pending.delete(s.where);
  }

  /** Everything to write for `cd`, computed and checked before anything is written (`root` undefined: already stored as is). */
  async #stage(cd: ComponentDescriptor, options: AddComponentVersionOptions): Promise<StagedVersion> {
    const { name, version } = cd.component;
    const where = `${name}:${version}`;
    // Nothing is written for a descriptor that could not be read back.
    validateDescriptor(cd, `component descriptor ${where}`);
    const target = this.#target(name);
    const tag = toTag(version);
    const pending = this.#pending.get(where) ?? new Map<string, PendingBlob>();
    const existing = await this.#readCvManifest(target, tag, where, options, true);

    const blobs = await this.#localBlobLayers(cd, target, pending, existing, options);
    const inIndex = (d: OciDescriptor) => isManifestMediaType(d.mediaType) && !!existing?.index?.manifests.slice(1).some((m) => m.digest === d.digest);
    const layers = blobs.filter((l) => !inIndex(l));
    const yaml = serializeDescriptor(cd, 'yaml');
    const layerBytes = descriptorTar(yaml);
    const descLayer: OciDescriptor = { mediaType: MediaType.componentDescriptorYamlTar, digest: digestOf(layerBytes), size: layerBytes.length };
    const configBytes = Buffer.from(serializeComponentConfig(descLayer), 'utf8');
    const config: OciDescriptor = { mediaType: MediaType.componentConfig, digest: digestOf(configBytes), size: configBytes.length };
    const manifestBytes = Buffer.from(
      serializeManifest({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config,
        layers: [descLayer, ...layers],
        annotations: { [Annotation.componentVersion]: where, [Annotation.creator]: this.#creator },
      }),
      'utf8',
    );
    const manifest: OciDescriptor = { mediaType: MediaType.ociManifest, digest: digestOf(manifestBytes), size: manifestBytes.length };
    // Artifacts that were stored as index entries (v2 index representation, §4.5) stay there.
    const nested = blobs.filter(inIndex);
    const top = nested.length > 0 ? this.#indexFor(manifest, existing!.index!, nested, where) : undefined;
    const root = top?.desc ?? manifest;
    const staged: StagedVersion = {
      component: name, where, target, tag,
      content: [[descLayer, layerBytes], [config, configBytes]],
      manifests: [[manifest, manifestBytes], ...(top ? [[top.desc, top.bytes] as const] : [])],
    };
    if (existing) {
      if (existing.top.digest === root.digest) return staged;
      if (!options.overwrite) {
        throw new OcmError(
          ErrorCode.ALREADY_EXISTS,
          `component version ${where} already exists in ${this.repositoryName(name)} with different content; use overwrite to replace it`,
          { details: { component: name, version } },
        );
      }
    }
    return { ...staged, root };
  }

  /**
   * Content first, tag last (by the caller): a half-written version is never visible. Layer and
   * config concurrently (their fsyncs overlap); a manifest only after what it names (registries
   * refuse a manifest whose blobs are missing).
   */
  async #writeContent(s: StagedVersion, options: OpOptions): Promise<void> {
    const { target } = s;
    if (!s.root) return;
    await Promise.all(
      s.content.map(async ([desc, bytes]) => {
        if (isDedupingPusher(target) || !(await target.exists(desc, options))) await target.push(desc, Readable.from([bytes]), options);
      }),
    );
    for (const [desc, bytes] of s.manifests) await target.push(desc, Readable.from([bytes]), options);
  }

  /** The image index whose `manifests[0]` is the CV manifest and whose further entries are the nested artifacts. */
  #indexFor(manifest: OciDescriptor, old: ImageIndex, nested: readonly OciDescriptor[], where: string): { desc: OciDescriptor; bytes: Buffer } {
    const entries = nested.map((l) => old.manifests.find((m) => m.digest === l.digest)!);
    // Referrers of kept artifacts (signatures, SBOMs; transfer/referrers.ts) stay, also referrers of referrers.
    for (let grew = true; grew; ) {
      grew = false;
      for (const m of old.manifests.slice(1)) {
        const subject = m.annotations?.[Annotation.referrerSubject];
        if (subject && !entries.includes(m) && entries.some((e) => e.digest === subject)) {
          entries.push(m);
          grew = true;
        }
      }
    }
    const bytes = Buffer.from(
      serializeIndex({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [manifest, ...entries],
        annotations: { ...(old.annotations ?? {}), [Annotation.componentVersion]: where, [Annotation.creator]: this.#creator },
      }),
      'utf8',
    );
    return { desc: { mediaType: MediaType.ociIndex, digest: digestOf(bytes), size: bytes.length }, bytes };
  }

  /** Layers for every `localBlob` access whose localReference is a digest, in first-use order, deduplicated. */
  async #localBlobLayers(
    cd: ComponentDescriptor,
    target: Target,
    pending: Map<string, PendingBlob>,
    existing: CvManifest | undefined,
    options: OpOptions,
  ): Promise<OciDescriptor[]> {
    const uses = new Map<string, { refs: ArtifactRef[]; mediaType?: string; element: string }>();
    const lists: [ArtifactRef['kind'], readonly (ElementMeta & { access: TypedSpec })[]][] = [
      ['resource', cd.component.resources],
      ['source', cd.component.sources],
    ];
    for (const [kind, elements] of lists) {
      elements.forEach((el, i) => {
        if (!isLocalBlobAccess(el.access)) return;
        const ref = el.access.localReference;
        if (typeof ref !== 'string' || !isDigest(ref)) return;
        let u = uses.get(ref);
        if (!u) uses.set(ref, (u = { refs: [], element: `${kind} "${el.name}"` }));
        if (!u.mediaType && typeof el.access.mediaType === 'string') u.mediaType = el.access.mediaType;
        u.refs.push({ kind, identity: elementIdentity(elements, i) });
      });
    }
    const known = [...(existing?.manifest.layers ?? []), ...(existing?.index?.manifests ?? [])];
    const out: OciDescriptor[] = [];
    for (const [digest, u] of uses) {
      const p = pending.get(digest);
      const old = known.find((l) => l.digest === digest);
      if (p) {
        out.push({ ...p.desc, annotations: { [Annotation.artifact]: artifactAnnotation(p.artifacts ?? u.refs) } });
      } else if (old) {
        out.push(old);
      } else {
        const st = isBlobStatter(target) ? await target.stat(digest, options) : undefined;
        if (!st) {
          throw new NotFoundError(
            `local blob ${digest} of ${u.element} of ${cd.component.name}:${cd.component.version} is not in ${this.repositoryName(cd.component.name)}; add it with addLocalBlob first`,
            { details: { digest } },
          );
        }
        out.push({ mediaType: u.mediaType ?? MediaType.octetStream, digest, size: st.size, annotations: { [Annotation.artifact]: artifactAnnotation(u.refs) } });
      }
    }
    return out;
  }

  /** Resolves the tag and reads the CV manifest (via `manifests[0]` for an index), through the shared reader. */
  async #readCvManifest(target: Target, tag: string, where: string, options: OpOptions, optional: true): Promise<CvManifest | undefined>;
  async #readCvManifest(target: Target, tag: string, where: string, options: OpOptions, optional?: false): Promise<CvManifest>;
  async #readCvManifest(target: Target, tag: string, where: string, options: OpOptions, optional = false): Promise<CvManifest | undefined> {
    let top: OciDescriptor;
    try {
      top = await target.resolve(tag, options);
    } catch (e) {
      if (!isOcmError(e, ErrorCode.NOT_FOUND)) throw e;
      if (optional) return undefined;
      throw new NotFoundError(`component version ${where} not found in ${(target as { name?: string }).name ?? 'repository'}`, {
        cause: e,
        details: { tag },
      });
    }
    const m = await readStoredManifest(target, top, where, { ...options, json: this.#json });
    return { top, manifest: m.manifest, ...(m.index ? { index: m.index } : {}) };
  }

  async getComponentVersion(component: string, version: string, options: OpOptions = {}): Promise<ComponentDescriptor> {
    const { descriptor: cd } = await this.readStoredVersion(component, version, options);
    const c = cd.component;
    const tag = toTag(version);
    // v1 accepts a descriptor whose version equals the tag form (componentversion.go `Check`).
    if (c.name !== component || (c.version !== version && c.version !== tag && c.version.replaceAll('+', '.build-') !== tag)) {
      throw new ValidationError(`${component}:${version}: stored descriptor is for ${c.name}:${c.version}`);
    }
    return cd;
  }

  /**
   * The stored OCI form of a version (tag root, manifest, index, descriptor layer) and its
   * validated descriptor. Descriptors are cached by layer digest for this repository instance,
   * which the store's digest check makes safe, and handed out as copies.
   */
  async readStoredVersion(component: string, version: string, options: OpOptions = {}): Promise<StoredVersion> {
    return readStoredVersion(this.#target(component), component, version, {
      ...options,
      json: this.#json,
      descriptors: this.#descriptors,
      source: `${this.repositoryName(component)}:${toTag(version)}`,
    });
  }

  async listComponentVersions(component: string, options: OpOptions = {}): Promise<string[]> {
    const target = this.#target(component);
    if (!isTagLister(target)) {
      throw new OcmError(ErrorCode.UNSUPPORTED, `listing versions is not supported by this repository`);
    }
    let tags: string[];
    try {
      tags = await target.listTags(options);
    } catch (e) {
      if (isOcmError(e, ErrorCode.NOT_FOUND)) return [];
      throw e;
    }
    return tags.filter(isVersionTag).map(toVersion);
  }

  async getLocalBlob(component: string, version: string, access: TypedSpec, options: OpOptions = {}): Promise<LocalBlobContent> {
    const target = this.#target(component);
    const where = `${component}:${version}`;
    const ref = access.localReference;
    if (typeof ref !== 'string' || ref === '') throw new OcmError(ErrorCode.INVALID_ARGUMENT, `localBlob access of ${where} has no localReference`);
    const { manifest, index } = await this.#readCvManifest(target, toTag(version), where, options);
    const candidates = [...manifest.layers, ...(index?.manifests.slice(1) ?? [])];
    const parts = ref.split(',').map((p) => p.trim());
    const descs = parts.map((d) => {
      const found = candidates.find((l) => l.digest === d);
      if (!found) throw new NotFoundError(`local blob ${d} not found in component version ${where}`, { details: { digest: d } });
      return found;
    });
    const mediaType = typeof access.mediaType === 'string' ? access.mediaType : descs[0]!.mediaType;
    if (descs.length === 1) {
      const d = descs[0]!;
      return { stream: await target.fetch(d, options), mediaType, digest: d.digest, size: d.size };
    }
    // v1 `blobLimit`: the blob is the concatenation of the layers (read-only support).
    async function* concat(): AsyncGenerator<Uint8Array> {
      for (const d of descs) yield* (await target.fetch(d, options)) as AsyncIterable<Uint8Array>;
    }
    return { stream: Readable.from(concat(), { objectMode: false }), mediaType, size: descs.reduce((n, d) => n + d.size, 0) };
  }

  async close(options: OpOptions = {}): Promise<void> {
    if (this.#closed) return;
    this.#release();
    if (this.#closeStore) await this.#store.close?.(options);
  }

  /** Closes without committing what the store holds pending (a tar/tgz CTF is not rewritten). */
  async discard(options: OpOptions = {}): Promise<void> {
    if (this.#closed) return;
    this.#release();
    if (!this.#closeStore) return;
    const s = this.#store as RepositoryStore & { discard?(options?: OpOptions): Promise<void> };
    await (s.discard ? s.discard(options) : s.close?.(options));
  }

  #release(): void {
    this.#closed = true;
    this.#pending.clear();
    this.#json.clear();
    this.#descriptors.clear();
  }
}

const JSON_CACHE_ENTRIES = 4096;
const DESCRIPTOR_CACHE_ENTRIES = 1024;
