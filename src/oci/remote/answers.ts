/**
 * Classifies a 200 answer that is not what the API promises: a web page (a wrong URL, a login
 * portal, a proxy's error page), a body that is not JSON, or a registry error document sent with
 * 200. These are REGISTRY_ERROR naming the URL (the peer is wrong), never NOT_FOUND or a parse
 * error of the user's input.
 */
import { parseJsonBounded } from '../../internal/bounded-parse.js';
import { ErrorCode, OcmError, isOcmError } from '../../runtime/errors.js';
import { header, redact, type HttpResponse } from './http.js';

type Answer = Pick<HttpResponse, 'headers' | 'url'> & { body?: { dump(): Promise<unknown> } };

function contentType(res: Answer): string {
  return (header(res.headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Throws when the answer's Content-Type says it is a text page rather than `expected` (e.g. "an OCI manifest"). */
export function refuseTextPage(res: Answer, expected: string, hint = 'is this a registry?'): void {
  const type = contentType(res);
  if (type.startsWith('text/')) {
    // The page is not read (it may be large), but the connection is freed.
    void res.body?.dump().catch(() => undefined);
    throw new OcmError(ErrorCode.REGISTRY_ERROR, `${redact(res.url)} answered ${type}, not ${expected}: ${hint}`, {
      details: { url: redact(res.url), contentType: type },
    });
  }
}

/** Parses a JSON object answer (manifest, tag list, referrers index, token), classifying what is not one. */
export function parseJsonAnswer<T extends object>(res: Answer, raw: Buffer, expected: string, hint = 'is this a registry?'): T {
  refuseTextPage(res, expected, hint);
  let parsed: unknown;
  try {
    // Depth-bounded too: the bytes are already size-bounded by the caller.
    parsed = parseJsonBounded(raw, { what: `${redact(res.url)} (${expected})`, maxBytes: Math.max(raw.length, 1), allowBom: false, redact: true });
  } catch (e) {
    if (isOcmError(e, ErrorCode.LIMIT_EXCEEDED)) throw e;
    throw new OcmError(ErrorCode.REGISTRY_ERROR, `${redact(res.url)} answered with a body that is not JSON, not ${expected}: ${hint}`, {
      details: { url: redact(res.url), contentType: contentType(res) },
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new OcmError(ErrorCode.REGISTRY_ERROR, `${redact(res.url)} answered with JSON that is not ${expected}`, { details: { url: redact(res.url) } });
  }
  const errors = (parsed as { errors?: unknown }).errors;
  if (Array.isArray(errors) && !('schemaVersion' in parsed) && !('tags' in parsed) && !('token' in parsed) && !('access_token' in parsed)) {
    const text = errors
      .slice(0, 5)
      .map((e: { code?: unknown; message?: unknown }) => `${String(e?.code ?? 'UNKNOWN')}: ${String(e?.message ?? '').slice(0, 200)}`)
      .join('; ');
    throw new OcmError(ErrorCode.REGISTRY_ERROR, `${redact(res.url)} answered 200 with an error document instead of ${expected}${text ? `: ${text}` : ''}`, {
      details: { url: redact(res.url) },
    });
  }
  return parsed as T;
}
