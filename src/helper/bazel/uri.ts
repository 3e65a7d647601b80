/**
 * What a credential-helper request URI is (spec §A.6 step 1, §F.3): WHATWG-parsed (host lower-cased,
 * IDN → punycode, default port dropped), classified as an OCI distribution API path or plain HTTP,
 * and matched against host patterns on the parsed hostname + port only — never substrings, so
 * `ghcr.io.evil.net`, `evil-ghcr.io` and `ghcr.io:444` are not `ghcr.io`.
 */
import { ErrorCode, OcmError } from '../../runtime/errors.js';

export interface HelperUri {
  url: URL;
  scheme: 'http' | 'https';
  /** Lower-case, punycode; IPv6 without brackets. */
  hostname: string;
  /** '' for the scheme's default port (WHATWG drops it). */
  port: string;
  /** `hostname[:port]` as a registry host (IPv6 bracketed). */
  host: string;
  /** The OCI API part, when the path is one. */
  oci?: OciPath;
}

export interface OciPath {
  /** Repository name; '' for the `/v2/` ping. */
  repository: string;
  op: 'ping' | 'blobs' | 'manifests' | 'tags' | 'referrers' | 'uploads';
}

const NAME_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** Parses a request URI; userinfo, other schemes and unparsable text are refused with one line. */
export function parseHelperUri(uri: string): HelperUri {
  if (typeof uri !== 'string' || uri === '') {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, 'credential request has no "uri"; expected {"uri": "https://host/path"}');
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, 'credential request "uri" is not a valid URL; expected https://host/path');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new OcmError(ErrorCode.UNSUPPORTED, `credential request for scheme "${url.protocol.slice(0, -1)}" is not supported by ocm-credential-helper; it answers https:// (and configured http://) URIs`);
  }
  // Credentials in the URI itself would be silently dropped or, worse, decide the match; refuse.
  if (url.username !== '' || url.password !== '') {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `credential request URI for host ${url.host} carries user information (user@host); remove it from the URL, credentials come from .ocmconfig`);
  }
  if (url.hostname === '') throw new OcmError(ErrorCode.INVALID_ARGUMENT, 'credential request URI has no host');
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const out: HelperUri = { url, scheme: url.protocol === 'https:' ? 'https' : 'http', hostname, port: url.port, host: url.host };
  const oci = ociPath(url.pathname);
  if (oci) out.oci = oci;
  return out;
}

/**
 * The OCI distribution API shape of a path: `/v2/<name>/(blobs|manifests|referrers)/<x>`,
 * `/v2/<name>/tags/list`, `/v2/<name>/blobs/uploads/[<id>]`, `/v2/` (ping). Anything else: undefined.
 */
export function ociPath(pathname: string): OciPath | undefined {
  if (pathname === '/v2' || pathname === '/v2/') return { repository: '', op: 'ping' };
  if (!pathname.startsWith('/v2/')) return undefined;
  const segs = pathname.slice(4).split('/');
  const check = (nameSegs: string[], op: OciPath['op']): OciPath | undefined => {
    let name: string;
    try {
      name = nameSegs.map((s) => decodeURIComponent(s)).join('/');
    } catch {
      return undefined;
    }
    return NAME_RE.test(name) && name.length <= 255 ? { repository: name, op } : undefined;
  };
  const n = segs.length;
  if (n >= 3 && segs[n - 2] === 'tags' && segs[n - 1] === 'list') return check(segs.slice(0, n - 2), 'tags');
  const up = segs.lastIndexOf('uploads');
  if (up >= 2 && segs[up - 1] === 'blobs' && up >= n - 2) return check(segs.slice(0, up - 1), 'uploads');
  if (n >= 3 && segs[n - 1] !== '') {
    const kind = segs[n - 2];
    if (kind === 'blobs' || kind === 'manifests' || kind === 'referrers') return check(segs.slice(0, n - 2), kind);
  }
  return undefined;
}

/**
 * A host pattern: `host` or `host:port` (exact; no port = the scheme's default port only), or
 * `*.suffix` (one or more whole labels in front of `suffix`, default port only).
 */
export function hostMatches(pattern: string, u: Pick<HelperUri, 'hostname' | 'port'>): boolean {
  const p = pattern.toLowerCase();
  let patHost = p;
  let patPort = '';
  const m = /^(.*):(\d+)$/.exec(p);
  if (m && !p.endsWith(']')) {
    patHost = m[1]!;
    patPort = m[2]!;
  }
  patHost = patHost.replace(/^\[|\]$/g, '');
  if (patPort !== u.port) return false;
  if (patHost.startsWith('*.')) {
    const suffix = patHost.slice(1); // ".azurecr.io"
    return u.hostname.length > suffix.length && u.hostname.endsWith(suffix) && !u.hostname.slice(0, -suffix.length).endsWith('.');
  }
  return patHost === u.hostname;
}

/** tweag's built-in OCI registries (§A.6 step 8, without snowflake); ports: default only. */
export const DEFAULT_OCI_HOSTS: readonly string[] = [
  '*.azurecr.io',
  'cgr.dev',
  'docker.elastic.co',
  'gcr.io',
  'ghcr.io',
  'index.docker.io',
  'registry-1.docker.io',
  'nvcr.io',
  'public.ecr.aws',
  'quay.io',
  'registry.gitlab.com',
];

/** GitHub download hosts answered with GH_TOKEN / GITHUB_TOKEN. */
export const GITHUB_HOSTS: readonly string[] = ['github.com', 'api.github.com', 'objects.githubusercontent.com', 'raw.githubusercontent.com'];

export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '::1' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
