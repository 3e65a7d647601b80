/**
 * KEP-3659 ApplySet bookkeeping, pure (no Kubernetes client): the parent's id, the labels and
 * annotations, group-kind strings. Kept apart from apply so tests and `--render-to` can use it
 * without loading the (heavy) client library.
 */
import { createHash } from 'node:crypto';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import { VERSION } from '../../version.js';
import type { KubeObject } from '../types.js';

export const LABEL_PART_OF = 'applyset.kubernetes.io/part-of';
export const LABEL_ID = 'applyset.kubernetes.io/id';
export const ANNOTATION_TOOLING = 'applyset.kubernetes.io/tooling';
export const ANNOTATION_CONTAINS_GROUP_KINDS = 'applyset.kubernetes.io/contains-group-kinds';
export const ANNOTATION_ADDITIONAL_NAMESPACES = 'applyset.kubernetes.io/additional-namespaces';
/** `<tool>/<version>` per the KEP; another tool's set is refused (by the part before the slash). */
export const TOOLING = `ocm/v${VERSION}`;
/** The parent is a Secret without data (kubectl's default parent kind). */
export const PARENT_KIND = 'Secret';

/** The parent's name for an ApplySet name (e.g. the component name made DNS-safe). */
export function parentName(applySetName: string): string {
  return `applyset-${applySetName}`;
}

/**
 * The ApplySet id: `applyset-<base64url(sha256(<name>.<namespace>.<kind>.<group>))>-v1`, no padding
 * (KEP-3659; kubectl's test vector `test-foo.test-ns.Foo.foo.bar` → `applyset-f9Rk5tKH…NNlA-v1`).
 */
export function applySetId(parent: { name: string; namespace: string; kind: string; group: string }): string {
  const digest = createHash('sha256').update(`${parent.name}.${parent.namespace}.${parent.kind}.${parent.group}`).digest('base64url');
  return `applyset-${digest}-v1`;
}

/** `apps/v1` → `apps`, `v1` → `` (core). */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** The KEP's group-kind form: `Kind.group`, or `Kind` for the core group. */
export function groupKind(apiVersion: string, kind: string): string {
  const g = groupOf(apiVersion);
  return g ? `${kind}.${g}` : kind;
}

export function parseGroupKind(gk: string): { group: string; kind: string } {
  const i = gk.indexOf('.');
  return i < 0 ? { group: '', kind: gk } : { group: gk.slice(i + 1), kind: gk.slice(0, i) };
}

/** A comma-separated annotation value as a set (empty entries dropped). */
export function splitList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Sorted, deduplicated, comma-joined (the KEP wants a stable value). */
export function joinList(values: Iterable<string>): string {
  return [...new Set(values)].sort().join(',');
}

/** Readable reference for reports and errors: `Deployment.apps demo/web`, `Namespace demo`. */
export function objectRef(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): string {
  const ns = o.metadata.namespace;
  return `${groupKind(o.apiVersion, o.kind)} ${ns ? `${ns}/` : ''}${o.metadata.name}`;
}

const DNS_LABELISH = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Checks what apply relies on before any request: names, kinds, the set name. */
export function validateInput(objects: readonly KubeObject[], applySetName: string): void {
  if (!DNS_LABELISH.test(applySetName) || parentName(applySetName).length > 253) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `ApplySet name ${JSON.stringify(applySetName)} is not a valid Kubernetes name; use lower-case letters, digits, '-' and '.' (e.g. the component name with '/' replaced by '-')`);
  }
  const seen = new Set<string>();
  objects.forEach((o, i) => {
    if (typeof o?.apiVersion !== 'string' || !o.apiVersion || typeof o.kind !== 'string' || !o.kind || typeof o.metadata?.name !== 'string' || !o.metadata.name) {
      throw new OcmError(ErrorCode.VALIDATION_FAILED, `object #${i + 1} to apply lacks apiVersion, kind or metadata.name; every manifest must have all three`);
    }
    const other = o.metadata.labels?.[LABEL_PART_OF];
    if (other !== undefined) {
      throw new OcmError(ErrorCode.VALIDATION_FAILED, `${objectRef(o)} already carries the label ${LABEL_PART_OF}; remove it from the manifest (apply sets it)`);
    }
    const key = `${groupKind(o.apiVersion, o.kind)}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (seen.has(key)) throw new OcmError(ErrorCode.VALIDATION_FAILED, `${objectRef(o)} appears twice in the objects to apply; keep one`);
    seen.add(key);
  });
}

/** Apply order: namespaces and cluster-wide definitions first, workloads last; pruning goes in reverse. */
const ORDER = ['Namespace', 'CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Secret', 'ConfigMap', 'PersistentVolumeClaim', 'Service'];
export function applyOrder(kind: string): number {
  const i = ORDER.indexOf(kind);
  return i < 0 ? ORDER.length : i;
}
