/**
 * The registry catalog (`GET /v2/_catalog?n=`), page by page along `Link: rel="next"`: bounded like
 * the tag list (page count, total time, a looping link refused at once, each page 4 MiB at most).
 * Many registries refuse the catalog (401/403 even with credentials, 404, UNSUPPORTED): that is
 * one clear error saying so, not a generic auth failure.
 */
import { Limits, readAllBounded } from '../../digest/digest.js';
import { ErrorCode, OcmError, isOcmError } from '../../runtime/errors.js';
import { parseJsonAnswer } from './answers.js';
import type { RegistryClient } from './client.js';
import { errorSummary, header, redact } from './http.js';
import { nextLink } from './repository.js';

export interface CatalogOptions {
  readonly signal?: AbortSignal;
  /** `n` per page (default 1000). */
  readonly pageSize?: number;
  /** Default: the client's `tagListMaxPages`. */
  readonly maxPages?: number;
  /** Longest the whole listing may page, in ms (default: the client's `tagListTimeoutMs`). */
  readonly timeoutMs?: number;
}

const CATALOG_SCOPE = 'registry:catalog:*';

function refused(host: string, status: number, why: string, code: ErrorCode, cause?: unknown): OcmError {
  return new OcmError(
    code,
    `registry ${host} does not let this client list its repositories (GET /v2/_catalog answered ${status}${why ? `: ${why}` : ''}); list a CTF instead, or use credentials that may read the catalog`,
    { details: { host, status }, ...(cause ? { cause } : {}) },
  );
}

/** Every repository name of the registry `host` (`[http(s)://]host[:port]`), yielded page by page. */
export async function* listCatalog(client: RegistryClient, host: string, options: CatalogOptions = {}): AsyncGenerator<string> {
  const h = client.resolveHost(host);
  const target = { host: h.host, scheme: h.scheme };
  const maxPages = options.maxPages ?? client.tagListMaxPages;
  const timeoutMs = options.timeoutMs ?? client.tagListTimeoutMs;
  const started = Date.now();
  const seen = new Set<string>();
  let url: string | undefined = `${h.scheme}://${h.host}/v2/_catalog?n=${options.pageSize ?? 1000}`;
  for (let page = 0; url; page++) {
    if (seen.has(url)) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `catalog of ${h.host}: the registry's next-page link loops back to ${redact(url)} (page ${page + 1}); the registry is misbehaving`);
    seen.add(url);
    if (page >= maxPages) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `catalog of ${h.host}: more than ${maxPages} pages`);
    if (Date.now() - started > timeoutMs) {
      throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `catalog of ${h.host}: still paging after ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${timeoutMs / 1000} s`} (${page} pages)`);
    }
    let res;
    try {
      res = await client.send(target, { method: 'GET', url, signal: options.signal }, [CATALOG_SCOPE]);
    } catch (e) {
      // The auth layer's final 401/403: credentials (or none) that may not read the catalog.
      if (isOcmError(e, ErrorCode.UNAUTHORIZED) || isOcmError(e, ErrorCode.FORBIDDEN)) {
        throw refused(h.host, e.code === ErrorCode.UNAUTHORIZED ? 401 : 403, '', e.code, e);
      }
      throw e;
    }
    if (res.status !== 200) {
      const { text, codes } = await errorSummary(res);
      if (res.status === 401 || res.status === 403) throw refused(h.host, res.status, text, res.status === 401 ? ErrorCode.UNAUTHORIZED : ErrorCode.FORBIDDEN);
      if (res.status === 404 || res.status === 405 || codes.includes('UNSUPPORTED')) throw refused(h.host, res.status, text || 'no catalog API', ErrorCode.UNSUPPORTED);
      throw new OcmError(ErrorCode.REGISTRY_ERROR, `catalog of ${h.host}: registry answered ${res.status}${text ? `: ${text}` : ''}`, { details: { status: res.status, url: redact(res.url) } });
    }
    const raw = await readAllBounded(res.body, Limits.manifest, `catalog of ${h.host}`);
    const parsed = parseJsonAnswer<{ repositories?: unknown }>(res, raw, 'a repository catalog');
    const next = nextLink(header(res.headers, 'link'), res.url);
    if (Array.isArray(parsed.repositories)) for (const r of parsed.repositories) if (typeof r === 'string') yield r;
    url = next;
  }
}
