/**
 * The Kubernetes connection for apply: kubeconfig (a file, the default chain incl. $KUBECONFIG,
 * or the in-cluster service account), context selection, the client's errors mapped to OcmError.
 * `@kubernetes/client-node` takes ~1 s to load, so it is imported here, lazily, and nowhere else.
 */
import { ErrorCode, OcmError, throwIfAborted } from '../../runtime/errors.js';

export interface KubeConnectOptions {
  /** A kubeconfig file; default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string;
  /** A context of the kubeconfig; default: its current-context. */
  context?: string;
  /** Overrides the context's namespace; default: the context's, else `default`. */
  namespace?: string;
  signal?: AbortSignal;
}

/** What apply needs from the client, as plain JSON objects. */
export interface KubeConnection {
  /** The API server URL (no credentials in it). */
  readonly server: string;
  /** The namespace objects without one go to. */
  readonly namespace: string;
  /** `undefined` when the server has no such kind. */
  resource(apiVersion: string, kind: string): Promise<{ namespaced: boolean } | undefined>;
  /** Preferred `group/version` of an API group (`v1` for core); `undefined` when the group is gone. */
  preferredVersion(group: string): Promise<string | undefined>;
  read(ref: ObjRef): Promise<Json | undefined>;
  list(apiVersion: string, kind: string, namespace: string | undefined, labelSelector: string): Promise<Json[]>;
  apply(obj: Json, opts: { dryRun: boolean }): Promise<Json>;
  delete(ref: ObjRef): Promise<void>;
  /** Replaces `.status` through the status subresource (JSON patch `add /status`); spec and generation stay. */
  patchStatus(ref: ObjRef, status: Record<string, unknown>): Promise<Json>;
}

/** A Kubernetes object as plain JSON. */
export type Json = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any };
export interface ObjRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

export const FIELD_MANAGER_DEFAULT = 'delivery.ocm.software/applyset';

/** Connects (no request is made yet); bad kubeconfig or unknown context → CONFIG_ERROR. */
export async function connect(opts: KubeConnectOptions, fieldManager: string): Promise<KubeConnection> {
  throwIfAborted(opts.signal);
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  const where = opts.kubeconfig ? `kubeconfig ${opts.kubeconfig}` : 'the default kubeconfig';
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new OcmError(ErrorCode.NOT_FOUND, `${where}: no such file; pass --kubeconfig with an existing file`, { cause: e });
    throw new OcmError(ErrorCode.CONFIG_ERROR, `${where} could not be read: ${firstLine(e)}`, { cause: e });
  }
  if (opts.context !== undefined) {
    if (!kc.getContextObject(opts.context)) {
      throw new OcmError(ErrorCode.CONFIG_ERROR, `${where} has no context ${JSON.stringify(opts.context)}; it has: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'}`);
    }
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new OcmError(ErrorCode.CONFIG_ERROR, `${where}: no cluster for context ${JSON.stringify(kc.getCurrentContext())}; set current-context or pass --context`);
  const ctxNs = kc.getContextObject(kc.getCurrentContext())?.namespace;
  const namespace = opts.namespace ?? (ctxNs || 'default');
  const server = redactUrl(cluster.server);

  const signal = opts.signal;
  // Own Configuration (instead of kc.makeApiClient) so every request carries the AbortSignal.
  const config = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [{ pre: async (ctx) => (signal && ctx.setSignal(signal as never), ctx), post: async (r) => r }],
  });
  const api = new k8s.KubernetesObjectApi(config);
  const apis = new k8s.ApisApi(config);
  // resource() is protected: it is the client's cached discovery, which is exactly what is needed.
  const discovery = api as unknown as { resource(apiVersion: string, kind: string): Promise<{ namespaced: boolean; name: string } | undefined> };
  const custom = new k8s.CustomObjectsApi(config);
  const plain = (o: unknown): Json => JSON.parse(JSON.stringify(o)) as Json; // the client returns model classes with Dates
  const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    throwIfAborted(signal);
    try {
      return await f();
    } catch (e) {
      throw mapError(e, what, server, signal);
    }
  };
  let groups: Map<string, string> | undefined;

  return {
    server,
    namespace,
    resource: (apiVersion, kind) => call(`discovery of ${apiVersion}`, async () => {
      const r = await discovery.resource(apiVersion, kind).catch((e: unknown) => {
        if ((e as { code?: number }).code === 404) return undefined; // an API group the server lacks
        throw e;
      });
      return r && { namespaced: r.namespaced };
    }),
    async preferredVersion(group) {
      if (group === '') return 'v1';
      groups ??= await call('discovery of API groups', async () => {
        const list = await apis.getAPIVersions();
        return new Map(list.groups.map((g) => [g.name, g.preferredVersion?.groupVersion ?? g.versions[0]?.groupVersion ?? '']));
      });
      return groups.get(group) || undefined;
    },
    read: (ref) => call(`GET ${describe(ref)}`, async () => {
      try {
        return plain(await api.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { ...ref.metadata } }));
      } catch (e) {
        if ((e as { code?: number }).code === 404) return undefined;
        throw e;
      }
    }),
    list: (apiVersion, kind, ns, selector) => call(`LIST ${kind} ${ns ? `in namespace ${ns}` : 'in all namespaces'}`, async () => {
      const out: Json[] = [];
      let cont: string | undefined;
      do {
        const page = await api.list(apiVersion, kind, ns, undefined, undefined, undefined, undefined, selector, 500, cont);
        for (const item of page.items) out.push({ ...plain(item), apiVersion, kind }); // items of a List may omit both
        cont = page.metadata?._continue || undefined;
      } while (cont);
      return out;
    }),
    apply: (obj, o) => call(`${o.dryRun ? 'dry-run ' : ''}apply of ${describe(obj as ObjRef)}`, async () =>
      plain(await api.patch(structuredClone(obj), undefined, o.dryRun ? 'All' : undefined, fieldManager, true, k8s.PatchStrategy.ServerSideApply))),
    delete: (ref) => call(`DELETE ${describe(ref)}`, async () => {
      try {
        await api.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { ...ref.metadata } }, undefined, undefined, undefined, undefined, 'Background');
      } catch (e) {
        if ((e as { code?: number }).code !== 404) throw e; // already gone is what pruning wants
      }
    }),
    patchStatus: (ref, status) => call(`PATCH status of ${describe(ref)}`, async () => {
      const r = await discovery.resource(ref.apiVersion, ref.kind);
      if (!r) throw new OcmError(ErrorCode.NOT_FOUND, `Kubernetes API ${server}: the server has no kind ${ref.kind} (${ref.apiVersion}); install its CRD`);
      const [group, version] = ref.apiVersion.includes('/') ? ref.apiVersion.split('/') as [string, string] : ['', ref.apiVersion];
      // "add" replaces an existing member: the whole status is this controller's to write.
      const body = [{ op: 'add', path: '/status', value: status }];
      const base = { group, version, plural: r.name, name: ref.metadata.name, body };
      return plain(r.namespaced
        ? await custom.patchNamespacedCustomObjectStatus({ ...base, namespace: ref.metadata.namespace ?? namespace })
        : await custom.patchClusterCustomObjectStatus(base));
    }),
  };
}

function describe(r: ObjRef): string {
  return `${r.kind} ${r.metadata.namespace ? `${r.metadata.namespace}/` : ''}${r.metadata.name}`;
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!.slice(0, 300);
}

/** The server URL without any userinfo or query (a kubeconfig could hold either). */
function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '<unparsable server URL>';
  }
}

/**
 * One line per failure: what was asked, the HTTP status and the server's `Status.message` (which
 * names resources, never credentials). Never the client's own message: it embeds response headers.
 */
export function mapError(e: unknown, what: string, server: string, signal?: AbortSignal): OcmError {
  if (e instanceof OcmError) return e;
  if (signal?.aborted || (e as Error)?.name === 'AbortError') return new OcmError(ErrorCode.ABORTED, `${what}: aborted`, { cause: signal?.reason });
  const status = (e as { code?: unknown }).code;
  if (typeof status === 'number') {
    let message = '';
    try {
      const body = (e as { body?: unknown }).body;
      message = String((typeof body === 'string' ? JSON.parse(body) : body)?.message ?? '');
    } catch {
      /* not a Status body */
    }
    message = message.split('\n')[0]!.slice(0, 300);
    const code = status === 401 ? ErrorCode.UNAUTHORIZED
      : status === 403 ? ErrorCode.FORBIDDEN
      : status === 404 ? ErrorCode.NOT_FOUND
      : status === 409 ? ErrorCode.ALREADY_EXISTS
      : status === 400 || status === 422 ? ErrorCode.VALIDATION_FAILED
      : ErrorCode.REGISTRY_ERROR;
    const hint = status === 401 ? '; check the kubeconfig user credentials'
      : status === 403 ? '; the kubeconfig user lacks RBAC permission for it'
      : status === 409 ? '; another field manager owns these fields'
      : '';
    return new OcmError(code, `Kubernetes API ${server}: ${what}: HTTP ${status}${message ? ` ${message}` : ''}${hint}`, { details: { status } });
  }
  const net = (e as { code?: string; errno?: string }).code ?? (e as { errno?: string }).errno;
  if (typeof net === 'string' && /^E[A-Z]+/.test(net)) {
    return new OcmError(ErrorCode.NETWORK_ERROR, `Kubernetes API ${server}: ${what}: cannot connect (${net}); check the kubeconfig server and context`);
  }
  return new OcmError(ErrorCode.REGISTRY_ERROR, `Kubernetes API ${server}: ${what}: ${firstLine(e)}`);
}
