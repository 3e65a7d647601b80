/**
 * OCI referrers (signatures, SBOMs, attestations) of images copied by value travel with them.
 *
 * Discovery asks three places, because tools attach in different ways: the referrers API
 * (`GET /v2/<repo>/referrers/<digest>`; distribution 2.8 has none), the OCI 1.1 referrers tag schema
 * fallback (tag `sha256-<hex>` → an index listing manifests whose `subject` is `sha256:<hex>`, what
 * oras/notation write on such registries), and cosign's tags `sha256-<hex>.sig|.att|.sbom` (plain
 * manifests, no `subject`). It recurses: a signature of an SBOM is found too.
 *
 * Inside a component version (an image stored as localBlob, so the CV root is an image index, §4.5)
 * the referrer manifests are further entries of that CV index, annotated with the subject digest and
 * the tags they were found under (`Annotation.referrerSubject`, `Annotation.referrerTags`). That keeps
 * them in the CV's own closed graph (a CTF copy, `--verify` and a by-reference copy carry them with no
 * extra machinery) and never touches what is signed: signatures cover the normalised descriptor, and
 * a localBlob image's resource digest is its own manifest digest, neither of which changes. Only the
 * CV index digest changes (it is not signed). In a registry the tags are re-created after the content:
 * cosign tags as they were, the `sha256-<hex>` index merged with one the target already has.
 */
import { Readable } from 'node:stream';
import { Limits } from '../digest/digest.js';
import { digestOf } from '../digest/digest.js';
import { parseJsonBounded } from '../internal/bounded-parse.js';
import { fetchManifest } from '../oci/content/copy.js';
import { Annotation, MediaType, isIndexMediaType } from '../oci/content/media-types.js';
import type { ImageIndex, OciDescriptor, OpOptions, Target } from '../oci/content/types.js';
import { ErrorCode, isOcmError, throwIfAborted } from '../runtime/errors.js';
import type { NestedArtifact } from './cv-io.js';
import type { PlannedReferrer, PlannedVersion } from './types.js';

/** cosign's tag suffixes (`sha256-<hex>.sig` etc.). */
const COSIGN_SUFFIXES = ['sig', 'att', 'sbom'] as const;
/** A registry could list endlessly; a real image has a handful. */
const MAX_REFERRERS = 512;

/** The referrers tag schema tag of `digest`: `sha256:<hex>` → `sha256-<hex>`. */
export function fallbackTag(digest: string): string {
  return digest.replace(':', '-');
}

/** The subject digest a referrer tag names (`sha256-<hex>[.sig]` → `sha256:<hex>`). */
export function tagSubject(tag: string): string {
  return tag.replace(/\.[a-z]+$/, '').replace('-', ':');
}

/** True for cosign's suffixed tags (the tag points at the referrer itself, not at an index of them). */
function isCosignTag(tag: string): boolean {
  return /\.[a-z]+$/.test(tag);
}

interface ReferrersApi {
  referrers(desc: OciDescriptor, options?: OpOptions): Promise<ImageIndex | undefined>;
}
function hasReferrersApi(t: unknown): t is ReferrersApi {
  return typeof (t as ReferrersApi | undefined)?.referrers === 'function';
}

async function resolveOptional(t: Target, tag: string, op: OpOptions): Promise<OciDescriptor | undefined> {
  try {
    return await t.resolve(tag, op);
  } catch (e) {
    if (isOcmError(e, ErrorCode.NOT_FOUND)) return undefined;
    throw e;
  }
}

/** The descriptor fields an index entry keeps (no `platform`/`urls`/`data` of the tag listing). */
function entry(d: OciDescriptor): OciDescriptor {
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(d.artifactType ? { artifactType: d.artifactType } : {}),
    ...(d.annotations && Object.keys(d.annotations).length > 0 ? { annotations: d.annotations } : {}),
  };
}

async function readIndex(t: Target, desc: OciDescriptor, op: OpOptions): Promise<ImageIndex> {
  const bytes = await fetchManifest(t, desc, op);
  const doc = parseJsonBounded(bytes.toString('utf8'), { what: `referrers index ${desc.digest}`, maxBytes: Limits.index, allowBom: false }) as ImageIndex;
  return { ...doc, manifests: Array.isArray(doc.manifests) ? doc.manifests : [] };
}

/** Referrers directly attached to `subject`, each with the tag to re-create for it. */
async function direct(src: Target, subject: OciDescriptor, op: OpOptions): Promise<PlannedReferrer[]> {
  const tag = fallbackTag(subject.digest);
  const out: PlannedReferrer[] = [];
  // Every manifest with a `subject` gets the fallback tag: a target without the referrers API needs it.
  if (hasReferrersApi(src)) {
    const idx = await src.referrers(subject, op);
    for (const m of idx?.manifests ?? []) out.push({ desc: entry(m), tag });
  }
  const fallback = await resolveOptional(src, tag, op);
  if (fallback && isIndexMediaType(fallback.mediaType)) {
    for (const m of (await readIndex(src, fallback, op)).manifests) {
      // a stale listing (the referrer was deleted) is not an error; the tag is mutable by nature
      if (await src.exists(m, op)) out.push({ desc: entry(m), tag });
    }
  }
  for (const s of COSIGN_SUFFIXES) {
    const d = await resolveOptional(src, `${tag}.${s}`, op);
    if (d) out.push({ desc: entry(d), tag: `${tag}.${s}` });
  }
  return out;
}

/**
 * Everything attached to `root` in `src`, recursively (referrers of referrers), subjects before
 * their referrers. One entry per (manifest, tag); a manifest found under two tags appears twice.
 */
export async function findReferrers(src: Target, root: OciDescriptor, options: OpOptions = {}): Promise<PlannedReferrer[]> {
  const op: OpOptions = options.signal ? { signal: options.signal } : {};
  const out: PlannedReferrer[] = [];
  const keys = new Set<string>();
  const visited = new Set([root.digest]);
  const queue = [root];
  while (queue.length > 0 && out.length < MAX_REFERRERS) {
    throwIfAborted(options.signal);
    for (const r of await direct(src, queue.shift()!, op)) {
      const key = `${r.desc.digest} ${r.tag}`;
      if (keys.has(key)) continue;
      keys.add(key);
      out.push(r);
      if (!visited.has(r.desc.digest)) {
        visited.add(r.desc.digest);
        queue.push(r.desc);
      }
    }
  }
  return out;
}

/** Distinct referrer manifests (one per digest), in discovery order: what is copied. */
export function referrerManifests(refs: readonly PlannedReferrer[]): OciDescriptor[] {
  const seen = new Map<string, OciDescriptor>();
  for (const r of refs) if (!seen.has(r.desc.digest)) seen.set(r.desc.digest, r.desc);
  return [...seen.values()];
}

/** CV index entries for referrers of an image stored inside the CV (see the file comment). */
export function referrerEntries(refs: readonly PlannedReferrer[]): NestedArtifact[] {
  const byDigest = new Map<string, { desc: OciDescriptor; tags: string[] }>();
  for (const r of refs) {
    const e = byDigest.get(r.desc.digest) ?? { desc: r.desc, tags: [] };
    if (r.tag && !e.tags.includes(r.tag)) e.tags.push(r.tag);
    byDigest.set(r.desc.digest, e);
  }
  return [...byDigest.values()].map(({ desc, tags }) => ({
    desc,
    annotations: { ...(desc.annotations ?? {}), [Annotation.referrerSubject]: tagSubject(tags[0]!), [Annotation.referrerTags]: tags.join(',') },
  }));
}

/** The referrers recorded in a CV index (entries with `Annotation.referrerTags`), our annotations removed. */
export function referrersInIndex(index: ImageIndex | undefined): PlannedReferrer[] {
  const out: PlannedReferrer[] = [];
  for (const m of index?.manifests.slice(1) ?? []) {
    const tags = m.annotations?.[Annotation.referrerTags];
    if (!tags) continue;
    const { [Annotation.referrerTags]: _t, [Annotation.referrerSubject]: _s, ...rest } = m.annotations!;
    const desc = entry({ ...m, annotations: rest });
    for (const tag of tags.split(',').filter((t) => /^sha(256|512)-[0-9a-f]+(\.[a-z]+)?$/.test(t))) out.push({ desc, tag });
  }
  return out;
}

/** The referrers inside the CV root a version gets at the target (the rewritten index, or the stored one). */
export function versionReferrers(v: PlannedVersion): PlannedReferrer[] {
  const root = v.rewritten?.blobs.find((b) => b.desc.digest === v.rewritten!.root.digest);
  if (root && isIndexMediaType(root.desc.mediaType)) {
    return referrersInIndex(parseJsonBounded(root.bytes.toString('utf8'), { what: `index ${root.desc.digest}`, maxBytes: Limits.index, allowBom: false }) as ImageIndex);
  }
  return v.rewritten ? [] : referrersInIndex(v.stored.index);
}

/**
 * Re-creates the tags of `refs` in `dst` (a registry repository that already holds their content):
 * cosign tags point at their manifest again; a `sha256-<hex>` index is written only if the registry
 * has no referrers API (there a manifest with `subject` is listed already), merged with an existing
 * one rather than replacing it (other tools' referrers stay listed).
 */
export async function writeReferrerTags(dst: Target, refs: readonly PlannedReferrer[], options: OpOptions = {}): Promise<void> {
  const op: OpOptions = options.signal ? { signal: options.signal } : {};
  const byTag = new Map<string, OciDescriptor[]>();
  for (const r of refs) if (r.tag) byTag.set(r.tag, [...(byTag.get(r.tag) ?? []), r.desc]);
  for (const [tag, descs] of byTag) {
    throwIfAborted(options.signal);
    if (isCosignTag(tag)) {
      const have = await resolveOptional(dst, tag, op);
      // cosign's tag names one manifest; the source's last word wins (as `cosign copy`)
      if (have?.digest !== descs[0]!.digest) await dst.tag(descs[0]!, tag, op);
      continue;
    }
    if (hasReferrersApi(dst)) {
      const api = await dst.referrers({ mediaType: MediaType.ociManifest, digest: tagSubject(tag), size: 0 }, op);
      if (api) continue;
    }
    const have = await resolveOptional(dst, tag, op);
    const existing = have && isIndexMediaType(have.mediaType) ? (await readIndex(dst, have, op)).manifests : [];
    const added = descs.filter((d, i) => !existing.some((e) => e.digest === d.digest) && descs.findIndex((x) => x.digest === d.digest) === i);
    if (have && added.length === 0) continue;
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...existing, ...added.map(entry)] }));
    const desc: OciDescriptor = { mediaType: MediaType.ociIndex, digest: digestOf(bytes), size: bytes.length };
    await dst.push(desc, Readable.from([bytes]), op);
    await dst.tag(desc, tag, op);
  }
}
