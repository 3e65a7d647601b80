/**
 * OCI image references as found in `ociArtifact` accesses. Parsing is the registry client's
 * (`parseImageReference` in oci/remote/reference.ts); this adds what only transfer needs.
 */
import type { ImageReference } from '../oci/remote/reference.js';

/** Access types whose `imageReference` names an OCI artifact (canonical and legacy spellings). */
const OCI_IMAGE_TYPES = new Set(['ociartifact', 'ociregistry', 'ociimage']);

export function isOciImageAccess(type: string): boolean {
  return OCI_IMAGE_TYPES.has(type.replace(/\/v1$/i, '').toLowerCase());
}

/** `host/repository[:tag][@digest]` (the scheme is never part of an image reference). */
export function formatImageReference(r: Pick<ImageReference, 'host' | 'repository' | 'tag' | 'digest'>): string {
  return `${r.host}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}
