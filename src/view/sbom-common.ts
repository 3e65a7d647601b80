/**
 * What CycloneDX and SPDX exports share: which OCM digests are content hashes, package URLs,
 * and the OCM identity of a resource or source as one stable string.
 */
import { parseImageReference } from '../oci/remote/reference.js';
import type { ViewArtifact, ViewDigest, ViewGraph, ViewNode } from './model.js';

/** Normalisations whose value is the hash of the artifact's bytes (blob or OCI manifest). */
const CONTENT_NORMALISATIONS = new Set(['genericBlobDigest/v1', 'ociArtifactDigest/v1']);

export interface ContentHash {
  /** `sha256` | `sha512` (purl checksum / OCI digest prefix). */
  readonly alg: 'sha256' | 'sha512';
  /** Lower-case hex, exactly the OCM digest value. */
  readonly hex: string;
}

/**
 * The content hash of an OCM digest, or undefined when the digest hashes something else
 * (`jsonNormalisation/*` hashes a normalised descriptor, not bytes anyone downloads).
 */
export function contentHash(digest: ViewDigest | undefined): ContentHash | undefined {
  if (!digest || !CONTENT_NORMALISATIONS.has(digest.normalisationAlgorithm)) return undefined;
  const alg = digest.hashAlgorithm.toUpperCase().replace('-', '');
  const hex = digest.value.toLowerCase();
  if (alg === 'SHA256' && /^[0-9a-f]{64}$/.test(hex)) return { alg: 'sha256', hex };
  if (alg === 'SHA512' && /^[0-9a-f]{128}$/.test(hex)) return { alg: 'sha512', hex };
  return undefined;
}

/** `SHA-256/jsonNormalisation/v3:ab…`: a digest recorded as text when it is no content hash. */
export function digestText(d: ViewDigest): string {
  return `${d.hashAlgorithm}/${d.normalisationAlgorithm}:${d.value}`;
}

/** Element identity as OCM defines it: name plus extra identity, keys sorted. */
export function artifactIdentity(a: ViewArtifact): string {
  const extra = Object.entries(a.extraIdentity ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return [a.name, ...extra.map(([k, v]) => `${k}=${v}`)].join(';');
}

/** Stable reference of a resource/source inside the graph: `<component>:<version>/resource/<identity>`. */
export function artifactRef(node: ViewNode, a: ViewArtifact): string {
  return `${node.key}/${a.kind}/${artifactIdentity(a)}`;
}

const OCI_ACCESS = new Set(['ociArtifact', 'ociArtifact/v1', 'ociRegistry', 'ociRegistry/v1', 'OCIImage', 'OCIImage/v1']);

/** purl-spec percent-encoding: everything but unreserved characters (and `:`/`/` where allowed). */
function pct(text: string, keep = ''): string {
  let out = '';
  for (const ch of text) {
    if (/[A-Za-z0-9._~-]/.test(ch) || keep.includes(ch)) out += ch;
    else out += encodeURIComponent(ch).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  }
  return out;
}

/** Qualifiers sorted by key, as the purl spec's canonical form requires. */
function qualifiers(q: Record<string, string | undefined>): string {
  const parts = Object.entries(q)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${pct(v, ':/')}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/**
 * `pkg:oci/<name>@sha256%3A<hex>?repository_url=<registry>/<repository>&tag=<tag>` per purl-spec's
 * oci type: name is the last repository segment, lower-cased; repository_url is the full
 * repository including that name; the version is the manifest digest. Undefined without a digest.
 */
export function ociPurl(imageReference: string, digest?: ViewDigest): string | undefined {
  let ref;
  try {
    ref = parseImageReference(imageReference);
  } catch {
    return undefined;
  }
  const hash = contentHash(digest);
  const version = ref.digest ?? (hash ? `${hash.alg}:${hash.hex}` : undefined);
  if (!version) return undefined;
  const name = ref.repository.slice(ref.repository.lastIndexOf('/') + 1).toLowerCase();
  // parseImageReference defaults a missing tag to `latest`; only a written tag belongs in the purl.
  const beforeDigest = imageReference.split('@')[0]!;
  const wroteTag = ref.tag !== undefined && beforeDigest.slice(beforeDigest.lastIndexOf('/') + 1).includes(':');
  return `pkg:oci/${pct(name)}@${pct(version)}${qualifiers({
    repository_url: `${ref.host}/${ref.repository}`,
    tag: wroteTag ? ref.tag : undefined,
  })}`;
}

/** `pkg:generic/<name>@<version>?checksum=sha256:<hex>`. */
export function genericPurl(name: string, version: string | undefined, digest?: ViewDigest): string {
  const hash = contentHash(digest);
  return `pkg:generic/${pct(name)}${version ? `@${pct(version)}` : ''}${qualifiers({
    checksum: hash ? `${hash.alg}:${hash.hex}` : undefined,
  })}`;
}

/** The purl of a resource or source: OCI for OCI artifacts, generic otherwise. */
export function artifactPurl(node: ViewNode, a: ViewArtifact): string {
  const access = a.access;
  if (access && OCI_ACCESS.has(access.type)) {
    const image = typeof access['imageReference'] === 'string' ? access['imageReference'] : undefined;
    const purl = image ? ociPurl(image, a.digest) : undefined;
    if (purl) return purl;
  }
  return genericPurl(a.name, a.version ?? node.version, a.digest);
}

/** True for artifacts that are OCI images (CycloneDX `container`, SPDX `CONTAINER`). */
export function isContainer(a: ViewArtifact): boolean {
  return a.type === 'ociImage' || a.type === 'ociArtifact' || (a.access !== undefined && OCI_ACCESS.has(a.access.type) && a.type !== 'helmChart');
}

/** Every node by key, in graph order. */
export function nodeIndex(graph: ViewGraph): Map<string, ViewNode> {
  return new Map(graph.nodes.map((n) => [n.key, n]));
}

/** Label value as one line (strings as is, everything else as JSON). */
export function labelText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? 'null';
}
