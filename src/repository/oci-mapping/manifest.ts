/**
 * OCI JSON written byte-for-byte like Go's `json.Marshal` of the image-spec structs: struct field
 * order, compact, map keys sorted. Identical input gives identical manifest digests in both tools.
 */
import type { ImageIndex, ImageManifest, OciDescriptor, Platform } from '../../oci/content/types.js';

function sortedMap(m: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}

function platformJson(p: Platform): Record<string, unknown> {
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p['os.version'] ? { 'os.version': p['os.version'] } : {}),
    ...(p['os.features']?.length ? { 'os.features': p['os.features'] } : {}),
    ...(p.variant ? { variant: p.variant } : {}),
  };
}

/** Go field order of `ocispec.Descriptor`. */
export function descriptorJson(d: OciDescriptor): Record<string, unknown> {
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(d.urls?.length ? { urls: d.urls } : {}),
    ...(d.annotations && Object.keys(d.annotations).length ? { annotations: sortedMap(d.annotations) } : {}),
    ...(d.data ? { data: d.data } : {}),
    ...(d.platform ? { platform: platformJson(d.platform) } : {}),
    ...(d.artifactType ? { artifactType: d.artifactType } : {}),
  };
}

export function serializeManifest(m: ImageManifest): string {
  return JSON.stringify({
    schemaVersion: m.schemaVersion,
    ...(m.mediaType ? { mediaType: m.mediaType } : {}),
    ...(m.artifactType ? { artifactType: m.artifactType } : {}),
    config: descriptorJson(m.config),
    layers: m.layers.map(descriptorJson),
    ...(m.subject ? { subject: descriptorJson(m.subject) } : {}),
    ...(m.annotations && Object.keys(m.annotations).length ? { annotations: sortedMap(m.annotations) } : {}),
  });
}

export function serializeIndex(m: ImageIndex): string {
  return JSON.stringify({
    schemaVersion: m.schemaVersion,
    ...(m.mediaType ? { mediaType: m.mediaType } : {}),
    ...(m.artifactType ? { artifactType: m.artifactType } : {}),
    manifests: m.manifests.map(descriptorJson),
    ...(m.subject ? { subject: descriptorJson(m.subject) } : {}),
    ...(m.annotations && Object.keys(m.annotations).length ? { annotations: sortedMap(m.annotations) } : {}),
  });
}

/** The component config blob: `{"componentDescriptorLayer":{mediaType,digest,size}}`. */
export function serializeComponentConfig(layer: OciDescriptor): string {
  return JSON.stringify({ componentDescriptorLayer: { mediaType: layer.mediaType, digest: layer.digest, size: layer.size } });
}
