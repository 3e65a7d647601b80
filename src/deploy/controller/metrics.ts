/** `/metrics` (Prometheus text) and `/healthz` for the controller; loopback or a pod IP, never auth data. */
import { createServer, type Server } from 'node:http';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import { metricsText, type ControllerStatus } from './status.js';

export interface MetricsServer {
  /** `http://host:port` actually bound (port 0 → the chosen one). */
  readonly url: string;
  close(): Promise<void>;
}

/** Parses `host:port` (`127.0.0.1:9090`, `[::1]:0`, `0.0.0.0:8080` in a pod). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--metrics-listen "${text}": give host:port, e.g. 127.0.0.1:9090`);
  return { host: (m[1] ?? m[2])!, port };
}

export async function serveMetrics(listen: string, current: () => ControllerStatus): Promise<MetricsServer> {
  const { host, port } = parseListen(listen);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metricsText(current()));
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new OcmError(ErrorCode.INVALID_ARGUMENT, `--metrics-listen ${listen}: cannot listen (${e.code ?? e.message}); pick a free port`)),
    );
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
