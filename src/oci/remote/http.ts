/**
 * The HTTP transport under the registry client: one undici Agent (keep-alive, connection reuse),
 * manual redirects (Authorization is dropped when scheme, host or port change), bounded retries
 * with exponential backoff + full jitter on connection failures, 5xx and 429 (`Retry-After`
 * honoured), never on other 4xx. Only replayable bodies (none, Buffer) are retried here.
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

/**
 * The two parts of undici this transport uses: the keep-alive `Agent` and the `request` API. Its
 * index also loads fetch, WebSocket, caches and mocks (~20 MB and ~0.2 s here, against ~11 MB and
 * ~0.09 s for these two), and is loaded on the first request only, so commands that never talk to
 * a registry (everything on a CTF) pay nothing. Pinned version: the two module paths are stable.
 */
interface UndiciCore {
  Agent: new (options: { keepAliveTimeout: number; connections: number; pipelining: number }) => Dispatcher;
  request: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
}
let undici: Promise<UndiciCore> | undefined;
const loadUndici = (): Promise<UndiciCore> =>
  (undici ??= Promise.all([import('undici/lib/dispatcher/agent.js'), import('undici/lib/api/api-request.js')]).then(([agent, api]) => ({
    Agent: agent.default as UndiciCore['Agent'],
    request: api.default as UndiciCore['request'],
  })));
import { readAllBounded, Limits } from '../../digest/digest.js';
import { ErrorCode, NotFoundError, OcmError } from '../../runtime/errors.js';
import { silentLogger, type Logger } from '../../runtime/logger.js';
import { discardBody, sameOrigin } from './origin.js';
import { sleep } from '../../runtime/sleep.js';

export interface RetryPolicy {
  /** Total attempts including the first (default 5). */
  maxAttempts: number;
  /** First backoff in ms (default 200). */
  baseDelayMs: number;
  /** Cap for one backoff or Retry-After wait in ms (default 10 000). */
  maxDelayMs: number;
  /** Give up retrying after this much time since the first attempt (default 60 000). */
  maxElapsedMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 10_000, maxElapsedMs: 60_000 };

export type Headers = Record<string, string>;

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Headers;
  /** Replayable body. Streams are passed via `stream` and are never retried. */
  body?: Buffer;
  stream?: NodeJS.ReadableStream | AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
  /** Disable retries for this request (e.g. a streaming body). */
  noRetry?: boolean;
  /** The body carries secrets (a token request's password or refresh token): never follow a redirect to another origin. */
  secretBody?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** The final URL after redirects. */
  url: string;
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** True for a transient network failure worth retrying. */
export function isRetryableNetworkError(e: unknown): boolean {
  let c: unknown = e;
  for (let i = 0; i < 4 && c; i++) {
    const code = (c as { code?: string }).code;
    if (code && RETRYABLE_CODES.has(code)) return true;
    if (c instanceof OcmError && c.code === ErrorCode.NETWORK_ERROR) return true;
    c = (c as { cause?: unknown }).cause;
  }
  return false;
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** URL without query and fragment (queries may carry upload state or tokens). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

export function header(h: HttpResponse['headers'], name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function headerAll(h: HttpResponse['headers'], name: string): string[] {
  const v = h[name.toLowerCase()];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Parses Retry-After (seconds or HTTP date) into ms; undefined if absent or unparsable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}


export interface HttpTransportOptions {
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  dispatcher?: Dispatcher;
  /** Max redirects followed per request (default 5). */
  maxRedirects?: number;
  /**
   * A HEAD on a kept-alive connection (`FastGet#head`): undici closes the connection after every
   * HEAD. Undefined answers fall back to undici; never used with a caller's dispatcher.
   */
  fastHead?: (url: URL, headers: Record<string, string>, signal?: AbortSignal) => Promise<{ status: number; headers: Record<string, string> } | undefined>;
}

export class HttpTransport {
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  readonly #givenDispatcher: Dispatcher | undefined;
  #agent: Promise<Dispatcher> | undefined;
  readonly #maxRedirects: number;
  readonly #fastHead: HttpTransportOptions['fastHead'];

  constructor(options: HttpTransportOptions = {}) {
    this.retry = { ...defaultRetryPolicy, ...options.retry };
    this.logger = options.logger ?? silentLogger;
    this.#givenDispatcher = options.dispatcher;
    this.#maxRedirects = options.maxRedirects ?? 5;
    this.#fastHead = options.dispatcher ? undefined : options.fastHead;
  }

  /** Backoff before attempt `attempt` (1-based count of failures so far). */
  backoff(attempt: number, retryAfter?: number): number {
    if (retryAfter !== undefined) return Math.min(retryAfter, this.retry.maxDelayMs);
    const exp = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(exp / 2 + Math.random() * (exp / 2));
  }

  /** Waits before the next attempt; false if the policy says stop. */
  async shouldRetry(attempt: number, started: number, retryAfter: number | undefined, signal?: AbortSignal, why: Record<string, unknown> = {}): Promise<boolean> {
    if (attempt >= this.retry.maxAttempts) return false;
    const delay = this.backoff(attempt, retryAfter);
    if (Date.now() + delay - started > this.retry.maxElapsedMs) return false;
    this.logger.debug('retrying', { ...why, attempt, delayMs: delay });
    await sleep(delay, signal);
    return true;
  }

  /**
   * Sends one request, following redirects and retrying transient failures. Returns the
   * response whatever its status (the caller maps statuses); a retryable status is returned
   * only after the retries are exhausted. The caller must consume or dump the body.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const started = Date.now();
    const canRetry = !req.noRetry && req.stream === undefined;
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await this.#sendFollowing(req);
      } catch (e) {
        if (e instanceof OcmError && e.code !== ErrorCode.NETWORK_ERROR) throw e;
        if (req.signal?.aborted) throw new OcmError(ErrorCode.ABORTED, 'operation aborted', { cause: req.signal.reason });
        if (canRetry && isRetryableNetworkError(e) && (await this.shouldRetry(attempt, started, undefined, req.signal, { url: redact(req.url), error: errorCode(e) }))) {
          continue;
        }
        throw networkError(req.url, e);
      }
      if (canRetry && isRetryableStatus(res.status)) {
        const ra = retryAfterMs(header(res.headers, 'retry-after'));
        const bodyDone = res.body.dump().catch(() => undefined);
        if (await this.shouldRetry(attempt, started, ra, req.signal, { url: redact(req.url), status: res.status })) {
          await bodyDone;
          continue;
        }
        // Out of retries: hand the status to the caller (its body was dumped).
        await bodyDone;
        return res;
      }
      return res;
    }
  }

  async #sendFollowing(req: HttpRequest): Promise<HttpResponse> {
    let url = new URL(req.url);
    const origin = new URL(req.url);
    let method = req.method;
    let headers = { ...req.headers };
    let body: HttpRequest['body'] | HttpRequest['stream'] = req.body ?? req.stream;
    for (let hop = 0; ; hop++) {
      const fast = method === 'HEAD' && this.#fastHead ? await this.#fastHead(url, headers, req.signal ?? undefined) : undefined;
      const r = fast ? { statusCode: fast.status, headers: fast.headers as HttpResponse['headers'], body: emptyBody() } : await this.#undiciRequest(url, method, headers, body, req.signal);
      this.logger.debug('http', { method, url: redact(url.href), status: r.statusCode });
      const location = r.headers.location;
      const isRedirect = [301, 302, 303, 307, 308].includes(r.statusCode) && typeof location === 'string';
      if (!isRedirect) return { status: r.statusCode, headers: r.headers, body: r.body, url: url.href };
      await r.body.dump().catch(() => undefined);
      if (hop >= this.#maxRedirects) {
        throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `too many redirects for ${redact(req.url)}`);
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new OcmError(ErrorCode.REGISTRY_ERROR, `${redact(url.href)} redirected to an invalid URL`);
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new OcmError(ErrorCode.REGISTRY_ERROR, `refusing redirect of ${redact(req.url)} to scheme ${next.protocol}`);
      }
      // A streamed body cannot be re-sent; only methods without a body or with a Buffer follow.
      if (req.stream !== undefined && r.statusCode !== 303) {
        throw new OcmError(ErrorCode.REGISTRY_ERROR, `registry redirected a streamed upload to ${redact(next.href)}; not supported`);
      }
      if (r.statusCode === 303 || ((r.statusCode === 301 || r.statusCode === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      if (!sameOrigin(next, origin) || !sameOrigin(next, url)) {
        if (req.secretBody && body !== undefined) {
          throw new OcmError(ErrorCode.REGISTRY_ERROR, `${redact(req.url)} redirected a request carrying credentials to another origin (${next.origin}); refusing to follow`);
        }
        // Credentials belong to the registry origin only (distribution-spec: MUST NOT forward across hosts).
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
      url = next;
    }
  }

  async #undiciRequest(url: URL, method: HttpRequest['method'], headers: Record<string, string>, body: HttpRequest['body'] | HttpRequest['stream'], signal?: AbortSignal): Promise<Dispatcher.ResponseData> {
    const { request } = await loadUndici();
    return request.call(await this.#dispatcher(), {
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: method as Dispatcher.HttpMethod,
      headers,
      body: body as Buffer | undefined,
      signal: signal ?? null,
    });
  }

  /** The caller's dispatcher, or our own keep-alive Agent (created once, on first use). */
  #dispatcher(): Promise<Dispatcher> {
    if (this.#givenDispatcher) return Promise.resolve(this.#givenDispatcher);
    return (this.#agent ??= loadUndici().then((u) => new u.Agent({ keepAliveTimeout: 10_000, connections: 16, pipelining: 1 })));
  }

  async close(): Promise<void> {
    if (this.#agent) await (await this.#agent).close();
  }
}

/** The body of an answer without one (a HEAD's), with the `dump()` callers use on undici's bodies. */
function emptyBody(): HttpResponse['body'] {
  return Object.assign(Readable.from([]), { dump: async () => undefined }) as unknown as HttpResponse['body'];
}

function errorCode(e: unknown): string {
  return (e as { code?: string } | undefined)?.code ?? (e as { cause?: { code?: string } } | undefined)?.cause?.code ?? 'error';
}

export function networkError(url: string, e: unknown): OcmError {
  const code = (e as { code?: string } | undefined)?.code;
  const cause = (e as { cause?: { code?: string } } | undefined)?.cause?.code;
  return new OcmError(ErrorCode.NETWORK_ERROR, `cannot reach ${redact(url)}: ${code ?? cause ?? (e as Error)?.message ?? String(e)}`, { cause: e });
}

interface RegistryErrorBody {
  errors?: { code?: string; message?: string }[];
}

/** Reads a bounded error body and summarises the registry's error codes (never echoes secrets). */
export async function errorSummary(res: HttpResponse): Promise<{ text: string; codes: string[] }> {
  let raw: Buffer;
  try {
    raw = await readAllBounded(res.body, Limits.errorBody, 'registry error body');
  } catch {
    discardBody(res.body);
    return { text: '', codes: [] };
  }
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as RegistryErrorBody;
    const errs = (parsed.errors ?? []).slice(0, 5);
    return {
      text: errs.map((e) => `${e.code ?? 'UNKNOWN'}: ${String(e.message ?? '').slice(0, 200)}`).join('; '),
      codes: errs.map((e) => String(e.code ?? '')),
    };
  } catch {
    return { text: '', codes: [] };
  }
}

/** Maps a non-success response to the error catalogue; reads a bounded error body. */
export async function statusError(res: HttpResponse, what: string): Promise<OcmError> {
  const { text, codes } = await errorSummary(res);
  const suffix = text ? `: ${text}` : '';
  const details = { status: res.status, url: redact(res.url), registryCodes: codes };
  if (res.status === 404) return new NotFoundError(`${what} not found${suffix}`, { details });
  if (res.status === 401) return new OcmError(ErrorCode.UNAUTHORIZED, `${what}: authentication required${suffix}`, { details });
  if (res.status === 403) return new OcmError(ErrorCode.FORBIDDEN, `${what}: access denied${suffix}`, { details });
  if (res.status === 413) return new OcmError(ErrorCode.LIMIT_EXCEEDED, `${what}: rejected as too large${suffix}`, { details });
  return new OcmError(ErrorCode.REGISTRY_ERROR, `${what}: registry answered ${res.status}${suffix}`, { details });
}

