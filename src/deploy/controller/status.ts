/**
 * What the controller records per entry (the status file, JSON) and exposes on `/metrics`
 * (Prometheus text). The file is replaced atomically, so a reader never sees half of it.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fromFsError } from '../../runtime/errors.js';

export type ConditionType = 'Ready' | 'Verified' | 'Applied';

export interface Condition {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

export interface ControllerEvent {
  readonly time: string;
  readonly type: 'Normal' | 'Warning';
  readonly message: string;
}

export interface EntryStatus {
  readonly name: string;
  readonly component: string;
  lastAppliedVersion?: string;
  /** The deployable resource's digest as applied. */
  lastAppliedDigest?: string;
  /** The digest the verified signature covers (the normalised component descriptor). */
  lastAppliedComponentDigest?: string;
  lastAttemptTime?: string;
  lastSuccessTime?: string;
  reconciles: number;
  errors: number;
  conditions: Condition[];
  /** Versions rejected by verification, with why (not re-verified; remove one to retry it). */
  rejected?: Record<string, string>;
  /** Newest last; at most MAX_EVENTS. */
  events: ControllerEvent[];
}

export interface ControllerStatus {
  readonly apiVersion: 'controller.ocm.software/v1alpha1';
  readonly kind: 'ControllerStatus';
  updated: string;
  entries: EntryStatus[];
}

export const MAX_EVENTS = 50;

export function newEntryStatus(name: string, component: string): EntryStatus {
  return { name, component, reconciles: 0, errors: 0, conditions: [], events: [] };
}

/** Sets a condition; its transition time moves only when its status changes (Kubernetes semantics). */
export function setCondition(s: EntryStatus, type: ConditionType, status: Condition['status'], reason: string, message: string, now: Date): void {
  const old = s.conditions.find((c) => c.type === type);
  const c: Condition = { type, status, reason, message, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now.toISOString() };
  const order: ConditionType[] = ['Ready', 'Verified', 'Applied'];
  s.conditions = [...s.conditions.filter((x) => x.type !== type), c].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
}

export function addEvent(s: EntryStatus, type: ControllerEvent['type'], message: string, now: Date): void {
  s.events.push({ time: now.toISOString(), type, message });
  if (s.events.length > MAX_EVENTS) s.events.splice(0, s.events.length - MAX_EVENTS);
}

/** Reads a previous status file (so a restart knows what is applied and never downgrades); undefined if absent or unreadable. */
export async function readStatusFile(file: string): Promise<ControllerStatus | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const s = JSON.parse(text) as ControllerStatus;
    return s && s.kind === 'ControllerStatus' && Array.isArray(s.entries) ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `status` to `file` atomically (temp file beside it, then rename). */
export async function writeStatusFile(file: string, status: ControllerStatus): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o644 });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw fromFsError(e, `status file ${file}`);
  }
}

const label = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition (format 0.0.4) of the controller's state. */
export function metricsText(status: ControllerStatus): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string, rows: [Record<string, string>, number][]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${label(v)}"`).join(',');
      out.push(`${name}{${l}} ${value}`);
    }
  };
  const e = status.entries;
  family('ocm_controller_applied_version_info', 'gauge', 'The component version applied by an entry (value 1).',
    e.filter((s) => s.lastAppliedVersion).map((s) => [{ entry: s.name, component: s.component, version: s.lastAppliedVersion!, digest: s.lastAppliedDigest ?? '' }, 1]));
  family('ocm_controller_reconcile_total', 'counter', 'Reconciles run per entry.', e.map((s) => [{ entry: s.name }, s.reconciles]));
  family('ocm_controller_reconcile_errors_total', 'counter', 'Reconciles that failed per entry.', e.map((s) => [{ entry: s.name }, s.errors]));
  family('ocm_controller_last_success_timestamp_seconds', 'gauge', 'Unix time of the last successful reconcile per entry.',
    e.filter((s) => s.lastSuccessTime).map((s) => [{ entry: s.name }, Math.floor(Date.parse(s.lastSuccessTime!) / 1000)]));
  family('ocm_controller_ready', 'gauge', 'Whether the entry is Ready (1) or not (0).', e.map((s) => [{ entry: s.name }, s.conditions.find((c) => c.type === 'Ready')?.status === 'True' ? 1 : 0]));
  return `${out.join('\n')}\n`;
}
