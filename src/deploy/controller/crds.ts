/**
 * `ocm controller run --crds`: the settings come from the OCM v2 controller's objects instead of
 * controller.yaml. Every round re-reads the Deployers (cluster-scoped) and the chain each stands
 * on (Resource → Component → Repository, plus the Secrets holding public keys), reconciles the
 * entries that are due with the same reconcileEntry as the file mode, and writes every object's
 * `.status` through the status subresource. Objects are applied to the controller's own cluster
 * and namespace.
 */
import { ErrorCode, OcmError, isOcmError } from '../../runtime/errors.js';
import { pause } from '../../runtime/sleep.js';
import type { ControllerEntry } from './config.js';
import { chainStatuses, entryFromChain, readyCondition, SpecError, DELIVERY_API_VERSION, type DeliveryChain, type KubeObj } from './crds-map.js';
import { reconcileEntry, type ControllerDeps, type EntryState } from './reconcile.js';
import { backoffDelay, type RunControllerResult } from './run.js';
import { newEntryStatus, setCondition, type ControllerStatus, type EntryStatus } from './status.js';

export interface CrdControllerOptions {
  readonly kubeconfig?: string;
  readonly context?: string;
  /** Where the Deployers' objects are applied and where Resources are looked up without a namespace (default: the context's). */
  readonly namespace?: string;
  readonly once?: boolean;
  readonly backoffBaseMs?: number;
  /** How often objects are re-read when no entry is due (default 30 s): new and changed objects are noticed within it. */
  readonly resyncMs?: number;
  readonly onStatus?: (status: ControllerStatus) => void;
  /** A round that failed as a whole (API server unreachable, no RBAC); the loop retries. */
  readonly onError?: (error: OcmError) => void;
  readonly signal?: AbortSignal;
}

interface Tracked {
  key: string;
  state: EntryState;
  due: number;
  failures: number;
  ok: boolean;
}

type Read = { deployer: KubeObj; chain: DeliveryChain } | { deployer: KubeObj; error: SpecError };

export async function runCrdController(deps: ControllerDeps, options: CrdControllerOptions = {}): Promise<RunControllerResult> {
  const signal = options.signal;
  const { connect } = await import('../kube/client.js');
  const conn = await connect({ ...pick(options), ...(signal ? { signal } : {}) }, 'delivery.ocm.software/controller');
  const target: ControllerEntry['target'] = { namespace: conn.namespace, ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}), ...(options.context !== undefined ? { context: options.context } : {}) };
  const tracked = new Map<string, Tracked>();
  const status: ControllerStatus = { apiVersion: 'controller.ocm.software/v1alpha1', kind: 'ControllerStatus', updated: new Date().toISOString(), entries: [] };
  const now = (): Date => (deps.now ? deps.now() : new Date());
  const base = options.backoffBaseMs ?? 1000;
  let roundFailures = 0;

  const readChains = async (): Promise<Read[]> => {
    const out: Read[] = [];
    const get = async (kind: string, ns: string, name: unknown, from: KubeObj, field: string, apiVersion = DELIVERY_API_VERSION): Promise<KubeObj> => {
      if (typeof name !== 'string' || name === '') throw new SpecError(from, field, `name the ${kind}`);
      const o = (await conn.read({ apiVersion, kind, metadata: { name, namespace: ns } })) as KubeObj | undefined;
      if (!o) throw new SpecError(from, field, `${kind} ${ns}/${name} not found`);
      return o;
    };
    for (const deployer of (await conn.list(DELIVERY_API_VERSION, 'Deployer', undefined, '')) as KubeObj[]) {
      try {
        const ref = deployer.spec?.resourceRef ?? {};
        const ns = typeof ref.namespace === 'string' && ref.namespace ? ref.namespace : conn.namespace;
        const resource = await get('Resource', ns, ref.name, deployer, 'spec.resourceRef.name');
        const component = await get('Component', ns, resource.spec?.componentRef?.name, resource, 'spec.componentRef.name');
        const repository = await get('Repository', ns, component.spec?.repositoryRef?.name, component, 'spec.repositoryRef.name');
        const secrets = new Map<string, KubeObj>();
        for (const v of Array.isArray(component.spec?.verify) ? component.spec.verify : []) {
          const name = v?.secretRef?.name;
          if (typeof name !== 'string' || !name || secrets.has(name)) continue;
          const s = (await conn.read({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns } })) as KubeObj | undefined;
          if (s) secrets.set(name, s);
        }
        out.push({ deployer, chain: { deployer, resource, component, repository, secrets } });
      } catch (e) {
        if (e instanceof SpecError) out.push({ deployer, error: e });
        else throw e;
      }
    }
    return out;
  };

  const suspended = (c: DeliveryChain): boolean => [c.deployer, c.resource, c.component, c.repository].some((o) => o.spec?.suspend === true);

  const round = async (): Promise<void> => {
    const reads = await readChains();
    const seen = new Set<string>();
    const entries: EntryStatus[] = [];
    for (const r of reads) {
      const name = r.deployer.metadata.name;
      seen.add(name);
      if ('error' in r) {
        const s = newEntryStatus(name, '');
        setCondition(s, 'Ready', 'False', 'InvalidSpec', r.error.message, now());
        entries.push(s);
        tracked.delete(name);
        await writeStatus(r.error.object, { observedGeneration: r.error.object.metadata.generation ?? 0, conditions: [readyCondition(r.error.object, 'False', 'InvalidSpec', r.error.message, now())] });
        if (r.error.object !== r.deployer) await writeStatus(r.deployer, { observedGeneration: r.deployer.metadata.generation ?? 0, conditions: [readyCondition(r.deployer, 'False', 'InvalidSpec', r.error.message, now())] });
        continue;
      }
      if (suspended(r.chain)) continue;
      let entry: ControllerEntry;
      try {
        entry = entryFromChain(r.chain, target);
      } catch (e) {
        if (!(e instanceof SpecError)) throw e;
        const s = newEntryStatus(name, String(r.chain.component.spec?.component ?? ''));
        setCondition(s, 'Ready', 'False', 'InvalidSpec', e.message, now());
        entries.push(s);
        tracked.delete(name);
        for (const o of new Set([e.object, r.deployer])) await writeStatus(o, { observedGeneration: o.metadata.generation ?? 0, conditions: [readyCondition(o, 'False', 'InvalidSpec', e.message, now())] });
        continue;
      }
      // A changed chain (another component, repository or resource) starts over; a changed generation is due now.
      const key = JSON.stringify([entry.repository, entry.component, entry.resource, entry.semver, entry.verify.map((v) => [v.signature, v.pem]), [r.chain.deployer, r.chain.resource, r.chain.component].map((o) => o.metadata.generation)]);
      let t = tracked.get(name);
      if (!t || t.key !== key) {
        const st = newEntryStatus(name, entry.component);
        const resolved = r.chain.component.status?.component;
        // What a previous run applied: the downgrade policy must hold across restarts.
        if (t?.state.status.lastAppliedVersion && t.state.status.component === entry.component) st.lastAppliedVersion = t.state.status.lastAppliedVersion;
        else if (resolved?.component === entry.component && typeof resolved.version === 'string') st.lastAppliedVersion = resolved.version;
        t = { key, state: { status: st }, due: 0, failures: 0, ok: false };
        tracked.set(name, t);
      }
      entries.push(t.state.status);
      if (t.due > Date.now()) continue;
      const result = await reconcileEntry(entry, t.state, deps, signal ? { signal } : {});
      if (signal?.aborted) return;
      t.ok = result.ok;
      t.failures = result.error ? t.failures + 1 : 0;
      t.due = Date.now() + (result.error ? backoffDelay(t.failures, base, entry.intervalMs) : entry.intervalMs);
      for (const [o, st] of chainStatuses(r.chain, entry, t.state.status, result.error, now())) await writeStatus(o, st);
    }
    for (const name of [...tracked.keys()]) if (!seen.has(name)) tracked.delete(name);
    status.entries = entries;
    status.updated = now().toISOString();
    options.onStatus?.(status);
  };

  const writeStatus = async (o: KubeObj, st: Record<string, unknown>): Promise<void> => {
    await conn.patchStatus({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) } }, st);
  };

  for (;;) {
    try {
      await round();
      roundFailures = 0;
    } catch (e) {
      const err = isOcmError(e) ? e : new OcmError(ErrorCode.INTERNAL, (e as Error).message ?? String(e), { cause: e });
      if (options.once || signal?.aborted) {
        if (signal?.aborted && !options.once) break;
        throw err;
      }
      roundFailures++;
      options.onError?.(err);
    }
    if (options.once || signal?.aborted) break;
    const resync = options.resyncMs ?? 30_000;
    const next = Math.min(...[...tracked.values()].map((t) => t.due), Date.now() + resync);
    const wait = roundFailures > 0 ? backoffDelay(roundFailures, base, resync) : Math.max(50, next - Date.now());
    await pause(wait, signal);
  }
  if (signal?.aborted && options.once) throw new OcmError(ErrorCode.ABORTED, 'controller run aborted');
  const failed = status.entries.filter((e) => e.conditions.find((c) => c.type === 'Ready')?.status !== 'True').map((e) => e.name);
  return { status, failed };
}

function pick(o: CrdControllerOptions): { kubeconfig?: string; context?: string; namespace?: string } {
  return { ...(o.kubeconfig !== undefined ? { kubeconfig: o.kubeconfig } : {}), ...(o.context !== undefined ? { context: o.context } : {}), ...(o.namespace !== undefined ? { namespace: o.namespace } : {}) };
}

