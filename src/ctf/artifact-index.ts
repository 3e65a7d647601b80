/**
 * `artifact-index.json`: the list of (repository, tag?, digest, mediaType?) entries of a CTF.
 * Written exactly as Go writes it and read as strictly as v2 reads it (`DisallowUnknownFields`),
 * so a CTF we accept is one v2 accepts (shared/spec/model-and-formats.md §3.2, trap 17).
 */
import { isDigest, Limits } from '../digest/digest.js';
import { parseJsonBounded } from '../internal/bounded-parse.js';
import { MediaType } from '../oci/content/media-types.js';
import { ValidationError } from '../runtime/errors.js';

export interface ArtifactEntry {
  repository: string;
  tag?: string;
  digest: string;
  mediaType?: string;
}

const TOP_KEYS = new Set(['schemaVersion', 'artifacts']);
const ENTRY_KEYS = new Set(['repository', 'tag', 'digest', 'mediaType']);

/** Parses and validates the index text. `what` names the file in errors. */
export function parseArtifactIndex(text: string, what = 'artifact-index.json'): ArtifactEntry[] {
  const doc = parseJsonBounded(text, { what, maxBytes: Limits.index, maxStringLength: 64 * 1024, allowBom: false });
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ValidationError(`${what}: expected a JSON object`);
  }
  const top = doc as Record<string, unknown>;
  for (const k of Object.keys(top)) {
    if (!TOP_KEYS.has(k)) throw new ValidationError(`${what}: unknown key "${k}" (only schemaVersion and artifacts are allowed)`, { paths: [`/${k}`] });
  }
  if (top.schemaVersion !== 1) {
    throw new ValidationError(`${what}: unsupported schemaVersion ${JSON.stringify(top.schemaVersion)}; expected 1`, { paths: ['/schemaVersion'] });
  }
  const list = top.artifacts;
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) throw new ValidationError(`${what}: "artifacts" must be a list or null`, { paths: ['/artifacts'] });
  return list.map((raw, i) => parseEntry(raw, `${what}: artifacts[${i}]`, `/artifacts/${i}`));
}

function parseEntry(raw: unknown, where: string, path: string): ArtifactEntry {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ValidationError(`${where}: expected an object`, { paths: [path] });
  const e = raw as Record<string, unknown>;
  for (const k of Object.keys(e)) {
    if (!ENTRY_KEYS.has(k)) {
      throw new ValidationError(`${where}: unknown key "${k}" (allowed: repository, tag, digest, mediaType)`, { paths: [`${path}/${k}`] });
    }
  }
  if (typeof e.repository !== 'string' || e.repository === '') throw new ValidationError(`${where}: "repository" must be a non-empty string`, { paths: [`${path}/repository`] });
  if (typeof e.digest !== 'string' || !isDigest(e.digest)) throw new ValidationError(`${where}: "digest" must be a digest like sha256:<hex>`, { paths: [`${path}/digest`] });
  for (const k of ['tag', 'mediaType'] as const) {
    if (e[k] !== undefined && typeof e[k] !== 'string') throw new ValidationError(`${where}: "${k}" must be a string`, { paths: [`${path}/${k}`] });
  }
  const out: ArtifactEntry = { repository: e.repository, digest: e.digest };
  if (typeof e.tag === 'string' && e.tag !== '') out.tag = e.tag;
  if (typeof e.mediaType === 'string' && e.mediaType !== '') out.mediaType = e.mediaType;
  return out;
}

/** Compact JSON in Go's key order; an empty list is `null`, as both Go tools write it. */
export function serializeArtifactIndex(entries: readonly ArtifactEntry[]): string {
  const artifacts = entries.length === 0
    ? null
    : entries.map((e) => ({
        repository: e.repository,
        ...(e.tag !== undefined ? { tag: e.tag } : {}),
        digest: e.digest,
        ...(e.mediaType !== undefined ? { mediaType: e.mediaType } : {}),
      }));
  return JSON.stringify({ schemaVersion: 1, artifacts });
}

/** In-memory index with the tag semantics both tools share. */
export class ArtifactIndex {
  readonly entries: ArtifactEntry[];

  constructor(entries: ArtifactEntry[] = []) {
    this.entries = entries;
  }

  /** Records a pushed manifest/index as an untagged entry unless the repository already lists it. Returns true if changed. */
  addManifest(repository: string, digest: string, mediaType: string | undefined): boolean {
    if (this.entries.some((e) => e.repository === repository && e.digest === digest)) return false;
    this.entries.push({ repository, digest, ...(mediaType ? { mediaType } : {}) });
    return true;
  }

  /** Points `tag` at `digest`; a previously tagged other manifest stays as an untagged entry. Returns true if changed. */
  tag(repository: string, tag: string, digest: string, mediaType: string | undefined): boolean {
    const current = this.find(repository, tag);
    if (current?.digest === digest) return false;
    if (current) {
      delete current.tag;
      // Keep one untagged entry per (repository, digest).
      const dup = this.entries.findIndex((e) => e !== current && e.repository === repository && e.digest === current.digest && e.tag === undefined);
      if (dup >= 0) this.entries.splice(dup, 1);
    }
    const untagged = this.entries.find((e) => e.repository === repository && e.digest === digest && e.tag === undefined);
    if (untagged) {
      untagged.tag = tag;
      if (!untagged.mediaType && mediaType) untagged.mediaType = mediaType;
    } else {
      this.entries.push({ repository, tag, digest, ...(mediaType ? { mediaType } : {}) });
    }
    return true;
  }

  find(repository: string, tag: string): ArtifactEntry | undefined {
    return this.entries.find((e) => e.repository === repository && e.tag === tag);
  }

  findDigest(repository: string, digest: string): ArtifactEntry | undefined {
    return this.entries.find((e) => e.repository === repository && e.digest === digest);
  }

  tags(repository: string): string[] {
    const out: string[] = [];
    for (const e of this.entries) if (e.repository === repository && e.tag !== undefined && !out.includes(e.tag)) out.push(e.tag);
    return out;
  }

  repositories(): string[] {
    return [...new Set(this.entries.map((e) => e.repository))];
  }
}

/** Media type of an entry; older v1 CTFs omit it, meaning an OCI image manifest. */
export function entryMediaType(e: ArtifactEntry): string {
  return e.mediaType ?? MediaType.ociManifest;
}
