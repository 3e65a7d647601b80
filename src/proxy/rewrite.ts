/**
 * Response header rewriting (spec §C.12): upstream `Location` and `Link` URLs (often absolute,
 * `http://upstream/v2/<repo>/...`) become proxy paths the client can follow — `/v2/<connector>/<repo>/...`
 * on the shared listener, `/v2/<repo>/...` on a dedicated one (plus `ns=` when the client used it).
 * The query (an upload's `_state`) is kept byte for byte. The result is a path, not an absolute URL:
 * clients resolve it against the proxy address they used, which works behind any load balancer.
 */
import type { Addressing } from './routing.js';

/** Request headers forwarded upstream; everything else (Authorization, Cookie, Proxy-*, hop-by-hop) stays here. */
export const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'content-type',
  'content-length',
  'content-range',
  'range',
  'if-none-match',
  'if-match',
  'if-modified-since',
  'docker-content-digest',
] as const;

/** Response headers passed to the client unchanged (Location and Link are rewritten separately). */
export const PASSED_RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'range',
  'docker-content-digest',
  'docker-upload-uuid',
  'etag',
  'last-modified',
  'oci-subject',
  'oci-filters-applied',
  'oci-chunk-min-length',
  'oci-tag',
  'retry-after',
  'warning',
  'cache-control',
] as const;

export interface RewriteContext {
  /** Upstream origin, `http://host:port`. */
  upstreamOrigin: string;
  /** URL of the upstream answer (relative Locations resolve against it). */
  responseUrl: string;
  connectorName: string;
  addressing: Addressing;
}

/**
 * Maps an upstream URL to the proxy path, or undefined when it cannot be expressed on the proxy
 * (another origin, not under `/v2/`): the caller then refuses to hand it out (see forward.ts).
 */
export function toProxyUrl(value: string, ctx: RewriteContext): string | undefined {
  let u: URL;
  try {
    u = new URL(value, ctx.responseUrl);
  } catch {
    return undefined;
  }
  if (u.origin !== new URL(ctx.upstreamOrigin).origin) return undefined;
  if (!u.pathname.startsWith('/v2/')) return undefined;
  const rest = u.pathname.slice(4);
  // Keep the raw query (`_state` is an opaque signed blob); URL parsing would not alter it, but slicing the input is exact.
  const q = rawQuery(value);
  const path = ctx.addressing.kind === 'prefix' ? `/v2/${ctx.connectorName}/${rest}` : `/v2/${rest}`;
  if (ctx.addressing.kind === 'ns') {
    const ns = `ns=${encodeURIComponent(ctx.addressing.ns)}`;
    return `${path}?${q ? `${q}&${ns}` : ns}`;
  }
  return q ? `${path}?${q}` : path;
}

function rawQuery(value: string): string {
  const hash = value.indexOf('#');
  const v = hash >= 0 ? value.slice(0, hash) : value;
  const i = v.indexOf('?');
  return i >= 0 ? v.slice(i + 1) : '';
}

/** Rewrites every `<url>` of a `Link` header; links that cannot be mapped are dropped (never exposed). */
export function rewriteLink(value: string, ctx: RewriteContext): string | undefined {
  const parts: string[] = [];
  for (const m of value.matchAll(/<([^>]*)>([^,]*)/g)) {
    const mapped = toProxyUrl(m[1]!, ctx);
    if (mapped !== undefined) parts.push(`<${mapped}>${m[2]}`);
  }
  return parts.length ? parts.join(', ') : undefined;
}

/** The client's query without `ns` (proxy-only), as forwarded upstream; empty string or `?...`. */
export function upstreamQuery(search: string): string {
  if (!search || search === '?') return '';
  const kept = search
    .slice(1)
    .split('&')
    .filter((p) => p !== '' && !/^ns(=|$)/.test(p));
  return kept.length ? `?${kept.join('&')}` : '';
}

/** The query for the access log: parameter names only (values such as `_state` may be signed secrets). */
export function redactedQuery(search: string): string {
  if (!search || search === '?') return '';
  return `?${search
    .slice(1)
    .split('&')
    .filter(Boolean)
    .map((p) => `${p.split('=')[0]}=…`)
    .join('&')}`;
}
