/**
 * Parses registry repository references as users type them: `http://127.0.0.1:5000/prefix`,
 * `https://ghcr.io/acme`, `ghcr.io/acme`, `oci://host/x`, `localhost:5000`. HTTP is chosen only
 * when written (`http://`), for loopback hosts, or with `plainHttp`.
 */
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import { isLoopbackHost } from './client.js';

export interface OciReference {
  scheme: 'http' | 'https';
  /** `host[:port]` */
  host: string;
  /** Repository path prefix without leading/trailing slashes ('' = none). */
  path: string;
  /** True if the scheme was written explicitly. */
  explicitScheme: boolean;
}

export function parseOciReference(text: string, options: { plainHttp?: boolean } = {}): OciReference {
  let rest = text.trim();
  let scheme: 'http' | 'https' | undefined;
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(rest);
  if (m) {
    const s = m[1]!.toLowerCase();
    if (s === 'http' || s === 'https') scheme = s;
    else if (s !== 'oci') throw new OcmError(ErrorCode.INVALID_ARGUMENT, `registry reference "${text}": unsupported scheme ${s}:// (use https://, http:// or none)`);
    rest = rest.slice(m[0].length);
  }
  const slash = rest.indexOf('/');
  const host = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-fA-F:]+\](?::\d{1,5})?$/.test(host)) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `registry reference "${text}": "${host}" is not a host[:port]`);
  }
  const chosen = scheme ?? (options.plainHttp || isLoopbackHost(host) ? 'http' : 'https');
  return { scheme: chosen, host, path, explicitScheme: scheme !== undefined };
}
