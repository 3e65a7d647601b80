/**
 * The one rule for where credentials may go: a URL a registry hands back (upload `Location`, `Link`,
 * a redirect) gets the registry's credentials only when scheme, host and port are the registry's
 * own. `URL` already lower-cases hosts and drops default ports, so `https://h` and `https://H:443`
 * are the same origin; `http://h` and `https://h` are not.
 */
import type { Readable } from 'node:stream';

function parse(u: string | URL): URL | undefined {
  if (u instanceof URL) return u;
  try {
    return new URL(u);
  } catch {
    return undefined;
  }
}

/** True when `a` and `b` have the same scheme, host and port (default ports normalised); false for unparsable input. */
export function sameOrigin(a: string | URL, b: string | URL): boolean {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return false;
  const port = (u: URL) => u.port || (u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : '');
  return x.protocol === y.protocol && x.hostname === y.hostname && port(x) === port(y);
}

/**
 * Throws a response body away without an unhandled `'error'`: undici's body emits
 * `RequestAbortedError` when destroyed, which kills the process if no one listens.
 */
export function discardBody(body: Readable | NodeJS.ReadableStream): void {
  const r = body as Readable;
  if (typeof r.on === 'function') r.on('error', () => undefined);
  if (typeof r.destroy === 'function') r.destroy();
}
