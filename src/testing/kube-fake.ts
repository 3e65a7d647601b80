/**
 * Test-only FAKE of the Kubernetes API server (no real API server can be installed on these
 * machines). In-process HTTPS on 127.0.0.1 (free port, a fresh self-signed certificate by openssl,
 * its CA in the kubeconfigs; the client library refuses plain HTTP), bearer-token auth. It implements just enough for ApplySet tests:
 * discovery (/api, /apis, /api/v1, /apis/<group>/<version>, /version), GET, LIST (label selectors),
 * POST, server-side apply PATCH (`application/apply-patch+yaml`, fieldManager, force, dryRun=All),
 * DELETE, resourceVersion/generation bumps and managedFields (manager + a flattened field set),
 * and the `/status` subresource of kinds registered with `statusSubresource` (JSON/merge patch of
 * `.status` only; no generation bump).
 *
 * What it is NOT: no OpenAPI, no schema validation or defaulting, no admission, no watch, no
 * finalizers/garbage collection, no namespace existence checks, a simplified apply merge (see
 * `applyMerge`). Workload status is synthesized by a knob (`readyAfterPolls`), not by controllers.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { listenOnLoopback } from './loopback.js';
import { matchesSelector, parseLabelSelector } from './kube-selector.js';
import { patchedStatus } from './kube-fake-status.js';

export interface FakeKind {
  group: string; // '' = core
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Has the `/status` subresource (GET, and PATCH as JSON patch or merge patch). */
  statusSubresource?: boolean;
}

type Obj = Record<string, any>;

const CORE_KINDS: FakeKind[] = [
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'] },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'] },
  { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'] },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, shortNames: ['sts'] },
  { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true },
];
/** The OCM v2 controller's kinds (delivery.ocm.software/v1alpha1), for `--crds` tests: `registerKind` each. */
export const DELIVERY_KINDS: FakeKind[] = [
  { group: 'delivery.ocm.software', version: 'v1alpha1', kind: 'Repository', plural: 'repositories', namespaced: true, statusSubresource: true },
  { group: 'delivery.ocm.software', version: 'v1alpha1', kind: 'Component', plural: 'components', namespaced: true, statusSubresource: true },
  { group: 'delivery.ocm.software', version: 'v1alpha1', kind: 'Resource', plural: 'resources', namespaced: true, statusSubresource: true },
  { group: 'delivery.ocm.software', version: 'v1alpha1', kind: 'Deployer', plural: 'deployers', namespaced: false, statusSubresource: true },
];
const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update'];
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'Job']);

export interface FakeFailure {
  status: number;
  /** Only requests with this method (e.g. 'PATCH'). */
  method?: string;
  /** Only requests whose path contains this. */
  pathIncludes?: string;
  /** How many requests to fail (default: all until cleared). */
  times?: number;
}

export interface KubeconfigOptions {
  /** Contexts to write; each points at the fake unless `server` is given. Default: one `fake`. */
  contexts?: { name: string; namespace?: string; server?: string }[];
  currentContext?: string;
}

export interface KubeFake {
  url: string;
  /** Every request seen: method, path with query, headers (for "no secret leaked" checks). */
  requests: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  /** Workloads get a ready status on the Nth GET after their last change (Infinity = never). */
  readyAfterPolls: number;
  /** Jobs fail instead of succeeding when they turn "ready". */
  failJobs: boolean;
  registerKind(k: FakeKind): void;
  /** Stores an object directly (e.g. an unrelated object that must survive pruning). */
  seed(obj: Obj): void;
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined;
  /** All stored objects (deep copies). */
  all(): Obj[];
  /** Answer matching requests with an error status (a Kubernetes `Status` body). */
  fail(f: FakeFailure | undefined): void;
  /** A kubeconfig (YAML text) for the fake; the bearer token is the fake's secret. */
  kubeconfig(o?: KubeconfigOptions): string;
  /** The fake's self-signed certificate (PEM), for tools that want a CA file. */
  caFile: string;
  /** Writes `kubeconfig(o)` to a temp file (removed by stop()). */
  writeKubeconfig(o?: KubeconfigOptions): Promise<string>;
  stop(): Promise<void>;
}

export interface StartKubeFakeOptions {
  /** Bearer token required on every request (default: a random one, written into kubeconfigs). */
  token?: string;
  readyAfterPolls?: number;
}

const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The managedFields `fieldsV1` shape of an applied object: `f:<key>` per field, leaves `{}` (lists atomic). */
function fieldSet(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) out[`f:${k}`] = isObj(v) ? fieldSet(v) : {};
  return out;
}

/** Leaf paths of a field set, e.g. `spec.replicas`. */
function leafPaths(fs: Obj, prefix = ''): string[] {
  return Object.entries(fs).flatMap(([k, v]) => {
    const p = prefix + k.slice(2);
    return Object.keys(v as Obj).length === 0 ? [p] : leafPaths(v as Obj, `${p}.`);
  });
}

function at(o: Obj, path: string): unknown {
  return path.split('.').reduce<unknown>((cur, k) => (isObj(cur) ? cur[k] : undefined), o);
}

function deepMerge(base: Obj, patch: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k], v) : clone(v);
  return out;
}

const SYSTEM_META = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields'];

/**
 * The simplified apply: when the applying manager is the only one, its new intent replaces the
 * object (so fields it dropped disappear, as real SSA does); otherwise a deep merge. Status and
 * system metadata are kept.
 */
function applyMerge(existing: Obj | undefined, patch: Obj, manager: string): Obj {
  if (!existing) return clone(patch);
  const others = (existing.metadata?.managedFields ?? []).filter((m: Obj) => m.manager !== manager);
  const next = others.length === 0 ? clone(patch) : deepMerge(existing, patch);
  for (const k of SYSTEM_META) if (existing.metadata?.[k] !== undefined) next.metadata[k] = existing.metadata[k];
  if (existing.status !== undefined) next.status = existing.status;
  return next;
}

/** JSON with sorted keys: "did it change" must not depend on key order. */
const canon = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(canon).join(',')}]`
  : isObj(v) ? `{${Object.keys(v).filter((k) => v[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`
  : JSON.stringify(v);
const withoutMetaStatus = (o: Obj) => canon({ ...o, metadata: undefined, status: undefined });
const comparable = (o: Obj) => canon({ ...o, metadata: { ...o.metadata, managedFields: undefined, resourceVersion: undefined } });

export async function startKubeFake(options: StartKubeFakeOptions = {}): Promise<KubeFake> {
  const token = options.token ?? randomUUID();
  const kinds: FakeKind[] = [...CORE_KINDS];
  const store = new Map<string, Obj>(); // key: group/kind/ns/name
  const polls = new Map<string, number>();
  let rv = 1000;
  let failure: (FakeFailure & { left: number }) | undefined;
  const dir = await mkdtemp(join(tmpdir(), 'ocm-kube-fake-'));
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'key.pem');
  let kubeconfigs = 0;
  try {
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', keyFile, '-out', caFile]);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const ca = await readFile(caFile);

  const gv = (k: FakeKind) => (k.group ? `${k.group}/${k.version}` : k.version);
  const keyOf = (k: FakeKind, ns: string | undefined, name: string) => `${k.group}/${k.kind}/${k.namespaced ? ns ?? '' : ''}/${name}`;
  const kindOf = (apiVersion: string, kind: string) => kinds.find((k) => gv(k) === apiVersion && k.kind === kind);

  function status(res: ServerResponse, code: number, reason: string, message: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
  }
  function send(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  /** The knob: the Nth GET after the last change writes a ready (or failed) status. */
  function maybeReady(key: string, o: Obj): void {
    if (!WORKLOADS.has(o.kind)) return;
    const n = (polls.get(key) ?? 0) + 1;
    polls.set(key, n);
    if (n < fake.readyAfterPolls) return;
    const replicas = o.spec?.replicas ?? 1;
    const gen = o.metadata.generation;
    const next =
      o.kind === 'Deployment' ? { observedGeneration: gen, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas }
      : o.kind === 'StatefulSet' ? { observedGeneration: gen, replicas, readyReplicas: replicas, currentReplicas: replicas, updatedReplicas: replicas }
      : fake.failJobs ? { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] }
      : { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
    if (canon(o.status) !== canon(next)) {
      o.status = next;
      o.metadata.resourceVersion = String(++rv);
    }
  }

  function discovery(path: string, res: ServerResponse): boolean {
    if (path === '/version') return send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0-ocm-ts-fake', platform: 'linux/amd64' }), true;
    if (path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: fake.url.slice(8) }] }), true;
    if (path === '/apis') {
      const groups = [...new Set(kinds.filter((k) => k.group).map((k) => k.group))].map((name) => {
        const versions = [...new Set(kinds.filter((k) => k.group === name).map((k) => k.version))].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
        return { name, versions, preferredVersion: versions[0] };
      });
      return send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups }), true;
    }
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (!m) return false;
    const groupVersion = m[1] ?? `${m[2]}/${m[3]}`;
    const rs = kinds.filter((k) => gv(k) === groupVersion);
    if (rs.length === 0) return status(res, 404, 'NotFound', `the server could not find the requested resource`), true;
    const resources = rs.map((k) => ({ name: k.plural, singularName: k.kind.toLowerCase(), namespaced: k.namespaced, kind: k.kind, verbs: VERBS, ...(k.shortNames ? { shortNames: k.shortNames } : {}) }));
    send(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources });
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    fake.requests.push({ method, url: req.url ?? '', headers: { ...req.headers } });
    if (req.headers.authorization !== `Bearer ${token}`) return status(res, 401, 'Unauthorized', 'Unauthorized');
    if (failure && (!failure.method || failure.method === method) && (!failure.pathIncludes || url.pathname.includes(failure.pathIncludes))) {
      const code = failure.status;
      if (--failure.left <= 0) failure = undefined;
      return failWith(res, code);
    }
    if (method === 'GET' && discovery(url.pathname, res)) return;

    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(.*)$/.exec(url.pathname);
    if (!m) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    const groupVersion = m[1] ?? `${m[2]}/${m[3]}`;
    const segs = m[4]!.split('/').filter((s) => s !== '').map(decodeURIComponent);
    let ns: string | undefined;
    if (segs[0] === 'namespaces' && segs.length >= 3) {
      ns = segs[1];
      segs.splice(0, 2);
    }
    const [plural, name, sub] = segs;
    const kind = kinds.find((k) => gv(k) === groupVersion && k.plural === plural);
    if (kind && sub === 'status' && segs.length === 3 && kind.statusSubresource) {
      const body = method === 'PATCH' ? await readBody(req) : '';
      return statusSubresource(req, res, method, kind, ns, name!, body);
    }
    if (!kind || segs.length > 2) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    const dryRun = url.searchParams.get('dryRun') === 'All';
    const body = ['POST', 'PATCH', 'PUT'].includes(method) ? await readBody(req) : '';

    if (!name) {
      if (method === 'GET') {
        let reqs;
        try {
          reqs = parseLabelSelector(url.searchParams.get('labelSelector') ?? '');
        } catch (e) {
          return status(res, 400, 'BadRequest', (e as Error).message);
        }
        const items = [...store.values()]
          .filter((o) => o.kind === kind.kind && gv(kind) === o.apiVersion && (ns === undefined || o.metadata.namespace === ns) && matchesSelector(o.metadata.labels, reqs))
          .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
        return send(res, 200, { kind: `${kind.kind}List`, apiVersion: gv(kind), metadata: { resourceVersion: String(rv) }, items: clone(items) });
      }
      if (method === 'POST') {
        const o = parseYaml(body) as Obj;
        if (!isObj(o) || !isObj(o.metadata) || !o.metadata.name) return status(res, 400, 'BadRequest', 'name is required');
        const key = keyOf(kind, ns, o.metadata.name);
        if (store.has(key)) return status(res, 409, 'AlreadyExists', `${kind.plural} "${o.metadata.name}" already exists`);
        const created = finish(kind, ns, undefined, o, url.searchParams.get('fieldManager') ?? 'unknown', 'Update');
        if (!dryRun) store.set(key, created);
        return send(res, 201, created);
      }
      return status(res, 405, 'MethodNotAllowed', `${method} is not supported on a collection`);
    }

    const key = keyOf(kind, ns, name);
    const existing = store.get(key);
    if (method === 'GET') {
      if (!existing) return status(res, 404, 'NotFound', `${kind.plural}${kind.group ? `.${kind.group}` : ''} "${name}" not found`);
      maybeReady(key, existing);
      return send(res, 200, existing);
    }
    if (method === 'DELETE') {
      if (!existing) return status(res, 404, 'NotFound', `${kind.plural}${kind.group ? `.${kind.group}` : ''} "${name}" not found`);
      if (!dryRun) {
        store.delete(key);
        polls.delete(key);
      }
      return send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: kind.group, kind: kind.plural, uid: existing.metadata.uid } });
    }
    if (method === 'PATCH') {
      if ((req.headers['content-type'] ?? '').split(';')[0] !== 'application/apply-patch+yaml') {
        return status(res, 415, 'UnsupportedMediaType', `the fake supports only server-side apply (application/apply-patch+yaml), not ${req.headers['content-type']}`);
      }
      const manager = url.searchParams.get('fieldManager');
      if (!manager) return status(res, 422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
      let patch: Obj;
      try {
        patch = parseYaml(body) as Obj;
      } catch (e) {
        return status(res, 400, 'BadRequest', `error decoding YAML: ${(e as Error).message}`);
      }
      if (!isObj(patch) || patch.kind !== kind.kind || patch.apiVersion !== gv(kind) || patch.metadata?.name !== name) {
        return status(res, 400, 'BadRequest', 'the body of the apply patch must be the whole object with matching apiVersion, kind and metadata.name');
      }
      if (existing && url.searchParams.get('force') !== 'true') {
        const mine = fieldSet(patch);
        const conflicts = (existing.metadata.managedFields ?? [])
          .filter((mf: Obj) => mf.manager !== manager)
          .flatMap((mf: Obj) => leafPaths(mf.fieldsV1 ?? {}).filter((p) => leafPaths(mine).includes(p) && canon(at(existing, p)) !== canon(at(patch, p))).map((p) => `conflict with "${mf.manager}": .${p}`));
        if (conflicts.length > 0) return status(res, 409, 'Conflict', `Apply failed with ${conflicts.length} conflict(s): ${conflicts.join(', ')}`);
      }
      const merged = applyMerge(existing, patch, manager);
      const next = finish(kind, ns, existing, merged, manager, 'Apply', patch);
      if (!dryRun && (!existing || comparable(next) !== comparable(existing) || canon(next.metadata.managedFields) !== canon(existing.metadata.managedFields))) {
        store.set(key, next);
        polls.delete(key);
      }
      return send(res, existing ? 200 : 201, next);
    }
    return status(res, 405, 'MethodNotAllowed', `the fake does not support ${method} on objects`);
  }

  /** GET/PATCH `<object>/status`: only `.status` changes (resourceVersion bumps, generation does not). */
  function statusSubresource(req: IncomingMessage, res: ServerResponse, method: string, kind: FakeKind, ns: string | undefined, name: string, body: string): void {
    const key = keyOf(kind, ns, name);
    const existing = store.get(key);
    if (!existing) return status(res, 404, 'NotFound', `${kind.plural}${kind.group ? `.${kind.group}` : ''} "${name}" not found`);
    if (method === 'GET') return send(res, 200, existing);
    if (method !== 'PATCH') return status(res, 405, 'MethodNotAllowed', `the fake does not support ${method} on status`);
    const r = patchedStatus(existing.status, req.headers['content-type'], body);
    if ('error' in r) return status(res, r.error.code, r.error.reason, r.error.message);
    const nextStatus = r.status;
    if (canon(nextStatus) !== canon(existing.status)) {
      const next = clone(existing);
      next.status = nextStatus;
      next.metadata.resourceVersion = String(++rv);
      store.set(key, next);
    }
    return send(res, 200, store.get(key));
  }

  function failWith(res: ServerResponse, code: number): void {
    const reason = code === 403 ? 'Forbidden' : code === 401 ? 'Unauthorized' : code === 409 ? 'Conflict' : 'InternalError';
    status(res, code, reason, code === 403 ? 'forbidden: User "fake-user" cannot do that (fake)' : `fake failure ${code}`);
  }

  /** System metadata on a stored object: uid, timestamps, resourceVersion/generation bumps, managedFields. */
  function finish(kind: FakeKind, ns: string | undefined, existing: Obj | undefined, o: Obj, manager: string, operation: string, applied?: Obj): Obj {
    const next = clone(o);
    next.apiVersion = gv(kind);
    next.kind = kind.kind;
    next.metadata = { ...next.metadata };
    if (kind.namespaced) next.metadata.namespace = ns;
    else delete next.metadata.namespace;
    const fields = fieldSet(applied ?? o);
    delete fields['f:metadata']?.['f:name'];
    delete fields['f:metadata']?.['f:namespace'];
    // One entry per manager, replaced in place; an identical field set keeps its old time (no-op apply).
    const mfs: Obj[] = clone(existing?.metadata.managedFields ?? []);
    const entry = { manager, operation, apiVersion: gv(kind), time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), fieldsType: 'FieldsV1', fieldsV1: fields };
    const i = mfs.findIndex((m) => m.manager === manager);
    if (i < 0) mfs.push(entry);
    else if (canon(mfs[i]!.fieldsV1) !== canon(fields) || mfs[i]!.operation !== operation) mfs[i] = entry;
    next.metadata.managedFields = mfs;
    if (!existing) {
      next.metadata.uid = randomUUID();
      next.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      next.metadata.generation = 1;
      next.metadata.resourceVersion = String(++rv);
      return next;
    }
    const specChanged = withoutMetaStatus(next) !== withoutMetaStatus(existing);
    if (specChanged) next.metadata.generation = (existing.metadata.generation ?? 1) + 1;
    if (specChanged || comparable(next) !== comparable(existing) || canon(mfs) !== canon(existing.metadata.managedFields)) {
      next.metadata.resourceVersion = String(++rv);
    }
    return next;
  }

  const server = createServer({ cert: ca, key: await readFile(keyFile) }, (req, res) => {
    handle(req, res).catch((e) => status(res, 500, 'InternalError', `fake: ${(e as Error).message}`));
  });
  let port: number;
  try {
    port = await listenOnLoopback(server);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }

  const fake: KubeFake = {
    url: `https://127.0.0.1:${port}`,
    caFile,
    requests: [],
    readyAfterPolls: options.readyAfterPolls ?? 1,
    failJobs: false,
    registerKind(k) {
      kinds.push(k);
    },
    seed(obj) {
      const k = kindOf(obj.apiVersion, obj.kind);
      if (!k) throw new Error(`fake: unknown kind ${obj.apiVersion} ${obj.kind}`);
      const ns = k.namespaced ? obj.metadata.namespace ?? 'default' : undefined;
      store.set(keyOf(k, ns, obj.metadata.name), finish(k, ns, undefined, obj, 'seed', 'Update'));
    },
    get(apiVersion, kind, namespace, name) {
      const k = kindOf(apiVersion, kind);
      return k && clone(store.get(keyOf(k, namespace, name)));
    },
    all: () => clone([...store.values()]),
    fail(f) {
      failure = f && { ...f, left: f.times ?? Infinity };
    },
    kubeconfig(o = {}) {
      const contexts = o.contexts ?? [{ name: 'fake' }];
      return stringifyYaml({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: contexts.map((c) => ({ name: `${c.name}-cluster`, cluster: { server: c.server ?? fake.url, 'certificate-authority-data': ca.toString('base64') } })),
        users: [{ name: 'fake-user', user: { token } }],
        contexts: contexts.map((c) => ({ name: c.name, context: { cluster: `${c.name}-cluster`, user: 'fake-user', ...(c.namespace ? { namespace: c.namespace } : {}) } })),
        'current-context': o.currentContext ?? contexts[0]!.name,
      });
    },
    async writeKubeconfig(o) {
      const file = join(dir, `kubeconfig-${++kubeconfigs}`);
      await writeFile(file, fake.kubeconfig(o), { mode: 0o600 });
      return file;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fake;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 4 << 20) throw new Error('request body over 4 MiB');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
