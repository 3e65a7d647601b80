/**
 * Names and tags of component versions in OCI (shared/spec/model-and-formats.md §4.2–§4.3):
 * repository `[<subPath>/]component-descriptors/<component>`, tag = version with `+` → `.build-`.
 */
import { ErrorCode, OcmError } from '../../runtime/errors.js';

export const COMPONENT_DESCRIPTORS = 'component-descriptors';

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** The OCI tag of a version (v1: every `+` becomes `.build-`). INVALID_ARGUMENT if no valid tag results. */
export function toTag(version: string): string {
  const tag = version.replaceAll('+', '.build-');
  if (!TAG_RE.test(tag)) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `version "${version}" cannot be stored in OCI: tag "${tag}" is not a valid OCI tag`, {
      details: { version },
    });
  }
  return tag;
}

/** The version of a tag (v1: the last `.build-` becomes `+`). */
export function toVersion(tag: string): string {
  const i = tag.lastIndexOf('.build-');
  return i < 0 ? tag : `${tag.slice(0, i)}+${tag.slice(i + '.build-'.length)}`;
}

/** The OCI repository holding a component's versions. */
export function componentRepositoryName(component: string, subPath?: string): string {
  if (!component || component.startsWith('/') || component.endsWith('/') || component.includes('//')) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid component name "${component}"`);
  }
  const prefix = (subPath ?? '').replace(/^\/+|\/+$/g, '');
  return `${prefix ? `${prefix}/` : ''}${COMPONENT_DESCRIPTORS}/${component}`;
}

/** Tags that are not component versions: referrers-tag-schema tags (`sha256-<hex>`) and cosign's (`sha256-<hex>.sig|.att|.sbom`). */
export function isVersionTag(tag: string): boolean {
  return !/^sha(256|512)-[0-9a-f]+(\.(sig|att|sbom))?$/.test(tag);
}
