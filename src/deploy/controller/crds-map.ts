/**
 * `--crds` mode, the pure half: the OCM v2 controller's objects (`delivery.ocm.software/v1alpha1`
 * Repository → Component → Resource → Deployer, same field names) mapped onto a ControllerEntry,
 * and an entry's status mapped back onto each object's `.status`. No I/O here, so it is
 * table-testable; crds.ts reads and writes the objects.
 */
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { Identity } from '../../runtime/identity.js';
import { isExactVersion, type ControllerEntry, type DowngradePolicy, type VerifySpec } from './config.js';
import { parseSemverConstraint } from '../../transfer/semver-constraint.js';
import type { EntryStatus } from './status.js';

export const DELIVERY_API_VERSION = 'delivery.ocm.software/v1alpha1';

/** A Kubernetes object as JSON (what the API returns). */
export type KubeObj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; generation?: number; [k: string]: any }; spec?: any; status?: any; [k: string]: any };

/** The chain one Deployer stands on, as read from the API. */
export interface DeliveryChain {
  readonly deployer: KubeObj;
  readonly resource: KubeObj;
  readonly component: KubeObj;
  readonly repository: KubeObj;
  /** Secrets named by the Component's `spec.verify[].secretRef`, by name (same namespace). */
  readonly secrets: ReadonlyMap<string, KubeObj>;
}

/** A spec the controller cannot act on; names the object and the field. `object` gets Ready=False. */
export class SpecError extends OcmError {
  readonly object: KubeObj;
  constructor(object: KubeObj, field: string, message: string) {
    super(ErrorCode.VALIDATION_FAILED, `${describeObj(object)}: ${field}: ${message}`);
    this.object = object;
  }
}

export function describeObj(o: KubeObj): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const OCI_TYPES = new Set(['OCIRegistry', 'OCIRegistry/v1', 'OCIRepository', 'OCIRepository/v1', 'ociRegistry']);

/** A Go `time.Duration` string as Kubernetes serialises `metav1.Duration` (`10m0s`, `1h30m`, `500ms`) → ms. */
export function parseGoDuration(text: string): number | undefined {
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };
  if (!/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total > 0 ? total : undefined;
}

/** `spec.repositorySpec` → the repository reference the CLI opens (`http://host:5000/prod`). */
export function repositoryReference(repo: KubeObj): string {
  const spec = repo.spec?.repositorySpec;
  if (!isObj(spec) || typeof spec['type'] !== 'string') throw new SpecError(repo, 'spec.repositorySpec', 'give {type: OCIRegistry, baseUrl: <host[:port]>, subPath?: <path>}');
  if (!OCI_TYPES.has(spec['type'])) throw new SpecError(repo, 'spec.repositorySpec.type', `"${spec['type']}": only OCI registries (OCIRegistry) are supported in --crds mode`);
  const base = spec['baseUrl'];
  if (typeof base !== 'string' || base === '') throw new SpecError(repo, 'spec.repositorySpec.baseUrl', 'give the registry, e.g. ghcr.io or http://registry.local:5000');
  const sub = typeof spec['subPath'] === 'string' ? spec['subPath'].replace(/^\/+|\/+$/g, '') : '';
  return sub ? `${base.replace(/\/+$/, '')}/${sub}` : base;
}

/** A public key from `spec.verify[].value`: PEM, or PEM in base64 (both forms occur in OCM examples). */
function pemOf(value: string): string | undefined {
  if (value.includes('-----BEGIN')) return value;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  return decoded.includes('-----BEGIN') ? decoded : undefined;
}

/**
 * The ControllerEntry for one Deployer: its name is the ApplySet's; objects are applied to
 * `target` (the controller's own cluster and namespace).
 */
export function entryFromChain(chain: DeliveryChain, target: ControllerEntry['target']): ControllerEntry {
  const { deployer, resource, component, repository, secrets } = chain;
  const name = deployer.metadata.name;
  if (!DNS_LABEL.test(name) || name.length > 50) throw new SpecError(deployer, 'metadata.name', 'names the ApplySet: use a DNS label of at most 50 characters');
  const c = component.spec ?? {};
  if (typeof c.component !== 'string' || c.component === '') throw new SpecError(component, 'spec.component', 'give the component name');
  if (typeof c.semver !== 'string' || c.semver.trim() === '') throw new SpecError(component, 'spec.semver', 'give a constraint (e.g. ">=1.0.0 <2.0.0") or a version');
  if (!isExactVersion(c.semver)) {
    try {
      parseSemverConstraint(c.semver);
    } catch (e) {
      throw new SpecError(component, 'spec.semver', (e as Error).message);
    }
  }
  let semverFilter: RegExp | undefined;
  if (c.semverFilter !== undefined && c.semverFilter !== '') {
    try {
      semverFilter = new RegExp(String(c.semverFilter));
    } catch (e) {
      throw new SpecError(component, 'spec.semverFilter', `not a regular expression: ${(e as Error).message}`);
    }
  }
  const policy = c.downgradePolicy ?? 'Deny';
  // OCM's Allow consults a label on the component; here Allow and Enforce both allow downgrades.
  const downgradePolicy: DowngradePolicy | undefined = policy === 'Deny' ? 'Deny' : policy === 'Allow' || policy === 'Enforce' ? 'Allow' : undefined;
  if (!downgradePolicy) throw new SpecError(component, 'spec.downgradePolicy', `"${String(policy)}": use Deny, Allow or Enforce`);
  const interval = c.interval ?? '10m';
  const intervalMs = typeof interval === 'string' ? parseGoDuration(interval) : undefined;
  if (intervalMs === undefined) throw new SpecError(component, 'spec.interval', `"${String(interval)}": give a duration, e.g. 30s or 10m0s`);
  const ns = component.metadata.namespace ?? 'default';
  if (!Array.isArray(c.verify) || c.verify.length === 0) {
    // Deploying unverified content is what this controller exists to prevent.
    throw new SpecError(component, 'spec.verify', 'give at least one {signature, secretRef: {name}} or {signature, value: <PEM>}; unverified versions are never applied');
  }
  const verify = (c.verify as unknown[]).map((v, i): VerifySpec => {
    const field = `spec.verify[${i}]`;
    if (!isObj(v) || typeof v['signature'] !== 'string' || v['signature'] === '') throw new SpecError(component, field, 'give {signature: <name>, secretRef: {name: <secret>}} or {signature, value}');
    const sig = v['signature'];
    if (typeof v['value'] === 'string' && v['value'] !== '') {
      const pem = pemOf(v['value']);
      if (!pem) throw new SpecError(component, `${field}.value`, 'not a PEM public key (nor base64 of one)');
      return { signature: sig, publicKey: `${describeObj(component)} ${field}.value`, pem };
    }
    const ref = isObj(v['secretRef']) ? v['secretRef']['name'] : undefined;
    if (typeof ref !== 'string' || ref === '') throw new SpecError(component, field, 'give secretRef: {name: <secret holding the key under the signature name>} or value: <PEM>');
    const secret = secrets.get(ref);
    if (!secret) throw new SpecError(component, `${field}.secretRef`, `Secret ${ns}/${ref} not found`);
    const data = secret['data']?.[sig] as string | undefined;
    if (typeof data !== 'string') throw new SpecError(component, `${field}.secretRef`, `Secret ${ns}/${ref} has no key "${sig}" (the public key is stored under the signature name)`);
    const pem = Buffer.from(data, 'base64').toString('utf8');
    return { signature: sig, publicKey: `Secret ${ns}/${ref} key ${sig}`, pem };
  });
  const ref = resource.spec?.resource?.byReference;
  const id = ref?.resource;
  // ocmv1.Identity is flat (name plus extra keys); a nested extraIdentity, as in constructors, is accepted too.
  const strings = (m: unknown): boolean => isObj(m) && Object.values(m).every((x) => typeof x === 'string');
  const { extraIdentity: nested, ...flat } = isObj(id) ? id : {};
  if (!isObj(id) || typeof id['name'] !== 'string' || !strings(flat) || (nested !== undefined && !strings(nested))) {
    throw new SpecError(resource, 'spec.resource.byReference.resource', 'give the resource identity, e.g. {name: manifests}');
  }
  if (Array.isArray(ref.referencePath) && ref.referencePath.length > 0) throw new SpecError(resource, 'spec.resource.byReference.referencePath', 'resources of referenced components are not supported in --crds mode yet');
  const identity: Identity = { ...(flat as Record<string, string>), ...((nested ?? {}) as Record<string, string>) };
  return {
    name,
    repository: repositoryReference(repository),
    component: c.component,
    semver: c.semver,
    ...(semverFilter ? { semverFilter } : {}),
    downgradePolicy,
    intervalMs,
    verify,
    resource: identity,
    target,
  };
}

interface KubeCondition {
  type: 'Ready';
  status: 'True' | 'False' | 'Unknown';
  observedGeneration: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** The Ready condition for `obj`; the transition time moves only when the status changes. */
export function readyCondition(obj: KubeObj, status: KubeCondition['status'], reason: string, message: string, now: Date): KubeCondition {
  const old = (obj.status?.conditions as KubeCondition[] | undefined)?.find((c) => c.type === 'Ready');
  const time = old && old.status === status ? old.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z');
  return { type: 'Ready', status, observedGeneration: obj.metadata.generation ?? 0, lastTransitionTime: time, reason, message: message.slice(0, 32_000) };
}

/** The `.status` of each object of the chain after a reconcile of its entry. */
export function chainStatuses(chain: DeliveryChain, entry: ControllerEntry, s: EntryStatus, error: OcmError | undefined, now: Date): Map<KubeObj, Record<string, unknown>> {
  const cond = (t: string) => s.conditions.find((c) => c.type === t);
  const ready = cond('Ready');
  const verified = cond('Verified');
  const applied = cond('Applied');
  // Not ready because verification failed: say why (the reason names the version and the check).
  const [st, reason, message] = ready?.status === 'True'
    ? ['True' as const, ready.reason, ready.message]
    : verified?.status === 'False' && !error
      ? ['False' as const, 'VerificationFailed', verified.message]
      : [(ready?.status ?? 'Unknown') as KubeCondition['status'], ready?.reason ?? 'Progressing', ready?.message ?? 'not reconciled yet'];
  const base = (o: KubeObj) => ({ observedGeneration: o.metadata.generation ?? 0 });
  const info = s.lastAppliedVersion
    ? {
        repositorySpec: chain.repository.spec?.repositorySpec,
        component: entry.component,
        version: s.lastAppliedVersion,
        ...(s.lastAppliedComponentDigest ? { digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'jsonNormalisation/v1', value: s.lastAppliedComponentDigest.replace(/^sha256:/, '') } } : {}),
      }
    : undefined;
  const out = new Map<KubeObj, Record<string, unknown>>();
  out.set(chain.repository, {
    ...base(chain.repository),
    conditions: [error ? readyCondition(chain.repository, 'False', 'ReconcileFailed', error.message, now) : readyCondition(chain.repository, 'True', 'Ready', `${entry.repository} answered`, now)],
  });
  out.set(chain.component, { ...base(chain.component), conditions: [readyCondition(chain.component, st, reason, message, now)], ...(info ? { component: info } : {}) });
  out.set(chain.resource, {
    ...base(chain.resource),
    conditions: [readyCondition(chain.resource, st, reason, message, now)],
    ...(info ? { component: info, resource: { name: entry.resource['name'], ...(s.lastAppliedDigest ? { digest: s.lastAppliedDigest } : {}) } } : {}),
  });
  // The Deployer reports the last apply (what is in the cluster) once the chain is ready.
  out.set(chain.deployer, {
    ...base(chain.deployer),
    conditions: [applied && st === 'True' ? readyCondition(chain.deployer, applied.status, applied.reason, applied.message, now) : readyCondition(chain.deployer, st, reason, message, now)],
  });
  return out;
}

function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
