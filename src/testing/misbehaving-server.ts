/**
 * Test-only HTTP server on 127.0.0.1 that answers from a function of the request: for registry
 * misbehaviour the real registry cannot produce (endless or looping pagination, HTML pages, token
 * endpoints answering nonsense). Records every request; `stop()` closes all connections.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenOnLoopback } from './loopback.js';

export interface CannedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering. */
  delayMs?: number;
}

export interface MisbehavingServer {
  url: string;
  host: string;
  requests: { method: string; url: string }[];
  stop(): Promise<void>;
}

export async function startMisbehavingServer(answer: (req: IncomingMessage, self: string) => CannedAnswer): Promise<MisbehavingServer> {
  const requests: { method: string; url: string }[] = [];
  let self = '';
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    req.resume();
    const a = answer(req, self);
    const send = () => {
      res.writeHead(a.status, a.headers ?? {});
      res.end(req.method === 'HEAD' ? undefined : (a.body ?? ''));
    };
    if (a.delayMs) setTimeout(send, a.delayMs);
    else send();
  });
  const port = await listenOnLoopback(server);
  self = `http://127.0.0.1:${port}`;
  return {
    url: self,
    host: `127.0.0.1:${port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
