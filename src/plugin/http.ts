/**
 * One HTTP exchange with a plugin over a Unix socket or loopback TCP (node:http with the
 * connection's keep-alive agent: a warm call costs one write and one read on an open socket).
 */
import { request, type Agent, type OutgoingHttpHeaders } from 'node:http';

export type Endpoint = { readonly kind: 'unix'; readonly socketPath: string } | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

export function describeEndpoint(ep: Endpoint): string {
  return ep.kind === 'unix' ? `http+unix://${ep.socketPath}` : `http://${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`;
}

export interface RawRequest {
  readonly method: string;
  /** Path plus query string. */
  readonly path: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: Buffer;
  readonly signal?: AbortSignal;
  /** Bound of the body we read. */
  readonly maxBytes: number;
  /** `truncate`: keep the first maxBytes (error bodies); `error`: reject with BodyTooLarge. */
  readonly overflow: 'truncate' | 'error';
  /** Socket inactivity timeout (health polls). */
  readonly timeoutMs?: number;
}

export interface RawResponse {
  readonly status: number;
  readonly body: Buffer;
}

export class BodyTooLarge extends Error {}

export function rawRequest(ep: Endpoint, agent: Agent | false, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolvePromise, reject) => {
    const headers: OutgoingHttpHeaders = { ...req.headers };
    if (req.body) headers['Content-Length'] = req.body.length;
    const r = request(
      {
        ...(ep.kind === 'unix' ? { socketPath: ep.socketPath, host: 'unix' } : { host: ep.host, port: ep.port }),
        agent,
        method: req.method,
        path: req.path,
        headers,
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.timeoutMs ? { timeout: req.timeoutMs } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        res.on('data', (b: Buffer) => {
          if (truncated) return;
          if (size + b.length > req.maxBytes) {
            if (req.overflow === 'error') {
              res.destroy(new BodyTooLarge(`body exceeds ${req.maxBytes} bytes`));
              return;
            }
            chunks.push(b.subarray(0, req.maxBytes - size));
            size = req.maxBytes;
            truncated = true;
            // Keep reading (and dropping) so the socket stays reusable for the next call.
            return;
          }
          size += b.length;
          chunks.push(b);
        });
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks, size) }));
        res.on('error', reject);
        res.on('aborted', () => reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      },
    );
    r.on('timeout', () => r.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    r.on('error', reject);
    r.end(req.body);
  });
}
