/**
 * Server-side apply of rendered objects as a KEP-3659 ApplySet, with pruning, dry-run diff and
 * rollout wait. Sequence (kubectl's, so a crash never loses track of an object):
 *   1. the parent (a Secret `applyset-<name>`) records old ∪ new group-kinds and namespaces;
 *   2. every object is applied (SSA, field manager, force) with label part-of=<id>;
 *   3. members of the set (LIST per group-kind and namespace by the part-of label) that the new
 *      objects do not contain are deleted;
 *   4. the parent is narrowed to the new group-kinds and namespaces;
 *   5. optionally, Deployments/StatefulSets/Jobs are polled until ready.
 * `dryRun` does 2 with dryRun=All and 3 as a LIST only, writes nothing, and returns the diff.
 */
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import { APPLYSET_FIELD_MANAGER, type KubeObject } from '../types.js';
import {
  ANNOTATION_ADDITIONAL_NAMESPACES, ANNOTATION_CONTAINS_GROUP_KINDS, ANNOTATION_TOOLING, LABEL_ID, LABEL_PART_OF, PARENT_KIND, TOOLING,
  applyOrder, applySetId, groupKind, groupOf, joinList, objectRef, parentName, parseGroupKind, splitList, validateInput,
} from './applyset-meta.js';
import { connect, type Json, type KubeConnection } from './client.js';
import { fieldDiff, type FieldChange } from './diff.js';
import { readiness, WAITED_KINDS } from './readiness.js';
import { sleep } from '../../runtime/sleep.js';

export interface ApplyOptions {
  /** Kubeconfig file; default $KUBECONFIG, ~/.kube/config, then in-cluster. */
  kubeconfig?: string;
  context?: string;
  /** Namespace of the parent and of objects without one; default: the context's, else `default`. */
  namespace?: string;
  /** The set's name (e.g. derived from the component name); the parent is the Secret `applyset-<name>`. */
  applySetName: string;
  dryRun?: boolean;
  /** Poll Deployments, StatefulSets and Jobs until ready; past `timeoutMs` → LIMIT_EXCEEDED. */
  wait?: { timeoutMs: number; intervalMs?: number };
  /** Delete members of the set the objects no longer contain (default true). */
  prune?: boolean;
  signal?: AbortSignal;
}

export interface ObjectDiff {
  /** `Deployment.apps demo/web` */
  readonly ref: string;
  readonly action: 'create' | 'update' | 'unchanged' | 'prune';
  /** Changed field paths (no values); empty for create/prune. */
  readonly changes: readonly FieldChange[];
}

export interface ApplyReport {
  /** The ApplySet id (`applyset-…-v1`) and its parent. */
  readonly applySetId: string;
  readonly parent: string;
  readonly server: string;
  readonly dryRun: boolean;
  readonly created: string[];
  readonly configured: string[];
  readonly unchanged: string[];
  readonly pruned: string[];
  readonly waited: string[];
  /** Only with dryRun. */
  readonly diff?: ObjectDiff[];
}

const keyOf = (o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }) =>
  `${groupKind(o.apiVersion, o.kind)}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Applies `objects` as the ApplySet `opts.applySetName`; see the file comment for the sequence. */
export async function applyRendered(objects: readonly KubeObject[], opts: ApplyOptions): Promise<ApplyReport> {
  validateInput(objects, opts.applySetName);
  const dryRun = opts.dryRun ?? false;
  const kube = await connect(opts, APPLYSET_FIELD_MANAGER);
  const ns = kube.namespace;
  const parent = { apiVersion: 'v1', kind: PARENT_KIND, metadata: { name: parentName(opts.applySetName), namespace: ns } };
  const id = applySetId({ name: parent.metadata.name, namespace: ns, kind: PARENT_KIND, group: '' });

  const desired = await prepare(kube, objects, id);
  const existingParent = await kube.read(parent);
  if (existingParent) checkParent(existingParent, id, objectRef(parent));
  const oldGks = splitList(existingParent?.metadata?.annotations?.[ANNOTATION_CONTAINS_GROUP_KINDS]);
  const oldNs = splitList(existingParent?.metadata?.annotations?.[ANNOTATION_ADDITIONAL_NAMESPACES]);
  const newGks = desired.map((d) => groupKind(d.apiVersion, d.kind));
  const newNs = desired.map((d) => d.metadata.namespace).filter((n): n is string => n !== undefined && n !== ns);

  if (!dryRun) await kube.apply(parentObject(parent, id, [...oldGks, ...newGks], [...oldNs, ...newNs]), { dryRun: false });

  const report = { applySetId: id, parent: objectRef(parent), server: kube.server, dryRun, created: [] as string[], configured: [] as string[], unchanged: [] as string[], pruned: [] as string[], waited: [] as string[], ...(dryRun ? { diff: [] as ObjectDiff[] } : {}) };
  for (const d of desired) {
    const before = await kube.read(d);
    const after = await kube.apply(d, { dryRun });
    const ref = objectRef(d);
    const changes = before ? fieldDiff(before, after) : [];
    const action = !before ? 'create' : (dryRun ? changes.length === 0 : before.metadata?.resourceVersion === after.metadata?.resourceVersion) ? 'unchanged' : 'update';
    (action === 'create' ? report.created : action === 'update' ? report.configured : report.unchanged).push(ref);
    report.diff?.push({ ref, action, changes });
  }

  if (opts.prune ?? true) {
    const keep = new Set(desired.map(keyOf));
    const stale = await members(kube, id, [...oldGks, ...newGks], [ns, ...oldNs, ...newNs]);
    for (const o of stale.filter((s) => !keep.has(keyOf(s))).sort((a, b) => applyOrder(b.kind) - applyOrder(a.kind))) {
      if (!dryRun) await kube.delete(o);
      report.pruned.push(objectRef(o));
      report.diff?.push({ ref: objectRef(o), action: 'prune', changes: [] });
    }
  }
  if (!dryRun) await kube.apply(parentObject(parent, id, (opts.prune ?? true) ? newGks : [...oldGks, ...newGks], (opts.prune ?? true) ? newNs : [...oldNs, ...newNs]), { dryRun: false });

  if (opts.wait && !dryRun) report.waited.push(...(await waitReady(kube, desired, opts.wait, opts.signal)));
  return report;
}

/** Namespaces defaulted (namespaced kinds only), part-of label set, in apply order. */
async function prepare(kube: KubeConnection, objects: readonly KubeObject[], id: string): Promise<Json[]> {
  const out: Json[] = [];
  for (const o of objects) {
    const r = await kube.resource(o.apiVersion, o.kind);
    if (!r) throw new OcmError(ErrorCode.NOT_FOUND, `${objectRef(o)}: the cluster at ${kube.server} serves no kind ${o.kind} in ${o.apiVersion}; install its CustomResourceDefinition first or fix apiVersion`);
    const metadata: Json['metadata'] = { ...structuredClone(o.metadata), labels: { ...o.metadata.labels, [LABEL_PART_OF]: id } };
    if (r.namespaced) metadata.namespace = o.metadata.namespace ?? kube.namespace;
    else delete metadata.namespace;
    out.push({ ...structuredClone(o), metadata });
  }
  // Stable sort keeps the rendered order within a kind.
  return out.map((o, i) => ({ o, i })).sort((a, b) => applyOrder(a.o.kind) - applyOrder(b.o.kind) || a.i - b.i).map((x) => x.o);
}

/** The parent must be ours: same id, and tooling by this tool (any version). */
function checkParent(p: Json, id: string, ref: string): void {
  const pid = p.metadata?.labels?.[LABEL_ID];
  if (pid !== id) throw new OcmError(ErrorCode.ALREADY_EXISTS, `${ref} exists but is not the parent of ApplySet ${id} (label ${LABEL_ID}=${pid ?? 'missing'}); choose another ApplySet name or delete it`);
  const tooling = String(p.metadata?.annotations?.[ANNOTATION_TOOLING] ?? '');
  if (tooling.split('/')[0] !== TOOLING.split('/')[0]) {
    throw new OcmError(ErrorCode.ALREADY_EXISTS, `${ref} belongs to the tool ${JSON.stringify(tooling)}, not ${TOOLING.split('/')[0]}; manage that set with its own tool or choose another ApplySet name`);
  }
}

function parentObject(parent: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } }, id: string, gks: string[], namespaces: string[]): Json {
  const annotations: Record<string, string> = { [ANNOTATION_TOOLING]: TOOLING, [ANNOTATION_CONTAINS_GROUP_KINDS]: joinList(gks) };
  if (namespaces.length > 0) annotations[ANNOTATION_ADDITIONAL_NAMESPACES] = joinList(namespaces);
  return { ...parent, type: 'Opaque', metadata: { ...parent.metadata, labels: { [LABEL_ID]: id }, annotations } };
}

/** Current members: LIST every group-kind (namespaced ones per namespace) by the part-of label. */
async function members(kube: KubeConnection, id: string, gks: string[], namespaces: string[]): Promise<Json[]> {
  const out: Json[] = [];
  for (const gk of new Set(gks)) {
    const { group, kind } = parseGroupKind(gk);
    const apiVersion = await kube.preferredVersion(group);
    const r = apiVersion && (await kube.resource(apiVersion, kind));
    if (!apiVersion || !r) continue; // the kind left the cluster (CRD removed): nothing to prune there
    for (const n of r.namespaced ? new Set(namespaces) : [undefined]) {
      for (const o of await kube.list(apiVersion, kind, n, `${LABEL_PART_OF}=${id}`)) {
        if (groupOf(o.apiVersion) === group && o.metadata?.labels?.[LABEL_PART_OF] === id) out.push(o);
      }
    }
  }
  return out;
}

async function waitReady(kube: KubeConnection, desired: Json[], w: { timeoutMs: number; intervalMs?: number }, signal?: AbortSignal): Promise<string[]> {
  const targets = desired.filter((d) => WAITED_KINDS.has(`${groupOf(d.apiVersion)}/${d.kind}`));
  const deadline = Date.now() + w.timeoutMs;
  const interval = w.intervalMs ?? 1000;
  let pending = targets;
  const reasons = new Map<string, string>();
  for (;;) {
    const still: Json[] = [];
    for (const t of pending) {
      const cur = await kube.read(t);
      if (!cur) throw new OcmError(ErrorCode.NOT_FOUND, `${objectRef(t)} disappeared while waiting for it to become ready`);
      const r = readiness(cur);
      if (r.state === 'failed') throw new OcmError(ErrorCode.REGISTRY_ERROR, `${objectRef(t)}: ${r.reason}`, { details: { object: objectRef(t) } });
      if (r.state === 'pending') {
        still.push(t);
        reasons.set(objectRef(t), r.reason);
      }
    }
    pending = still;
    if (pending.length === 0) return targets.map(objectRef);
    if (Date.now() + interval > deadline) {
      const list = pending.map((p) => `${objectRef(p)} (${reasons.get(objectRef(p))})`).join(', ');
      throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `not ready after ${Math.round(w.timeoutMs / 100) / 10} s: ${list}; raise the wait timeout or check the workload's events`);
    }
    await sleep(interval, signal, 'waiting for rollout');
  }
}

