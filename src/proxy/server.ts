/**
 * The auth-injecting OCI registry proxy (`ocm proxy serve`; spec §C, §D.7, §F): a shared listener
 * (path prefix `/v2/<connector>/<repo>/...`, or `?ns=<upstream host>`) plus one dedicated listener
 * per connector with `listen` (root namespace). Every request takes a fresh `ProxyState` snapshot,
 * authenticates the client, authorises (connector, repository, action) and only then contacts the
 * connector's configured upstream — never any host a client names.
 *
 * `/healthz` is open; `/metrics` needs an authenticated client when client auth is configured
 * (it names connectors). Dedicated listeners are bound at start; a reload that adds one needs a
 * restart (a reload that removes a connector makes its listener answer 404).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import { isLoopbackHost } from '../oci/remote/client.js';
import { forward, sendError, type ForwardResult } from './forward.js';
import { ProxyMetrics } from './metrics.js';
import { parseListen } from './config.js';
import { actionFor, route } from './routing.js';
import { redactedQuery } from './rewrite.js';
import type { ProxyPrincipal, ProxyServerOptions, ProxyState, RunningProxy } from './types.js';
import { UpstreamPool } from './upstream.js';

/** `host:port` of a listener, or a CONFIG_ERROR naming it (the syntax is config.ts's `parseListen`). */
function listenAddress(listen: string): { host: string; port: number } {
  const l = parseListen(listen);
  if (!l) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid listen address "${listen}": expected host:port, e.g. 127.0.0.1:5050`);
  return l;
}

interface Listener {
  server: Server;
  sockets: Set<Socket>;
  /** Requests being served on each socket (idle sockets are closed at once on shutdown). */
  busy: Map<Socket, number>;
}

export async function startProxy(options: ProxyServerOptions): Promise<RunningProxy> {
  const initial = options.state.current();
  const shared = options.listen ?? '127.0.0.1:5050';
  const listens: { addr: string; connector?: string }[] = [{ addr: shared }];
  for (const c of initial.connectors.values()) if (c.listen) listens.push({ addr: c.listen, connector: c.name });
  for (const l of listens) {
    const { host } = listenAddress(l.addr);
    // An injecting proxy on a reachable address without client auth is an open relay for its credentials (§F.4).
    if (!isLoopbackHost(host) && !initial.access.authRequired) {
      throw new OcmError(
        ErrorCode.CONFIG_ERROR,
        `refusing to listen on ${l.addr}${l.connector ? ` (connector "${l.connector}")` : ''} without client authentication: configure proxy clients, or listen on 127.0.0.1`,
      );
    }
  }

  const metrics = new ProxyMetrics();
  const pool = new UpstreamPool({ session: options.session, metrics, logger: options.logger });
  const shutdown = new AbortController();
  let closing: Promise<void> | undefined;
  const log = options.accessLog;

  const handle = (dedicated: string | undefined) => (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    // While shutting down, answers close their connection so keep-alive clients reconnect elsewhere.
    if (closing) res.shouldKeepAlive = false;
    metrics.inFlight(1);
    const ac = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) ac.abort(new Error('client disconnected'));
    };
    res.on('close', onClose);
    const onShutdown = () => ac.abort(new Error('proxy shutting down'));
    shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    const done = (r: ForwardResult, who: ProxyPrincipal | undefined, connector?: string, repository?: string) => {
      res.off('close', onClose);
      shutdown.signal.removeEventListener('abort', onShutdown);
      metrics.inFlight(-1);
      metrics.request(connector ?? '', req.method ?? '', r.status);
      if (connector) {
        metrics.bytes(connector, 'in', r.bytesIn);
        metrics.bytes(connector, 'out', r.bytesOut);
      }
      const [path, search = ''] = (req.url ?? '/').split(/\?(.*)/s, 2);
      log?.({
        time: new Date(started).toISOString(),
        method: req.method,
        path: path!.slice(0, 1024),
        query: redactedQuery(search ? `?${search}` : ''),
        connector,
        repository,
        status: r.status,
        bytesIn: r.bytesIn,
        bytesOut: r.bytesOut,
        ms: Date.now() - started,
        client: who ? (who.kind === 'client' ? who.name : 'anonymous') : undefined,
        ...(r.error ? { error: r.error } : {}),
        ...(r.aborted ? { aborted: true } : {}),
      });
    };
    serve(req, res, dedicated, ac.signal).then(
      ({ result, who, connector, repository }) => done(result, who, connector, repository),
      (e: unknown) => {
        options.logger?.warn('proxy request failed', { error: e instanceof Error ? e.message : String(e) });
        done(sendError(res, 500, 'UNKNOWN', 'internal proxy error'), undefined);
      },
    );
  };

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    dedicated: string | undefined,
    signal: AbortSignal,
  ): Promise<{ result: ForwardResult; who?: ProxyPrincipal; connector?: string; repository?: string }> {
    const state: ProxyState = options.state.current();
    const [pathname = '/', rawSearch] = (req.url ?? '/').split(/\?(.*)/s, 2);
    const search = rawSearch !== undefined ? `?${rawSearch}` : '';
    if (pathname === '/healthz') {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : 'ok\n');
      return { result: { status: 200, bytesIn: 0, bytesOut: 0 } };
    }
    const who = state.access.authenticate(req.headers.authorization);
    const challenge = () => {
      req.resume();
      return sendError(res, 401, 'UNAUTHORIZED', 'authentication required: log in to the proxy with a client token', { 'www-authenticate': state.access.challenge() });
    };
    if (!who) return { result: challenge() };
    const anonymousRefused = who.kind === 'anonymous' && state.access.authRequired;
    if (pathname === '/metrics') {
      if (anonymousRefused) return { result: challenge(), who };
      req.resume();
      const body = metrics.render();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return { result: { status: 200, bytesIn: 0, bytesOut: 0 }, who };
    }
    const method = req.method ?? 'GET';
    const ns = dedicated === undefined ? nsParam(search) : undefined;
    const r = route(pathname, state, { dedicated, ns });
    if (r.kind === 'ping') {
      if (anonymousRefused) return { result: challenge(), who };
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2, 'docker-distribution-api-version': 'registry/2.0' });
      res.end(method === 'HEAD' ? undefined : '{}');
      return { result: { status: 200, bytesIn: 0, bytesOut: 0 }, who };
    }
    if (r.kind !== 'api') req.resume();
    if (r.kind === 'unsupported') return { result: sendError(res, 404, 'UNSUPPORTED', `the proxy does not serve ${r.what}`), who };
    if (r.kind === 'error') return { result: sendError(res, r.status, r.code, r.message), who };
    const action = actionFor(method, r.endpoint);
    if (!action) {
      req.resume();
      return { result: sendError(res, 405, 'UNSUPPORTED', `${method} is not allowed on this endpoint`), who, connector: r.connector.name, repository: r.repository };
    }
    if (!state.access.authorize(who, r.connector, r.repository, action)) {
      req.resume();
      // Anonymous callers get the challenge (clients then log in); a known client lacking the right gets 403.
      if (who.kind === 'anonymous') return { result: challenge(), who, connector: r.connector.name, repository: r.repository };
      return {
        result: sendError(res, 403, 'DENIED', `client "${who.name}" may not ${action} ${r.repository} through connector "${r.connector.name}"`),
        who,
        connector: r.connector.name,
        repository: r.repository,
      };
    }
    const upstream = await pool.get(r.connector, signal).catch((e: unknown) => e as Error);
    if (upstream instanceof Error) {
      req.resume();
      options.logger?.warn('cannot resolve upstream credentials', { connector: r.connector.name, error: upstream.message });
      return { result: sendError(res, 502, 'UNAVAILABLE', `credentials of connector "${r.connector.name}" could not be resolved`), who, connector: r.connector.name, repository: r.repository };
    }
    const result = await forward({
      req,
      res,
      route: r,
      upstream,
      search,
      signal,
      metrics,
      mayPull: (repo) => state.access.authorize(who, r.connector, repo, 'pull'),
    });
    if (result.error === 'UNAVAILABLE') options.logger?.warn('upstream failure', { connector: r.connector.name, status: result.status });
    return { result, who, connector: r.connector.name, repository: r.repository };
  }

  const listeners: Listener[] = [];
  const connectorAddresses = new Map<string, string>();
  let address = '';
  try {
    for (const l of listens) {
      const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }) : createHttpServer();
      const listener: Listener = { server, sockets: new Set(), busy: new Map() };
      server.on('request', handle(l.connector));
      track(listener);
      // Large blob uploads may take long; the proxy bounds nothing by time except idle headers.
      server.requestTimeout = 0;
      server.headersTimeout = 60_000;
      const { host, port } = listenAddress(l.addr);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      listeners.push(listener);
      const a = server.address() as AddressInfo;
      const bound = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
      if (l.connector) connectorAddresses.set(l.connector, bound);
      else address = bound;
    }
  } catch (e) {
    await Promise.all(listeners.map((l) => closeListener(l, 0)));
    await pool.close();
    const err = e as NodeJS.ErrnoException;
    throw new OcmError(ErrorCode.CONFIG_ERROR, `cannot listen: ${err.code ?? err.message} (choose another address or port)`, { cause: e });
  }

  const close = (o: { graceMs?: number } = {}): Promise<void> =>
    (closing ??= (async () => {
      await Promise.all(listeners.map((l) => closeListener(l, o.graceMs ?? 30_000, () => shutdown.abort())));
      shutdown.abort();
      await pool.close();
    })());
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  return { address, connectorAddresses, close };
}

function nsParam(search: string): string | undefined {
  for (const p of search.slice(1).split('&')) {
    if (p.startsWith('ns=')) {
      try {
        return decodeURIComponent(p.slice(3));
      } catch {
        return p.slice(3);
      }
    }
  }
  return undefined;
}

function track(l: Listener): void {
  l.server.on('connection', (s: Socket) => {
    l.sockets.add(s);
    s.once('close', () => {
      l.sockets.delete(s);
      l.busy.delete(s);
    });
  });
  l.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const s = req.socket;
    l.busy.set(s, (l.busy.get(s) ?? 0) + 1);
    res.once('close', () => {
      const n = (l.busy.get(s) ?? 1) - 1;
      if (n > 0) l.busy.set(s, n);
      else l.busy.delete(s);
    });
  });
}

/** Stops accepting, closes idle keep-alive sockets, waits up to `graceMs` for requests in flight, then destroys the rest. */
async function closeListener(l: Listener, graceMs: number, onGraceOver?: () => void): Promise<void> {
  const closed = new Promise<void>((r) => l.server.close(() => r()));
  l.server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((r) => {
    timer = setTimeout(r, graceMs);
  });
  const drained = new Promise<void>((r) => {
    const check = () => (l.busy.size === 0 ? r() : setTimeout(check, 20).unref());
    check();
  });
  await Promise.race([drained, grace]);
  clearTimeout(timer);
  if (l.busy.size > 0) onGraceOver?.();
  for (const s of l.sockets) s.destroy();
  await closed;
}
