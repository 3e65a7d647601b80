/**
 * Rewriting the OCI form of a component version directly on a `RepositoryStore`
 * (shared/spec/model-and-formats.md §4.4–§4.8). Transfer works at this level so a by-reference
 * transfer copies the source bytes unchanged (identical manifest digests), and a by-value
 * transfer changes only the descriptor layer, config and manifest (accesses are not signed).
 */
import { serializeDescriptor } from '../descriptor/codec.js';
import type { ComponentDescriptor, Resource } from '../descriptor/types.js';
import { descriptorTar, serializeComponentConfig, serializeIndex, serializeManifest, type StoredVersion } from '../repository/oci-mapping/index.js';
import { digestOf } from '../digest/digest.js';
import { Annotation, MediaType } from '../oci/content/media-types.js';
import type { ImageIndex, OciDescriptor } from '../oci/content/types.js';

/** Read with the OCI mapping's reader (repository/oci-mapping/stored.ts), the one for both. */
export type { StoredVersion };

/**
 * An OCI artifact stored inside the CV (index representation), with its `software.ocm.artifact` owner,
 * or (no identity) another manifest kept there, e.g. an image's referrer (transfer/referrers.ts).
 */
export interface NestedArtifact {
  readonly desc: OciDescriptor;
  readonly identity?: Record<string, string>;
  readonly annotations?: Readonly<Record<string, string>>;
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
      ...(n.identity ? {} : n.desc.artifactType ? { artifactType: n.desc.artifactType } : {}),
      annotations: n.identity ? { [Annotation.artifact]: JSON.stringify([{ kind: 'resource', identity: sortedRecord(n.identity) }]) } : { ...(n.annotations ?? {}) },
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
