/**
 * Relays one authorised distribution request to its connector's upstream through the OCI client
 * (`RegistryClient.send`: upstream auth rounds, per-scope token cache, redirects that drop
 * `Authorization` off-origin) and the answer back. Bodies are streamed both ways with backpressure
 * (never buffered); a client that goes away aborts the upstream request and vice versa.
 *
 * Policies (documented in the report / README):
 * - Upstream redirects of GET/HEAD (a blob 307 to object storage) are followed here, without the
 *   upstream token off-origin; the client never sees an object-store URL.
 * - A `Location` the proxy cannot express (another origin, outside `/v2/`) is not handed out: 502.
 * - Upstream 5xx after retries and network failures → 502/503 `UNAVAILABLE`; 429 → 429.
 * - Upstream rejecting the proxy's own credentials → 502 `UNAVAILABLE` naming the connector
 *   (a 401 would make the client think its proxy token is wrong); not granted → 403 `DENIED`.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import { repositoryScope, type AuthTarget } from '../oci/remote/auth.js';
import { header, headerAll, type HttpRequest, type HttpResponse } from '../oci/remote/http.js';
import type { ProxyMetrics } from './metrics.js';
import { mountSource, type Route } from './routing.js';
import { FORWARDED_REQUEST_HEADERS, PASSED_RESPONSE_HEADERS, rewriteLink, toProxyUrl, upstreamQuery, type RewriteContext } from './rewrite.js';
import type { Upstream } from './upstream.js';

export type ApiRoute = Extract<Route, { kind: 'api' }>;

export interface ForwardResult {
  status: number;
  bytesIn: number;
  bytesOut: number;
  /** Set when the proxy answered itself (an error it generated), for the access log. */
  error?: string;
  /** The client or the upstream went away mid-transfer. */
  aborted?: boolean;
}

/** Writes a distribution error body (`{"errors":[...]}`); the message is ours, never upstream or client text with secrets. */
export function sendError(res: ServerResponse, status: number, code: string, message: string, headers: OutgoingHttpHeaders = {}): ForwardResult {
  const body = JSON.stringify({ errors: [{ code, message, detail: null }] });
  if (!res.headersSent) {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'docker-distribution-api-version': 'registry/2.0',
      ...headers,
    });
    res.end(res.req?.method === 'HEAD' ? undefined : body);
  } else res.destroy();
  return { status, bytesIn: 0, bytesOut: 0, error: code };
}

export interface ForwardOptions {
  req: IncomingMessage;
  res: ServerResponse;
  route: ApiRoute;
  upstream: Upstream;
  /** The request's query string (`?...` or empty), as the client sent it. */
  search: string;
  /** Aborted when the client goes away or the proxy shuts down. */
  signal: AbortSignal;
  metrics: ProxyMetrics;
  /** Whether the client may pull from another repository of the same connector (mount sources). */
  mayPull(repository: string): boolean;
}

export async function forward(o: ForwardOptions): Promise<ForwardResult> {
  const { req, res, route } = o;
  const { connector, repository } = route;
  const method = (req.method ?? 'GET') as HttpRequest['method'];
  const origin = `${connector.upstream.scheme}://${connector.upstream.host}`;
  const target = { host: connector.upstream.host, scheme: connector.upstream.scheme, repository };

  let query = upstreamQuery(o.search);
  const scopes = [repositoryScope(repository, scopeActions(method, route))];
  if (route.endpoint.kind === 'upload-start' && /[?&]mount=/.test(query)) {
    const m = mountQuery(query, (from) => {
      const src = mountSource(from, connector, route.addressing);
      return src !== undefined && o.mayPull(src) ? src : undefined;
    });
    query = m.query;
    if (m.from) scopes.push(repositoryScope(m.from, ['pull']));
  }
  const url = `${origin}/v2/${repository}/${route.tail}${query}`;

  const headers: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const v = req.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  headers['user-agent'] = req.headers['user-agent'] ? `${req.headers['user-agent'].slice(0, 200)} via ocm-proxy` : 'ocm-proxy';

  let bytesIn = 0;
  const hasBody = ['POST', 'PATCH', 'PUT'].includes(method) && (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);
  const stream = hasBody
    ? (async function* () {
        for await (const chunk of req as AsyncIterable<Buffer>) {
          bytesIn += chunk.length;
          yield chunk;
        }
      })()
    : undefined;
  if (!hasBody && ['POST', 'PATCH', 'PUT'].includes(method)) {
    req.resume();
    headers['content-length'] = '0';
  }

  const client = o.upstream.client;
  let up: Relayed;
  const t0 = process.hrtime.bigint();
  try {
    const fast = method === 'GET' && route.endpoint.kind === 'blob' ? await fastBlob(o.upstream, target, url, headers, scopes, o.signal) : undefined;
    // The transport counts token-cache use for /metrics; the fast path sends a cached token itself.
    if (fast?.bearer) o.metrics.token(connector.name, true);
    if (fast) {
      up = fast;
    } else {
      // A streamed body cannot be re-sent after a 401: learn the upstream's auth scheme (and get the
      // token for these scopes) with a body-less request first, once per client.
      if (stream && !o.upstream.primed) {
        const ping = await client.send(target, { method: 'GET', url: `${origin}/v2/`, signal: o.signal }, scopes);
        await ping.body.dump().catch(() => undefined);
      }
      up = await client.send(target, { method, url, headers, stream, signal: o.signal, noRetry: stream !== undefined }, scopes);
      o.upstream.primed = true;
    }
  } catch (e) {
    if (o.signal.aborted) {
      res.destroy();
      return { status: 499, bytesIn, bytesOut: 0, aborted: true };
    }
    return upstreamFailure(res, connector.name, connector.upstream.host, e, bytesIn);
  } finally {
    o.metrics.upstreamSeconds(connector.name, Number(process.hrtime.bigint() - t0) / 1e9);
  }

  // Anything the upstream says about authentication is about the proxy's credentials, not the client's.
  if (up.status === 401 || up.status === 407) {
    await up.body.dump().catch(() => undefined);
    return sendError(res, 502, 'UNAVAILABLE', `upstream ${connector.upstream.host} of connector "${connector.name}" asked for authentication again; check the proxy's upstream credentials`);
  }
  if (up.status === 429 || up.status >= 500) {
    await up.body.dump().catch(() => undefined);
    const retryAfter = header(up.headers, 'retry-after');
    if (up.status === 429) return sendError(res, 429, 'TOOMANYREQUESTS', `upstream ${connector.upstream.host} is throttling requests`, retryAfter ? { 'retry-after': retryAfter } : {});
    return sendError(res, up.status === 503 ? 503 : 502, 'UNAVAILABLE', `upstream ${connector.upstream.host} of connector "${connector.name}" answered ${up.status}`, retryAfter ? { 'retry-after': retryAfter } : {});
  }

  const ctx: RewriteContext = { upstreamOrigin: origin, responseUrl: up.url, connectorName: connector.name, addressing: route.addressing };
  const out: OutgoingHttpHeaders = { 'docker-distribution-api-version': 'registry/2.0' };
  for (const name of PASSED_RESPONSE_HEADERS) {
    const v = up.headers[name];
    if (v !== undefined) out[name as string] = v;
  }
  const location = header(up.headers, 'location');
  if (location !== undefined) {
    const mapped = toProxyUrl(location, ctx);
    if (mapped === undefined) {
      await up.body.dump().catch(() => undefined);
      return sendError(res, 502, 'UNAVAILABLE', `upstream ${connector.upstream.host} answered with a location outside its origin; the proxy does not relay it`);
    }
    out.location = mapped;
  }
  const links = headerAll(up.headers, 'link')
    .map((l) => rewriteLink(l, ctx))
    .filter((l): l is string => l !== undefined);
  if (links.length) out.link = links;
  if (route.addressing.kind === 'ns') out['oci-namespace'] = route.addressing.ns;

  res.writeHead(up.status, out);
  if (method === 'HEAD') {
    await up.body.dump().catch(() => undefined);
    res.end();
    return { status: up.status, bytesIn, bytesOut: 0 };
  }
  let bytesOut = 0;
  let aborted = false;
  try {
    // Counting by observing 'data' keeps the plain pipe (pause/resume backpressure) without a per-chunk async hop.
    up.body.on('data', (chunk: Buffer) => (bytesOut += chunk.length));
    await pipeline(up.body, res);
  } catch {
    // Either side went away mid-body: pipeline destroyed both (the upstream request is aborted).
    res.destroy();
    aborted = true;
  }
  return { status: up.status, bytesIn, bytesOut, ...(aborted ? { aborted } : {}) };
}

/** What is relayed back: the transport's response or the fast path's (whose body has no `dump`). */
type Relayed = Omit<HttpResponse, 'body'> & { body: Readable & { dump(): Promise<void> }; bearer?: boolean };

/**
 * Blob GETs — nearly all bytes a proxy relays — take the OCI client's socket fast path (512 KiB
 * reads instead of undici's 64 KiB; bench/fast-get.bench.mjs) once the upstream's auth scheme is
 * known. Anything but a plain 200/206 (401, 404, chunked, a lost connection) comes back undefined
 * and the regular transport repeats the request. Redirects off the upstream's origin lose the
 * upstream token there too.
 */
async function fastBlob(upstream: Upstream, target: AuthTarget, url: string, headers: Record<string, string>, scopes: string[], signal: AbortSignal): Promise<Relayed | undefined> {
  if (!upstream.fastGet || !upstream.primed) return undefined;
  const auth = await upstream.client.auth.headerFor(target, scopes, signal);
  const r = await upstream.fastGet.get(new URL(url), auth ? { ...headers, authorization: auth } : headers, signal);
  if (!r) return undefined;
  const body = Object.assign(r.body, { dump: async () => void r.body.destroy() });
  return { status: r.status, headers: r.headers, body, url: r.url, bearer: /^bearer /i.test(auth ?? '') };
}

function scopeActions(method: string, route: ApiRoute): string[] {
  if (method === 'GET' || method === 'HEAD') return route.endpoint.kind === 'upload' ? ['pull', 'push'] : ['pull'];
  if (method === 'DELETE') return route.endpoint.kind === 'upload' ? ['pull', 'push'] : ['delete'];
  return ['pull', 'push'];
}

/**
 * Rewrites `from=` of a mount to the upstream repository, or drops `mount`/`from` when the source
 * is outside the connector or not pullable by this client: the registry then starts a normal
 * upload (202), which is what a refused mount means in the spec anyway.
 */
export function mountQuery(query: string, resolve: (from: string) => string | undefined): { query: string; from?: string } {
  const params = query.replace(/^\?/, '').split('&').filter(Boolean);
  const fromParam = params.find((p) => p.startsWith('from='));
  let from: string | undefined;
  if (fromParam) {
    try {
      from = resolve(decodeURIComponent(fromParam.slice(5)));
    } catch {
      from = undefined;
    }
  }
  const kept = params
    .filter((p) => (from ? true : !p.startsWith('from=') && !p.startsWith('mount=')))
    .map((p) => (from && p.startsWith('from=') ? `from=${encodeURIComponent(from).replace(/%2F/g, '/')}` : p));
  return { query: kept.length ? `?${kept.join('&')}` : '', ...(from ? { from } : {}) };
}

function upstreamFailure(res: ServerResponse, connector: string, host: string, e: unknown, bytesIn: number): ForwardResult {
  const code = e instanceof OcmError ? e.code : undefined;
  let r: ForwardResult;
  if (code === ErrorCode.FORBIDDEN) {
    r = sendError(res, 403, 'DENIED', `upstream ${host} does not grant the proxy's credentials of connector "${connector}" this access`);
  } else if (code === ErrorCode.UNAUTHORIZED) {
    r = sendError(res, 502, 'UNAVAILABLE', `upstream ${host} rejected or requires the proxy's credentials of connector "${connector}"; the proxy operator must fix them`);
  } else if (code === ErrorCode.NETWORK_ERROR) {
    r = sendError(res, 502, 'UNAVAILABLE', `upstream ${host} of connector "${connector}" is unreachable`);
  } else {
    r = sendError(res, 502, 'UNAVAILABLE', `upstream ${host} of connector "${connector}" failed: ${e instanceof OcmError ? e.message.slice(0, 300) : 'internal error'}`);
  }
  return { ...r, bytesIn };
}
