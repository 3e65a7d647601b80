/** OCI image references as found in `ociArtifact` accesses: `host[:port]/repo[:tag][@sha256:...]`. */
import { ErrorCode, OcmError } from '../runtime/errors.js';

export interface ImageReference {
  /** `host[:port]` */
  readonly host: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Access types whose `imageReference` names an OCI artifact (canonical and legacy spellings). */
const OCI_IMAGE_TYPES = new Set(['ociartifact', 'ociregistry', 'ociimage']);

export function isOciImageAccess(type: string): boolean {
  return OCI_IMAGE_TYPES.has(type.replace(/\/v1$/i, '').toLowerCase());
}

export function parseImageReference(text: string): ImageReference {
  let rest = text.replace(/^(oci|docker|https?):\/\//, '');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1 && !rest.slice(colon).includes('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  let host: string;
  let repository: string;
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    host = first;
    repository = rest.slice(slash + 1);
  } else {
    host = 'docker.io';
    repository = rest.includes('/') ? rest : `library/${rest}`;
  }
  if (!repository || !/^[a-z0-9]+(?:[._-][a-z0-9]+|__)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid image reference "${text}": expected host[:port]/repository[:tag][@digest]`);
  }
  if (!tag && !digest) tag = 'latest';
  return { host, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

export function formatImageReference(r: ImageReference): string {
  return `${r.host}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}
