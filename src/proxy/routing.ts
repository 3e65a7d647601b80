/**
 * Maps a request on the proxy to (connector, upstream repository, endpoint, action). Three ways of
 * addressing (spec §D.3, §D.7): the shared listener's path prefix `/v2/<connector>/<repo>/...`, a
 * connector's dedicated listener (root namespace `/v2/<repo>/...`), and `?ns=<upstream host>` on the
 * shared listener (containerd mirrors). Pure: no I/O, so the parser is table-tested.
 */
import type { Connector, ProxyAction, ProxyState } from './types.js';

/** The part after `/v2/<repo>/`, validated; the proxy forwards nothing else. */
export type Endpoint =
  | { kind: 'manifest'; reference: string }
  | { kind: 'blob'; digest: string }
  | { kind: 'upload-start' }
  | { kind: 'upload'; session: string }
  | { kind: 'tags' }
  | { kind: 'referrers'; digest: string };

export type Route =
  | { kind: 'ping' }
  | { kind: 'unsupported'; what: string }
  | {
      kind: 'api';
      connector: Connector;
      /** Upstream-relative repository name. */
      repository: string;
      endpoint: Endpoint;
      /** `/v2/<endpoint path>` tail after the repository, e.g. `blobs/uploads/abc`. */
      tail: string;
      /** How the client addressed the connector (decides how Location/Link are written back). */
      addressing: Addressing;
    }
  | { kind: 'error'; status: number; code: string; message: string };

/** `prefix`: shared listener path prefix; `root`: dedicated listener; `ns`: root namespace + `?ns=`. */
export type Addressing = { kind: 'prefix' } | { kind: 'root' } | { kind: 'ns'; ns: string };

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,256}$/;
// Upload session ids are opaque: distribution uses UUIDs, others base64-ish ids; never `/` or `%`.
const SESSION_RE = /^[A-Za-z0-9._~=-]{1,256}$/;
// Lazy repository match: the shortest name for which the rest is a known endpoint (as distribution routes).
const API_RE = /^(.+?)\/(manifests\/[^/]+|blobs\/uploads\/[^/]*|blobs\/[^/]+|tags\/list|referrers\/[^/]+)$/;

export function isRepositoryName(name: string): boolean {
  return name.length <= 255 && NAME_RE.test(name);
}

export function isReference(ref: string): boolean {
  return TAG_RE.test(ref) || DIGEST_RE.test(ref);
}

export function isDigest(d: string): boolean {
  return DIGEST_RE.test(d);
}

const err = (status: number, code: string, message: string): Route => ({ kind: 'error', status, code, message });

function endpointOf(tail: string): Endpoint | string {
  const [a, b, c] = tail.split('/');
  if (a === 'manifests') return isReference(b!) ? { kind: 'manifest', reference: b! } : `invalid manifest reference "${b}"`;
  if (a === 'tags') return { kind: 'tags' };
  if (a === 'referrers') return isDigest(b!) ? { kind: 'referrers', digest: b! } : `invalid digest "${b}"`;
  if (b === 'uploads') {
    if (c === '' || c === undefined) return { kind: 'upload-start' };
    return SESSION_RE.test(c) ? { kind: 'upload', session: c } : 'invalid upload session id';
  }
  return isDigest(b!) ? { kind: 'blob', digest: b! } : `invalid digest "${b}"`;
}

/** The upstream `host[:port]` a `ns` value names, matched exactly (no suffix or substring matching, spec §F.3). */
export function connectorForNamespace(state: ProxyState, ns: string): Connector | undefined {
  const want = ns.toLowerCase();
  for (const c of state.connectors.values()) if (c.upstream.host.toLowerCase() === want) return c;
  return undefined;
}

/**
 * Routes a request path (without query). `dedicated` is the connector of a dedicated listener;
 * `ns` the `?ns=` value, honoured on the shared listener only.
 */
export function route(pathname: string, state: ProxyState, options: { dedicated?: string; ns?: string } = {}): Route {
  if (pathname === '/v2' || pathname === '/v2/') return { kind: 'ping' };
  if (!pathname.startsWith('/v2/')) return err(404, 'NOT_FOUND', 'not an OCI distribution path: the proxy serves /v2/ only');
  const rest = pathname.slice(4);
  if (rest === '_catalog') return { kind: 'unsupported', what: 'the repository catalog (/v2/_catalog)' };
  // Encoded separators or dot segments could smuggle a different path past the checks below.
  if (/%|\/\/|(^|\/)\.\.?(\/|$)/.test(rest)) return err(400, 'NAME_INVALID', 'invalid repository path');
  const m = API_RE.exec(rest);
  if (!m) return err(404, 'NOT_FOUND', 'unknown OCI distribution endpoint');
  const full = m[1]!;
  const tail = m[2]!;
  const endpoint = endpointOf(tail);
  if (typeof endpoint === 'string') return err(400, tail.startsWith('manifests') ? 'MANIFEST_INVALID' : 'DIGEST_INVALID', endpoint);

  let connector: Connector | undefined;
  let repository = full;
  let addressing: Addressing;
  if (options.dedicated !== undefined) {
    connector = state.connectors.get(options.dedicated);
    if (!connector) return err(404, 'NAME_UNKNOWN', `connector "${options.dedicated}" is no longer configured`);
    addressing = { kind: 'root' };
  } else if (options.ns !== undefined) {
    connector = connectorForNamespace(state, options.ns);
    if (!connector) return err(404, 'NAME_UNKNOWN', `no connector serves registry "${options.ns.slice(0, 255)}" (ns)`);
    addressing = { kind: 'ns', ns: options.ns };
  } else {
    const slash = full.indexOf('/');
    if (slash < 0) return err(404, 'NAME_UNKNOWN', `repository "${full}" names no connector: use /v2/<connector>/<repository>/...`);
    const name = full.slice(0, slash);
    connector = state.connectors.get(name);
    if (!connector) return err(404, 'NAME_UNKNOWN', `unknown connector "${name}"`);
    repository = full.slice(slash + 1);
    addressing = { kind: 'prefix' };
  }
  if (!isRepositoryName(repository)) return err(400, 'NAME_INVALID', `invalid repository name "${repository.slice(0, 255)}"`);
  return { kind: 'api', connector, repository, endpoint, tail, addressing };
}

/** The action a method needs: GET/HEAD pull, POST/PATCH/PUT push, DELETE delete; undefined = not allowed on the endpoint. */
export function actionFor(method: string, endpoint: Endpoint): ProxyAction | undefined {
  const reads = method === 'GET' || method === 'HEAD';
  switch (endpoint.kind) {
    case 'tags':
    case 'referrers':
      return reads ? 'pull' : undefined;
    case 'manifest':
      return reads ? 'pull' : method === 'PUT' ? 'push' : method === 'DELETE' ? 'delete' : undefined;
    case 'blob':
      return reads ? 'pull' : method === 'DELETE' ? 'delete' : undefined;
    case 'upload-start':
      return method === 'POST' ? 'push' : undefined;
    case 'upload':
      // GET = upload status, DELETE = cancel: both belong to the pusher.
      return ['GET', 'PATCH', 'PUT', 'DELETE'].includes(method) ? 'push' : undefined;
  }
}

/** The client's repository name for an upstream repository (how Location/Link/`from` are spelled on this addressing). */
export function clientRepository(connector: Connector, repository: string, addressing: Addressing): string {
  return addressing.kind === 'prefix' ? `${connector.name}/${repository}` : repository;
}

/**
 * The upstream repository of a client-supplied mount source (`from`), or undefined when it lies
 * outside the connector (another connector's prefix, an invalid name): such a mount is dropped.
 */
export function mountSource(from: string, connector: Connector, addressing: Addressing): string | undefined {
  let repo = from;
  if (addressing.kind === 'prefix') {
    if (!from.startsWith(`${connector.name}/`)) return undefined;
    repo = from.slice(connector.name.length + 1);
  }
  return isRepositoryName(repo) ? repo : undefined;
}
