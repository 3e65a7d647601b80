/**
 * Test-only fault-injecting HTTP proxy for loopback registries. It forwards requests to a target
 * (keeping the Host header, so the registry's absolute Locations point back at the proxy) and,
 * for requests matching a rule, injects a fault instead: a connection reset before forwarding,
 * a status (503, 429 + Retry-After), a response cut off after N body bytes, a corrupted body
 * byte, a redirect to another origin, a body running past its Content-Length (`overlong`: sent
 * chunked with extra bytes), the upstream's Location/Link headers re-pointed at another origin
 * (`relocate`), or a fixed response (`respond`: HTML where JSON belongs, a self-referencing Link).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { listenOnLoopback } from './loopback.js';

export type Fault =
  | { kind: 'reset' }
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'truncate'; afterBytes: number }
  | { kind: 'corrupt'; atByte?: number }
  | { kind: 'redirect'; to: string; status?: number }
  | { kind: 'overlong'; extra: number }
  | { kind: 'relocate'; to: string }
  | { kind: 'respond'; status: number; headers?: Record<string, string>; body?: string };

export interface FaultRule {
  method?: string;
  /** Matched against the request path including the query. */
  path?: RegExp;
  /** How many matching requests get the fault (default 1; Infinity for all). */
  times?: number;
  /** Let this many matching requests through first (default 0). */
  skip?: number;
  fault: Fault;
}

export interface ProxyRequestRecord {
  method: string;
  path: string;
  hadAuthorization: boolean;
  range?: string;
  fault?: Fault['kind'];
}

export interface FaultProxyOptions {
  /** `http://127.0.0.1:PORT` of the upstream. */
  target: string;
  rules?: FaultRule[];
  /** Replace (or add) the Authorization header sent upstream (simulates a pre-signed URL). */
  upstreamAuthorization?: string;
  /** Rewrite the Host header to the target's (default: keep the client's). */
  rewriteHost?: boolean;
}

export interface FaultProxy {
  url: string;
  host: string;
  port: number;
  requests: ProxyRequestRecord[];
  /** TCP connections accepted so far (shows connection reuse). */
  readonly connections: number;
  setRules(rules: FaultRule[]): void;
  stop(): Promise<void>;
}

interface LiveRule extends FaultRule {
  left: number;
  skipLeft: number;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  let rules: LiveRule[] = [];
  const setRules = (r: FaultRule[]) => {
    rules = r.map((x) => ({ ...x, left: x.times ?? 1, skipLeft: x.skip ?? 0 }));
  };
  setRules(options.rules ?? []);
  const requests: ProxyRequestRecord[] = [];

  function pick(req: IncomingMessage): Fault | undefined {
    for (const r of rules) {
      if (r.method && r.method !== req.method) continue;
      if (r.path && !r.path.test(req.url ?? '')) continue;
      if (r.left <= 0) continue;
      if (r.skipLeft > 0) {
        r.skipLeft--;
        return undefined;
      }
      r.left--;
      return r.fault;
    }
    return undefined;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const fault = pick(req);
    const rec: ProxyRequestRecord = { method: req.method ?? '', path: req.url ?? '', hadAuthorization: req.headers.authorization !== undefined };
    if (typeof req.headers.range === 'string') rec.range = req.headers.range;
    if (fault) rec.fault = fault.kind;
    requests.push(rec);
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      req.resume();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      res.writeHead(fault.status, headers);
      res.end(JSON.stringify({ errors: [{ code: fault.status === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE', message: 'injected fault' }] }));
      return;
    }
    if (fault?.kind === 'redirect') {
      req.resume();
      res.writeHead(fault.status ?? 307, { location: new URL(req.url ?? '/', fault.to).href });
      res.end();
      return;
    }
    if (fault?.kind === 'respond') {
      req.resume();
      res.writeHead(fault.status, fault.headers ?? {});
      res.end(fault.body ?? '');
      return;
    }
    const headers = { ...req.headers };
    if (options.rewriteHost) headers.host = target.host;
    if (options.upstreamAuthorization !== undefined) headers.authorization = options.upstreamAuthorization;
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (upRes) => {
        if (fault?.kind === 'relocate') {
          // Same path and query on another origin: the URL a misbehaving registry hands back.
          const moved = (v: string) => v.replace(/^(<?)https?:\/\/[^/]+/, `$1${new URL(fault.to).origin}`).replace(/^(<?)\//, `$1${new URL(fault.to).origin}/`);
          const h = { ...upRes.headers };
          if (typeof h.location === 'string') h.location = moved(h.location);
          if (typeof h.link === 'string') h.link = moved(h.link);
          res.writeHead(upRes.statusCode ?? 502, h);
          upRes.pipe(res);
          return;
        }
        if (fault?.kind === 'overlong') {
          // No Content-Length (so the body is sent chunked) and more bytes than the blob has.
          const h = { ...upRes.headers };
          delete h['content-length'];
          res.writeHead(upRes.statusCode ?? 502, h);
          upRes.on('data', (c: Buffer) => res.write(c));
          upRes.on('end', () => res.end(Buffer.alloc(fault.extra, 0x78)));
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (fault?.kind === 'truncate') {
          let n = 0;
          upRes.on('data', (chunk: Buffer) => {
            const room = fault.afterBytes - n;
            if (room > 0) res.write(chunk.subarray(0, room));
            n += chunk.length;
            if (n >= fault.afterBytes) {
              upRes.destroy();
              // Flush what was written, then cut the connection.
              setTimeout(() => res.socket?.destroy(), 20);
            }
          });
          return;
        }
        if (fault?.kind === 'corrupt') {
          let n = 0;
          const at = fault.atByte ?? 0;
          const flip = new Transform({
            transform(chunk: Buffer, _e, cb) {
              if (at >= n && at < n + chunk.length) {
                const c = Buffer.from(chunk);
                c[at - n] = c[at - n]! ^ 0xff;
                chunk = c;
              }
              n += chunk.length;
              cb(null, chunk);
            },
          });
          upRes.pipe(flip).pipe(res);
          return;
        }
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  }

  const server: Server = createServer(handle);
  let connections = 0;
  server.on('connection', () => connections++);
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return connections;
    },
    setRules,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
