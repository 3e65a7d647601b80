/**
 * The one reader of component versions stored in OCI form (shared/spec/model-and-formats.md
 * §4.4–§4.5): tag → manifest (or index whose `manifests[0]` is the CV manifest) → config →
 * descriptor layer. Used by the repository (`getComponentVersion`, `getLocalBlob`, adding) and by
 * transfer, which needs the OCI parts too (it copies them unchanged).
 */
import { parseDescriptor } from '../../descriptor/codec.js';
import type { ComponentDescriptor } from '../../descriptor/types.js';
import { Limits, readAllBounded } from '../../digest/digest.js';
import { parseJsonBounded } from '../../internal/bounded-parse.js';
import { ComponentConfigMediaTypes, isIndexMediaType } from '../../oci/content/media-types.js';
import type { ImageIndex, ImageManifest, OciDescriptor, OpOptions, Target } from '../../oci/content/types.js';
import { ErrorCode, NotFoundError, OcmError, ValidationError, isOcmError } from '../../runtime/errors.js';
import { DescriptorLayerMediaTypes, readDescriptorLayer } from './descriptor-layer.js';
import { toTag } from './tags.js';
import { deepFreeze, type BoundedCache } from './util.js';

/** A component version as stored: the tagged root and its OCI parts. */
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

/** The manifest part of a stored version (no config or descriptor read). */
export interface StoredManifest {
  readonly root: OciDescriptor;
  readonly manifestDesc: OciDescriptor;
  readonly manifest: ImageManifest;
  readonly index?: ImageIndex;
}

export interface ReadStoredOptions extends OpOptions {
  /** Verified manifest/config JSON by digest (content-addressed: never stale). Values are frozen. */
  readonly json?: BoundedCache<string, unknown>;
  /** Parsed descriptors by `<mediaType> <layer digest>`; handed out as copies. */
  readonly descriptors?: BoundedCache<string, ComponentDescriptor>;
  /** Schema-validate the descriptor (default true). Transfer copies bytes it need not judge. */
  readonly validate?: boolean;
  /** Names the descriptor in parse errors (default `component:version`). */
  readonly source?: string;
}

/** The tag's descriptor, or undefined if the tag does not exist. */
export async function resolveVersion(target: Target, version: string, options: OpOptions = {}): Promise<OciDescriptor | undefined> {
  try {
    return await target.resolve(toTag(version), options);
  } catch (e) {
    if (isOcmError(e, ErrorCode.NOT_FOUND)) return undefined;
    throw e;
  }
}

function notFound(target: Target, component: string, version: string): NotFoundError {
  return new NotFoundError(`component version ${component}:${version} not found in ${(target as { name?: string }).name ?? 'repository'}`, {
    details: { component, version, tag: toTag(version) },
  });
}

async function fetchBounded(target: Target, desc: OciDescriptor, limit: number, what: string, options: OpOptions): Promise<Buffer> {
  if (desc.size > limit) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `${what} is ${desc.size} bytes, more than the limit of ${limit}`);
  // the store's fetch checks digest and size while reading
  return readAllBounded(await target.fetch(desc, options.signal ? { signal: options.signal } : {}), limit, what);
}

async function fetchJson<T>(target: Target, desc: OciDescriptor, what: string, options: ReadStoredOptions): Promise<T> {
  const hit = options.json?.get(desc.digest);
  if (hit !== undefined) return hit as T;
  const bytes = await fetchBounded(target, desc, Limits.manifest, what, options);
  // Bounded depth too: the result is deep-frozen and normalised recursively.
  const v = parseJsonBounded(bytes.toString('utf8'), { what, maxBytes: Limits.manifest, allowBom: false });
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new OcmError(ErrorCode.PARSE_ERROR, `${what}: invalid JSON (not a JSON object)`);
  // Shared through the cache, so frozen.
  if (options.json) options.json.set(desc.digest, deepFreeze(v));
  return v as T;
}

function checkManifest(m: ImageManifest, where: string): ImageManifest {
  if (!m.config || typeof m.config.digest !== 'string' || !Array.isArray(m.layers)) {
    throw new ValidationError(`manifest of ${where} is not an OCI image manifest (config or layers missing)`);
  }
  return m;
}

/** Reads the CV manifest under `root` (via `manifests[0]` for an index). */
export async function readStoredManifest(target: Target, root: OciDescriptor, where: string, options: ReadStoredOptions = {}): Promise<StoredManifest> {
  const doc = await fetchJson<ImageManifest & ImageIndex>(target, root, `manifest of ${where}`, options);
  if (isIndexMediaType(root.mediaType) || isIndexMediaType(doc.mediaType) || Array.isArray(doc.manifests)) {
    const first = doc.manifests?.[0];
    if (!first) throw new ValidationError(`index of ${where} has no manifests`);
    if (isIndexMediaType(first.mediaType)) throw new ValidationError(`index of ${where} has no component-version manifest first`);
    const manifest = await fetchJson<ImageManifest>(target, first, `manifest of ${where}`, options);
    return { root, manifestDesc: first, manifest: checkManifest(manifest, where), index: doc };
  }
  return { root, manifestDesc: root, manifest: checkManifest(doc, where) };
}

/** Resolves the version's tag and reads its manifest; undefined if the tag is absent. */
export async function readStoredManifestByTag(target: Target, component: string, version: string, options: ReadStoredOptions = {}): Promise<StoredManifest | undefined> {
  const root = await resolveVersion(target, version, options);
  return root ? readStoredManifest(target, root, `${component}:${version}`, options) : undefined;
}

/** Reads the component version `root` points to (which need not be tagged yet). */
export async function readStoredVersionAt(target: Target, root: OciDescriptor, component: string, version: string, options: ReadStoredOptions = {}): Promise<StoredVersion> {
  const where = `${component}:${version}`;
  const m = await readStoredManifest(target, root, where, options);
  const cfg = m.manifest.config;
  if (!ComponentConfigMediaTypes.includes(cfg.mediaType)) {
    throw new ValidationError(`${where}: the tagged artifact is no component version (config media type "${cfg.mediaType}")`);
  }
  const validate = options.validate ?? true;
  const keyOf = (l: OciDescriptor): string => `${validate ? 'v' : 'n'} ${l.mediaType} ${l.digest}`;
  // The config names the descriptor layer, which OCM writes as the first layer: read both at once
  // (one round trip instead of two), and use the early read only if the config names that layer.
  const guess = m.manifest.layers[0];
  const early =
    guess && DescriptorLayerMediaTypes.includes(guess.mediaType) && guess.size <= Limits.descriptor && !options.descriptors?.get(keyOf(guess))
      ? fetchBounded(target, guess, Limits.descriptor, `descriptor layer of ${where}`, options)
      : undefined;
  early?.catch(() => undefined);
  const config = await fetchJson<{ componentDescriptorLayer?: OciDescriptor }>(target, cfg, `config of ${where}`, options);
  const layer = config.componentDescriptorLayer;
  if (!layer || typeof layer.digest !== 'string' || typeof layer.mediaType !== 'string' || typeof layer.size !== 'number') {
    throw new ValidationError(`config of ${where} has no valid componentDescriptorLayer`);
  }
  const key = keyOf(layer);
  const hit = options.descriptors?.get(key);
  let descriptor: ComponentDescriptor;
  if (hit) {
    descriptor = structuredClone(hit);
  } else {
    const same = early && guess!.digest === layer.digest && guess!.size === layer.size;
    const bytes = await (same ? early : fetchBounded(target, layer, Limits.descriptor, `descriptor layer of ${where}`, options));
    const text = await readDescriptorLayer(bytes, layer.mediaType, `descriptor layer of ${where}`);
    descriptor = parseDescriptor(text, { source: options.source ?? where, validate });
    options.descriptors?.set(key, structuredClone(descriptor));
  }
  return { component, version, ...m, descriptorLayer: layer, descriptor };
}

/** Reads a component version by its tag. NOT_FOUND if the tag is absent. */
export async function readStoredVersion(target: Target, component: string, version: string, options: ReadStoredOptions = {}): Promise<StoredVersion> {
  const root = await resolveVersion(target, version, options);
  if (!root) throw notFound(target, component, version);
  return readStoredVersionAt(target, root, component, version, options);
}
