/**
 * Reading and (re)writing the OCI form of a component version directly on a `RepositoryStore`
 * (shared/spec/model-and-formats.md §4.4–§4.8). Transfer works at this level so a by-reference
 * transfer copies the source bytes unchanged (identical manifest digests), and a by-value
 * transfer changes only the descriptor layer, config and manifest (accesses are not signed).
 */
import { pipeline, type Readable } from 'node:stream';
import { parseDescriptor, serializeDescriptor } from '../descriptor/codec.js';
import type { ComponentDescriptor, Resource } from '../descriptor/types.js';
import { descriptorTar, readDescriptorLayer, serializeComponentConfig, serializeIndex, serializeManifest, toTag } from '../repository/oci-mapping/index.js';
import { Limits, digestOf, readAllBounded, verifying } from '../digest/digest.js';
import { parseJsonBounded } from '../internal/bounded-parse.js';
import { fetchManifest } from '../oci/content/copy.js';
import { Annotation, ComponentConfigMediaTypes, MediaType, isIndexMediaType } from '../oci/content/media-types.js';
import type { ImageIndex, ImageManifest, OciDescriptor, OpOptions, Target } from '../oci/content/types.js';
import { ErrorCode, NotFoundError, OcmError, isOcmError } from '../runtime/errors.js';

/** A component version as stored: the tagged root and the parts transfer needs. */
export interface StoredVersion {
  readonly component: string;
  readonly version: string;
  /** What the tag points to: the CV manifest, or an index whose `manifests[0]` is the CV manifest. */
  readonly root: OciDescriptor;
  readonly manifestDesc: OciDescriptor;
  readonly manifest: ImageManifest;
  /** Present when `root` is an index. */
  readonly index?: ImageIndex;
  readonly descriptorLayer: OciDescriptor;
  readonly descriptor: ComponentDescriptor;
}

async function fetchJson<T>(t: Target, desc: OciDescriptor, what: string, options: OpOptions): Promise<T> {
  const bytes = await fetchManifest(t, desc, options);
  return parseJsonBounded(bytes.toString('utf8'), { what: `${what} ${desc.digest}`, maxBytes: Limits.manifest, allowBom: false }) as T;
}

/** Reads a CV from `repo` by tag. NOT_FOUND if the tag is absent. */
export async function readStoredVersion(repo: Target, component: string, version: string, options: OpOptions = {}): Promise<StoredVersion> {
  const tag = toTag(version);
  let root: OciDescriptor;
  try {
    root = await repo.resolve(tag, options);
  } catch (e) {
    if (isOcmError(e, ErrorCode.NOT_FOUND)) throw new NotFoundError(`component version ${component}:${version} not found`, { cause: e, details: { component, version } });
    throw e;
  }
  const what = `${component}:${version}`;
  let index: ImageIndex | undefined;
  let manifestDesc = root;
  if (isIndexMediaType(root.mediaType)) {
    index = await fetchJson<ImageIndex>(repo, root, `index of ${what}`, options);
    const first = index.manifests?.[0];
    if (!first || isIndexMediaType(first.mediaType)) throw new OcmError(ErrorCode.VALIDATION_FAILED, `${what}: index has no component-version manifest first`);
    manifestDesc = first;
  }
  const manifest = await fetchJson<ImageManifest>(repo, manifestDesc, `manifest of ${what}`, options);
  if (!ComponentConfigMediaTypes.includes(manifest.config?.mediaType)) {
    throw new OcmError(ErrorCode.VALIDATION_FAILED, `${what}: manifest config has media type ${manifest.config?.mediaType}, not a component version`);
  }
  const configBytes = await fetchManifest(repo, { ...manifest.config, mediaType: MediaType.componentConfig }, options);
  const config = (parseJsonBounded(configBytes.toString('utf8'), { what: `config of ${what}`, maxBytes: Limits.manifest, allowBom: false }) ?? {}) as {
    componentDescriptorLayer?: OciDescriptor;
  };
  const descriptorLayer = config.componentDescriptorLayer;
  if (!descriptorLayer) throw new OcmError(ErrorCode.VALIDATION_FAILED, `${what}: config has no componentDescriptorLayer`);
  const bytes = await readAllBounded(await verified(repo, descriptorLayer, options), Limits.descriptor, `descriptor of ${what}`);
  const text = await readDescriptorLayer(bytes, descriptorLayer.mediaType, `descriptor of ${what}`);
  const descriptor = parseDescriptor(text, { source: `descriptor of ${what}`, validate: false });
  return { component, version, root, manifestDesc, manifest, ...(index ? { index } : {}), descriptorLayer, descriptor };
}

async function verified(repo: Target, desc: OciDescriptor, options: OpOptions): Promise<Readable> {
  const check = verifying({ digest: desc.digest, size: desc.size, what: `blob ${desc.digest}` });
  pipeline(await repo.fetch(desc, options), check, () => {});
  return check;
}

/** An OCI artifact stored inside the CV (index representation), with its `software.ocm.artifact` owner. */
export interface NestedArtifact {
  readonly desc: OciDescriptor;
  readonly identity: Record<string, string>;
}

/** The bytes of a rewritten CV: descriptor layer, config, manifest and (with nested artifacts) index. */
export interface RewrittenVersion {
  readonly blobs: { desc: OciDescriptor; bytes: Buffer }[];
  readonly root: OciDescriptor;
}

/**
 * Builds the new CV from a stored one with a changed descriptor. Layers other than the descriptor
 * are kept; artifacts copied by value into the CV repository make the root an image index whose
 * `manifests[0]` is the CV manifest (the v2 index representation, §4.5).
 */
export function rewriteVersion(stored: StoredVersion, descriptor: ComponentDescriptor, nested: readonly NestedArtifact[]): RewrittenVersion {
  const blobs: { desc: OciDescriptor; bytes: Buffer }[] = [];
  const put = (mediaType: string, bytes: Buffer): OciDescriptor => {
    const desc: OciDescriptor = { mediaType, digest: digestOf(bytes), size: bytes.length };
    blobs.push({ desc, bytes });
    return desc;
  };
  // the same layer form the OCM mapping writes (v1 byte-exact YAML tar)
  const layer = put(MediaType.componentDescriptorYamlTar, descriptorTar(serializeDescriptor(descriptor, 'yaml')));
  const config = put(MediaType.componentConfig, Buffer.from(serializeComponentConfig(layer)));
  const old = stored.descriptorLayer.digest;
  const layers = stored.manifest.layers.map((l) => (l.digest === old ? layer : l));
  if (!layers.some((l) => l.digest === layer.digest)) layers.unshift(layer);
  const mdesc = put(MediaType.ociManifest, Buffer.from(serializeManifest({ ...stored.manifest, mediaType: MediaType.ociManifest, config, layers })));
  const previous = stored.index?.manifests.slice(1) ?? [];
  const extra = nested
    .filter((n) => !previous.some((p) => p.digest === n.desc.digest))
    .map((n) => ({
      mediaType: n.desc.mediaType,
      digest: n.desc.digest,
      size: n.desc.size,
      annotations: { [Annotation.artifact]: JSON.stringify([{ kind: 'resource', identity: sortedRecord(n.identity) }]) },
    }));
  if (previous.length === 0 && extra.length === 0) return { blobs, root: mdesc };
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [mdesc, ...previous, ...extra],
    ...(stored.manifest.annotations ? { annotations: stored.manifest.annotations } : {}),
  };
  const idesc = put(MediaType.ociIndex, Buffer.from(serializeIndex(index)));
  return { blobs, root: idesc };
}

function sortedRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]!]));
}

/** A copy of `cd` with the access of each listed resource (by index) replaced. */
export function withAccesses(cd: ComponentDescriptor, accesses: ReadonlyMap<number, Resource['access']>): ComponentDescriptor {
  const resources = cd.component.resources.map((r, i) => (accesses.has(i) ? { ...r, access: accesses.get(i)! } : r));
  return { ...cd, component: { ...cd.component, resources } };
}

/** Compares two relaxed semver strings (`v` prefix allowed); non-semver sorts lexically first. */
export function compareVersions(a: string, b: string): number {
  const p = (v: string): [number[], string] | undefined => {
    const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$/.exec(v);
    return m ? [[Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)], m[4] ?? ''] : undefined;
  };
  const x = p(a);
  const y = p(b);
  if (!x || !y) return x ? 1 : y ? -1 : a.localeCompare(b);
  for (let i = 0; i < 3; i++) if (x[0][i] !== y[0][i]) return x[0][i]! - y[0][i]!;
  if (x[1] === y[1]) return 0;
  if (!x[1]) return 1;
  if (!y[1]) return -1;
  const xs = x[1].split('.');
  const ys = y[1].split('.');
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    const u = xs[i];
    const w = ys[i];
    if (u === undefined) return -1;
    if (w === undefined) return 1;
    const nu = /^\d+$/.test(u);
    const nw = /^\d+$/.test(w);
    if (nu && nw && Number(u) !== Number(w)) return Number(u) - Number(w);
    if (nu !== nw) return nu ? -1 : 1;
    if (u !== w) return u < w ? -1 : 1;
  }
  return 0;
}
