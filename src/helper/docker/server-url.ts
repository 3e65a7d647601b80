/**
 * The server URL a docker credential-helper client sends (spec auth §B.1, §B.3) → the registry it
 * names. Docker sends `https://index.docker.io/v1/` for Docker Hub and `host[:port]` for the rest;
 * containers/image (podman, skopeo) sends `host[:port]` and `docker.io`; older clients send
 * `https://host/v1/` or `http://host`. Only the host and port decide; a path, a query and the
 * scheme are dropped, and userinfo is refused (no client sends it, and `https://ghcr.io@evil.example`
 * must never look like ghcr.io to a reader).
 */
import { ErrorCode, OcmError } from '../../runtime/errors.js';

/** Every name of Docker Hub; all of them resolve as `docker.io` first (what OCM users configure). */
export const DOCKER_HUB_HOSTS: readonly string[] = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

export interface ServerAddress {
  /** Lower-cased host name or IP literal (without brackets). */
  hostname: string;
  /** Decimal port, only when the URL spells one. */
  port?: string;
  /** True for every Docker Hub alias (port-less). */
  hub: boolean;
}

const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** Parses a trimmed, non-empty server URL; INVALID_ARGUMENT (secret-free: it is a URL) when it names no registry. */
export function parseServerUrl(raw: string): ServerAddress {
  // Userinfo may hold a password: never quoted back.
  const shown = raw.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)?[^/?#]*@/, '$1<userinfo>@').slice(0, 200);
  const bad = (why: string) => new OcmError(ErrorCode.INVALID_ARGUMENT, `server URL ${JSON.stringify(shown)} ${why}; expected host[:port] or https://host[:port]/`);
  let rest = raw;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest);
  if (scheme) {
    // registryurl.Parse (osxkeychain, wincred) accepts only these two.
    if (!['http', 'https'].includes(scheme[1]!.toLowerCase())) throw bad(`has the unsupported scheme "${scheme[1]}"`);
    rest = rest.slice(scheme[0].length);
  }
  const end = rest.search(/[/?#]/);
  const authority = end >= 0 ? rest.slice(0, end) : rest;
  if (authority.includes('@')) throw bad('contains user information');
  let hostname = authority;
  let port: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) throw bad('has an unclosed IPv6 address');
    hostname = authority.slice(1, close);
    const after = authority.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw bad('has an invalid port');
      port = after.slice(1);
    }
    if (!/^[0-9A-Fa-f:.]+$/.test(hostname)) throw bad('has an invalid IPv6 address');
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0) {
      hostname = authority.slice(0, colon);
      port = authority.slice(colon + 1);
    }
    if (!HOST_RE.test(hostname)) throw bad('has no valid host name');
  }
  if (port !== undefined) {
    if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw bad('has an invalid port');
    port = String(Number(port));
  }
  hostname = hostname.toLowerCase();
  const hub = port === undefined && DOCKER_HUB_HOSTS.includes(hostname);
  return port === undefined ? { hostname, hub } : { hostname, port, hub };
}

/** `host[:port]` (IPv6 in brackets), or `docker.io` for Hub: the containers-auth.json / credHelpers key. */
export function hostKey(a: ServerAddress): string {
  if (a.hub) return 'docker.io';
  const host = a.hostname.includes(':') ? `[${a.hostname}]` : a.hostname;
  return a.port ? `${host}:${a.port}` : host;
}
