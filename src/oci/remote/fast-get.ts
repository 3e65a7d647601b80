/**
 * A fast path for the one hot request: a blob GET whose answer is a plain `200`/`206` with a
 * `Content-Length`. It reads the socket into 512 KiB buffers (`onread`), which roughly doubles
 * download throughput against undici's 64 KiB reads on small machines. Anything else (redirect,
 * 401, errors, chunked encoding, connect failure) returns `undefined` and the caller repeats the
 * request through the regular transport, which handles auth, redirects and retries.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Readable } from 'node:stream';

const HEAD_LIMIT = 64 * 1024;
// 512 KiB: as fast as 1 MiB on loopback (pull 361–434 vs 364–418 MB/s) with ~20 MB less garbage in
// flight. With several downloads at once each gets less (the sum, not each stream, fills the CPU),
// which keeps the bytes in flight — and the garbage V8 collects late — roughly constant.
const READ_BUFFER = 512 * 1024;
const MIN_READ_BUFFER = 128 * 1024;
let active = 0;
const readSize = (): number => Math.max(MIN_READ_BUFFER, READ_BUFFER >> Math.max(0, Math.ceil(Math.log2(Math.max(1, active)))));

export interface FastResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

function connError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}

/**
 * GET `url` with `headers`. Resolves the response for 200/206 with Content-Length (body streamed),
 * else undefined (the connection is closed; nothing was consumed that matters).
 */
export function fastGet(url: URL, headers: Record<string, string>, signal?: AbortSignal): Promise<FastResponse | undefined> {
  return new Promise((resolve) => {
    if (signal?.aborted || (url.protocol !== 'http:' && url.protocol !== 'https:')) return resolve(undefined);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let head: Buffer | undefined = Buffer.alloc(0);
    let body: Readable | undefined;
    let remaining = 0;
    let settled = false;
    let counted = false;
    const done = (r: FastResponse | undefined) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    // A fresh buffer per read lets the body own each large chunk without a copy; a buffer whose
    // bytes were copied out (headers, small reads) is read into again instead of becoming garbage.
    let spare: Buffer | undefined;
    let bufferSize = READ_BUFFER;
    const onread = {
      buffer: () => spare ?? Buffer.allocUnsafe(bufferSize),
      callback(n: number, buf: Buffer): boolean {
        spare = buf;
        let chunk = buf.subarray(0, n);
        if (head) {
          head = Buffer.concat([head, chunk]);
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) {
            if (head.length > HEAD_LIMIT) {
              socket.destroy();
              done(undefined);
            }
            return true;
          }
          const parsed = parseHead(head.subarray(0, end).toString('latin1'));
          chunk = head.subarray(end + 4);
          head = undefined;
          const length = Number(parsed?.headers['content-length']);
          const simple =
            parsed &&
            (parsed.status === 200 || parsed.status === 206) &&
            Number.isSafeInteger(length) &&
            parsed.headers['transfer-encoding'] === undefined &&
            (parsed.headers['content-encoding'] ?? 'identity') === 'identity';
          if (!simple) {
            socket.destroy();
            done(undefined);
            return false;
          }
          remaining = length;
          active++;
          counted = true;
          bufferSize = readSize();
          body = new Readable({
            highWaterMark: 2 * bufferSize,
            read() {
              socket.resume();
            },
            destroy(err, cb) {
              socket.destroy();
              cb(err);
            },
          });
          done({ status: parsed.status, headers: parsed.headers, body });
          if (remaining === 0) {
            body.push(null);
            socket.destroy();
            return false;
          }
        }
        if (!body || chunk.length === 0) return true;
        const take = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
        remaining -= take.length;
        // Small reads are copied so that a tiny chunk does not pin a whole read buffer.
        const small = take.length < bufferSize / 4;
        if (!small && take.buffer === buf.buffer) spare = undefined;
        const more = body.push(small ? Buffer.from(take) : take);
        if (remaining === 0) {
          body.push(null);
          socket.destroy();
          return false;
        }
        if (!more) socket.pause();
        return true;
      },
    };
    const socket: Socket =
      url.protocol === 'https:'
        ? tlsConnect({ host, port, servername: host, ALPNProtocols: ['http/1.1'], onread } as unknown as import('node:tls').ConnectionOptions)
        : netConnect({ host, port, onread });
    socket.setNoDelay(true);
    const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'Accept-Encoding: identity', 'Connection: close'];
    for (const [k, v] of Object.entries(headers)) {
      if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) return done(undefined);
      lines.push(`${k}: ${v}`);
    }
    socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    const onAbort = () => socket.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (e) => {
      if (body && remaining > 0) body.destroy(Object.assign(connError(`connection lost: ${e.message}`), { cause: e }));
      done(undefined);
    });
    socket.on('close', () => {
      if (counted) active--;
      counted = false;
      signal?.removeEventListener('abort', onAbort);
      if (body && remaining > 0 && !body.destroyed) body.destroy(connError(`connection closed with ${remaining} bytes outstanding`));
      done(undefined);
    });
  });
}

function parseHead(text: string): { status: number; headers: Record<string, string> } | undefined {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  return { status: Number(m[1]), headers };
}
