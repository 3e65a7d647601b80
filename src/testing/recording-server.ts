/**
 * Test-only HTTP server on 127.0.0.1 that records every request it gets (method, URL, all headers)
 * and answers with a fixed status (default 404), or forwards to a target. It stands for "another
 * origin" in credential-leak tests: whatever it records must never carry the registry's secrets.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenOnLoopback } from './loopback.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface RecordingServer {
  url: string;
  host: string;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

export async function startRecordingServer(options: { status?: number; target?: string } = {}): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const target = options.target ? new URL(options.target) : undefined;
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
    if (!target) {
      req.resume();
      res.writeHead(options.status ?? 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'NOT_FOUND', message: 'recording server' }] }));
      return;
    }
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Every header value and the URL of each request, for "the secret appears nowhere" checks. */
export function everythingSeen(r: RecordingServer): string {
  return r.requests.map((q) => `${q.method} ${q.url}\n${Object.entries(q.headers).map(([k, v]) => `${k}: ${String(v)}`).join('\n')}`).join('\n\n');
}
