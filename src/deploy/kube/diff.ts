/**
 * Field-level diff summary for `--dry-run`: which field paths an apply would add, change or remove.
 * Paths only, never values: a Secret's data must not reach the terminal, and a path is what a
 * reviewer needs to see that e.g. `spec.template.spec.containers` changed.
 */

export interface FieldChange {
  readonly path: string;
  readonly op: 'add' | 'change' | 'remove';
}

/** Server-owned bookkeeping that changes on every write and says nothing about intent. */
const IGNORED = new Set(['metadata.managedFields', 'metadata.resourceVersion', 'metadata.generation', 'metadata.uid', 'metadata.creationTimestamp', 'status']);

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Compares two objects (as JSON) and lists the changed leaves. Lists compare as a whole (a changed
 * container list is one `change` of `spec.template.spec.containers`), like SSA's atomic lists.
 */
export function fieldDiff(before: unknown, after: unknown, prefix = ''): FieldChange[] {
  if (IGNORED.has(prefix)) return [];
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => fieldDiff(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return [{ path: prefix, op: 'add' }];
  if (after === undefined) return [{ path: prefix, op: 'remove' }];
  return canon(before) === canon(after) ? [] : [{ path: prefix, op: 'change' }];
}

/** JSON with sorted keys, so key order inside list items is no change. */
function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).filter((k) => v[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** `+spec.replicas ~data.key -metadata.labels.x` — for one report line. */
export function formatChanges(changes: readonly FieldChange[]): string {
  return changes.map((c) => `${c.op === 'add' ? '+' : c.op === 'remove' ? '-' : '~'}${c.path}`).join(' ');
}
