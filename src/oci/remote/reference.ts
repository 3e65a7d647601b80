/**
 * Parses registry repository references as users type them: `http://127.0.0.1:5000/prefix`,
 * `https://ghcr.io/acme`, `ghcr.io/acme`, `oci://host/x`, `localhost:5000`. HTTP is chosen only
 * when written (`http://`), for loopback hosts, or with `plainHttp`.
 */
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import { isLoopbackHost, validateRepositoryName } from './client.js';

export interface OciReference {
  scheme: 'http' | 'https';
  /** `host[:port]` */
  host: string;
  /** Repository path prefix without leading/trailing slashes ('' = none). */
  path: string;
  /** True if the scheme was written explicitly. */
  explicitScheme: boolean;
}

/** Splits an optional `http://`, `https://` or `oci://` (= https) prefix off a trimmed reference. */
function splitScheme(text: string, unsupported: (scheme: string) => Error): ['http' | 'https' | undefined, string] {
  const rest = text.trim();
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(rest);
  if (!m) return [undefined, rest];
  const s = m[1]!.toLowerCase();
  if (s !== 'http' && s !== 'https' && s !== 'oci') throw unsupported(s);
  return [s === 'oci' ? undefined : s, rest.slice(m[0].length)];
}

export function parseOciReference(text: string, options: { plainHttp?: boolean } = {}): OciReference {
  const [scheme, rest] = splitScheme(text, (s) =>
    new OcmError(ErrorCode.INVALID_ARGUMENT, `registry reference "${text}": unsupported scheme ${s}:// (use https://, http:// or none)`),
  );
  const slash = rest.indexOf('/');
  const host = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-fA-F:]+\](?::\d{1,5})?$/.test(host)) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `registry reference "${text}": "${host}" is not a host[:port]`);
  }
  const chosen = scheme ?? (options.plainHttp || isLoopbackHost(host) ? 'http' : 'https');
  return { scheme: chosen, host, path, explicitScheme: scheme !== undefined };
}

export interface ImageReference {
  scheme: 'http' | 'https';
  /** `host[:port]` as written (docker.io for short names). */
  host: string;
  /** Repository path. */
  repository: string;
  tag?: string;
  digest?: string;
}

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/**
 * Parses an image reference `[scheme://]host[:port]/repo[:tag][@alg:hex]`. Short Docker Hub
 * names (`nginx:1`, `library/nginx`) map to `docker.io` (`registry-1.docker.io` on the wire).
 */
export function parseImageReference(text: string, options: { plainHttp?: boolean } = {}): ImageReference {
  const bad = (why: string) => new OcmError(ErrorCode.INVALID_ARGUMENT, `image reference "${text}": ${why}; expected host[:port]/repository[:tag][@sha256:<hex>]`);
  const split = splitScheme(text, (s) => bad(`unsupported scheme ${s}://`));
  const scheme = split[0];
  let rest = split[1];
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^[a-z0-9]+:[a-f0-9]{32,}$/.test(digest)) throw bad(`invalid digest "${digest}"`);
  }
  const slash = rest.indexOf('/');
  let host: string;
  let path: string;
  const first = slash < 0 ? '' : rest.slice(0, slash);
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    host = first;
    path = rest.slice(slash + 1);
  } else {
    host = 'docker.io';
    path = slash < 0 ? `library/${rest}` : rest;
  }
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG_RE.test(tag)) throw bad(`invalid tag "${tag}"`);
  }
  if (!path) throw bad('missing repository');
  try {
    validateRepositoryName(path);
  } catch {
    throw bad(`invalid repository "${path}" (lower-case letters, digits and separators . _ __ -)`);
  }
  if (!tag && !digest) tag = 'latest';
  const chosen = scheme ?? (options.plainHttp || isLoopbackHost(host) ? 'http' : 'https');
  return { scheme: chosen, host, repository: path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The host to contact (Docker Hub's API lives on registry-1.docker.io). */
export function wireHost(host: string): string {
  return host === 'docker.io' || host === 'index.docker.io' ? 'registry-1.docker.io' : host;
}
