/**
 * The controller's config file (`controller.yaml`): one entry per deployed component. Every
 * error is one line naming the entry and the field, so a bad file is fixed without guessing.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import { parseIdentity, type Identity } from '../../runtime/identity.js';
import { parseSemVer, parseSemverConstraint } from '../../transfer/semver-constraint.js';

export const CONTROLLER_CONFIG_KIND = 'ControllerConfig';
export const CONTROLLER_CONFIG_API_VERSION = 'controller.ocm.software/v1alpha1';

export type DowngradePolicy = 'Deny' | 'Allow';

export interface VerifySpec {
  readonly signature: string;
  /** Absolute path of the PEM public key (relative paths resolve against the config file's folder); with `pem`, where it came from. */
  readonly publicKey: string;
  /** The PEM itself (keys read from a Kubernetes Secret in `--crds` mode); `publicKey` then only names its origin. */
  readonly pem?: string;
}

export interface ControllerEntry {
  readonly name: string;
  /** Repository reference as on the command line (`http://host:5000/prod`, `ghcr.io/org`, `ctf::x.tgz`). */
  readonly repository: string;
  readonly component: string;
  /** A Masterminds constraint or a plain version (which needs no tag listing). */
  readonly semver?: string;
  /** Regex on the version string, applied before the constraint. */
  readonly semverFilter?: RegExp;
  readonly downgradePolicy: DowngradePolicy;
  readonly intervalMs: number;
  readonly verify: readonly VerifySpec[];
  readonly resource: Identity;
  readonly rules?: string;
  readonly target: { readonly kubeconfig?: string; readonly context?: string; readonly namespace: string };
}

export interface ControllerConfig {
  readonly entries: readonly ControllerEntry[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENTRY_FIELDS = new Set(['name', 'repository', 'component', 'semver', 'semverFilter', 'downgradePolicy', 'interval', 'verify', 'resource', 'rules', 'target']);

/** `30s`, `5m`, `1h`, `500ms` → milliseconds; undefined if malformed. */
export function parseInterval(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return n > 0 ? n : undefined;
}

/** Whether `semver` names one version (no tag listing needed) rather than a constraint. */
export function isExactVersion(semver: string): boolean {
  // Full x.y.z only: "1.2" is a constraint in Masterminds (any 1.2.x), not a pin.
  return /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]*)?$/.test(semver.trim()) && parseSemVer(semver.trim()) !== undefined;
}

/** Parses and validates `text` (YAML or JSON) read from `file`; paths resolve against its folder. */
export function parseControllerConfig(text: string, file: string): ControllerConfig {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new OcmError(ErrorCode.PARSE_ERROR, `controller config ${file}: not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const bad = (msg: string): OcmError => new OcmError(ErrorCode.CONFIG_ERROR, `controller config ${file}: ${msg}`);
  if (!isObject(doc)) throw bad(`expected a mapping with apiVersion: ${CONTROLLER_CONFIG_API_VERSION}, kind: ${CONTROLLER_CONFIG_KIND}, entries: [...]`);
  if (doc['apiVersion'] !== CONTROLLER_CONFIG_API_VERSION) throw bad(`apiVersion "${String(doc['apiVersion'])}": use ${CONTROLLER_CONFIG_API_VERSION}`);
  if (doc['kind'] !== undefined && doc['kind'] !== CONTROLLER_CONFIG_KIND) throw bad(`kind "${String(doc['kind'])}": use ${CONTROLLER_CONFIG_KIND}`);
  const raw = doc['entries'];
  if (!Array.isArray(raw) || raw.length === 0) throw bad('entries: give at least one entry (name, repository, component, verify, resource, target)');
  const base = dirname(resolve(file));
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const names = new Set<string>();
  const entries = raw.map((e, i): ControllerEntry => {
    const where = isObject(e) && typeof e['name'] === 'string' ? `entry ${e['name']}` : `entries[${i}]`;
    const fail = (field: string, msg: string): OcmError => bad(`${where}: ${field}: ${msg}`);
    if (!isObject(e)) throw bad(`${where}: expected a mapping`);
    for (const k of Object.keys(e)) if (!ENTRY_FIELDS.has(k)) throw fail(k, `unknown field (known: ${[...ENTRY_FIELDS].join(', ')})`);
    const str = (field: string, required: boolean): string | undefined => {
      const v = e[field];
      if (v === undefined && !required) return undefined;
      if (typeof v !== 'string' || v.trim() === '') throw fail(field, 'give a non-empty string');
      return v;
    };
    const name = str('name', true)!;
    if (!DNS_LABEL.test(name) || name.length > 50) throw fail('name', `"${name}": use lower-case letters, digits and "-" (it names the ApplySet), at most 50 characters`);
    if (names.has(name)) throw fail('name', 'used by another entry; names must be unique');
    names.add(name);
    const semver = str('semver', false);
    if (semver !== undefined && !isExactVersion(semver)) {
      try {
        parseSemverConstraint(semver);
      } catch (err) {
        throw fail('semver', (err as Error).message);
      }
    }
    const filterText = str('semverFilter', false);
    let semverFilter: RegExp | undefined;
    if (filterText !== undefined) {
      try {
        semverFilter = new RegExp(filterText);
      } catch (err) {
        throw fail('semverFilter', `not a regular expression: ${(err as Error).message}`);
      }
    }
    const policy = e['downgradePolicy'] ?? 'Deny';
    if (policy !== 'Deny' && policy !== 'Allow') throw fail('downgradePolicy', `"${String(policy)}": use Deny (the default) or Allow`);
    const interval = e['interval'] ?? '5m';
    const intervalMs = typeof interval === 'string' ? parseInterval(interval) : undefined;
    if (intervalMs === undefined) throw fail('interval', `"${String(interval)}": give a duration, e.g. 30s, 5m or 1h`);
    const verifyRaw = e['verify'];
    // Deploying unverified content is what the controller exists to prevent: a signature is required.
    if (!Array.isArray(verifyRaw) || verifyRaw.length === 0) throw fail('verify', 'give at least one {signature, publicKey} to check every version against');
    const verify = verifyRaw.map((v, j): VerifySpec => {
      if (!isObject(v) || typeof v['signature'] !== 'string' || typeof v['publicKey'] !== 'string' || !v['signature'] || !v['publicKey']) {
        throw fail(`verify[${j}]`, 'give {signature: <name>, publicKey: <PEM file>}');
      }
      return { signature: v['signature'], publicKey: path(v['publicKey']) };
    });
    const res = e['resource'];
    let resource: Identity;
    if (typeof res === 'string' && res !== '') resource = res.includes('=') ? parseIdentity(res) : { name: res };
    else if (isObject(res) && Object.values(res).every((x) => typeof x === 'string')) resource = res as Identity;
    else throw fail('resource', 'give the deployable resource, e.g. name=manifests or {name: manifests}');
    if (!resource['name']) throw fail('resource', 'name the resource, e.g. name=manifests');
    const rules = str('rules', false);
    const t = e['target'];
    if (!isObject(t)) throw fail('target', 'give {namespace: <ns>} (and optionally kubeconfig, context)');
    for (const k of Object.keys(t)) if (!['kubeconfig', 'context', 'namespace'].includes(k)) throw fail(`target.${k}`, 'unknown field (known: kubeconfig, context, namespace)');
    if (typeof t['namespace'] !== 'string' || !DNS_LABEL.test(t['namespace'])) throw fail('target.namespace', 'give the namespace to deploy into (a DNS label)');
    for (const k of ['kubeconfig', 'context'] as const) if (t[k] !== undefined && (typeof t[k] !== 'string' || t[k] === '')) throw fail(`target.${k}`, 'give a non-empty string');
    const target = {
      namespace: t['namespace'],
      ...(typeof t['kubeconfig'] === 'string' ? { kubeconfig: path(t['kubeconfig']) } : {}),
      ...(typeof t['context'] === 'string' ? { context: t['context'] } : {}),
    };
    return {
      name,
      repository: str('repository', true)!,
      component: str('component', true)!,
      ...(semver !== undefined ? { semver } : {}),
      ...(semverFilter ? { semverFilter } : {}),
      downgradePolicy: policy,
      intervalMs,
      verify,
      resource,
      ...(rules !== undefined ? { rules: path(rules) } : {}),
      target,
    };
  });
  return { entries };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
