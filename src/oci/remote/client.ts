/**
 * The OCI distribution client. `RegistryClient` holds the transport (one keep-alive undici Agent),
 * the auth layer and the policy (plain HTTP, retries, chunk size); `client.repository(host, path)`
 * gives a `RemoteRepository` (a `Target` + `TagLister` + `Mounter`), and `client.store(host)` a
 * `RepositoryStore`, so the OCM mapping and `copy()` work on registries exactly as on a CTF.
 */
import type { Dispatcher } from 'undici';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/logger.js';
import type { OpOptions, RepositoryStore } from '../content/types.js';
import { Authenticator, repositoryScope, type AuthTarget, type CredentialFunction } from './auth.js';
import { headerAll, HttpTransport, statusError, type HttpRequest, type HttpResponse, type RetryPolicy } from './http.js';
import { FastGet } from './fast-get.js';
import { sameOrigin } from './origin.js';
import { RemoteRepository } from './repository.js';

export interface RegistryClientOptions {
  /** Credentials per registry host (+ repository). Default: anonymous. */
  credentials?: CredentialFunction;
  /** Allow plain HTTP for every host (otherwise only loopback hosts or explicit `http://`). */
  plainHttp?: boolean;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  /** Upload chunk size and monolithic-upload threshold in bytes (default 16 MiB). */
  chunkSize?: number;
  /**
   * Upload blobs larger than one chunk as re-sendable chunks (PATCH with Content-Range), resuming
   * after connection failures. Default false: one streamed PATCH, faster, but an interrupted
   * upload fails (cleanly) instead of resuming.
   */
  chunkedUpload?: boolean;
  /**
   * Read blob bodies over the client's own keep-alive sockets with 512 KiB read buffers when the
   * answer is a plain 200/206 (default true); anything else goes through the regular transport.
   * Off whenever `dispatcher` is given: a custom dispatcher's proxy and TLS settings apply to
   * every request, which only the transport honours.
   */
  fastBlobGet?: boolean;
  /** Use the OAuth2 password grant (POST) for username/password token requests. */
  oauth2?: boolean;
  /** Custom undici dispatcher (tests, proxies). */
  dispatcher?: Dispatcher;
  /** Most pages a tag list may have (default 10 000). */
  tagListMaxPages?: number;
  /** Longest a paged tag list may take in total, in ms (default 60 000). */
  tagListTimeoutMs?: number;
}

/** `host[:port]`, optionally prefixed with `http://` / `https://`, split into parts. */
export interface RegistryHost {
  host: string;
  scheme: 'http' | 'https';
}

const NAME_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export function validateRepositoryName(name: string): void {
  if (!NAME_RE.test(name) || name.length > 255) {
    throw new OcmError(
      ErrorCode.INVALID_ARGUMENT,
      `invalid OCI repository name "${name}": use lower-case letters, digits and separators (. _ __ -), path components joined by /`,
    );
  }
}

export class RegistryClient {
  readonly transport: HttpTransport;
  readonly auth: Authenticator;
  readonly chunkSize: number;
  readonly chunkedUpload: boolean;
  readonly fastBlobGet: boolean;
  /** The fast blob GET's connection pool (undefined when the fast path is off). */
  readonly fastGet: FastGet | undefined;
  readonly tagListMaxPages: number;
  readonly tagListTimeoutMs: number;
  readonly #plainHttp: boolean;
  /** Per host: whether a single-request monolithic upload (POST with `?digest=` and body) works. */
  readonly singlePostUpload = new Map<string, boolean>();
  /** Manifests read or written lately, by `host/repository@digest` (verified bytes; bounded). */
  readonly recentManifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  /**
   * Per host: whether a POST with `mount=<digest>&from=<the repository itself>` answers 201 for a
   * blob the repository has (learnt once, from a blob just pushed); then it replaces HEAD + POST.
   */
  readonly mountFromItself = new Map<string, boolean>();
  /** Hosts where an upload is finding that out right now (the others do not also try). */
  readonly singlePostProbing = new Set<string>();

  constructor(options: RegistryClientOptions = {}) {
    this.fastBlobGet = (options.fastBlobGet ?? true) && options.dispatcher === undefined;
    const fast = (this.fastGet = this.fastBlobGet ? new FastGet() : undefined);
    this.transport = new HttpTransport({ retry: options.retry, logger: options.logger, dispatcher: options.dispatcher, fastHead: fast && ((u, h, s) => fast.head(u, h, s)) });
    this.auth = new Authenticator(this.transport, options.credentials ?? (async () => undefined), { oauth2: options.oauth2 });
    this.chunkSize = options.chunkSize ?? 16 * 1024 * 1024;
    this.chunkedUpload = options.chunkedUpload ?? false;
    this.#plainHttp = options.plainHttp ?? false;
    this.tagListMaxPages = options.tagListMaxPages ?? 1_000;
    this.tagListTimeoutMs = options.tagListTimeoutMs ?? 60_000;
  }

  /**
   * Resolves `host` (with optional `http://`/`https://`) to host and scheme. HTTP is used only
   * when given explicitly, for loopback hosts, or with `plainHttp`.
   */
  resolveHost(hostOrUrl: string): RegistryHost {
    const m = /^(https?):\/\/([^/]+)\/?$/.exec(hostOrUrl);
    const host = m ? m[2]! : hostOrUrl;
    if ((hostOrUrl.includes('/') && !m) || hostOrUrl === '' || !URL.canParse(`http://${host}/`)) {
      throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid registry host "${hostOrUrl}": expected host[:port], optionally with http:// or https://`);
    }
    if (m) return { scheme: m[1] as 'http' | 'https', host: m[2]! };
    return { host: hostOrUrl, scheme: this.#plainHttp || isLoopbackHost(hostOrUrl) ? 'http' : 'https' };
  }

  /** One repository `<host>/<path>`. */
  repository(host: string, path: string): RemoteRepository {
    validateRepositoryName(path);
    return new RemoteRepository(this, this.resolveHost(host), path);
  }

  /** All repositories of one registry host, as a `RepositoryStore` (names are full repository paths). */
  store(host: string): RepositoryStore & { host: RegistryHost; close(): Promise<void> } {
    const h = this.resolveHost(host);
    return {
      host: h,
      repository: (name: string) => {
        validateRepositoryName(name);
        return new RemoteRepository(this, h, name);
      },
      close: async () => {},
    };
  }

  /**
   * Sends a request on behalf of a repository with the needed scopes: preemptive auth when the
   * host's scheme is known, at most two re-challenges on 401, then a clear UNAUTHORIZED/FORBIDDEN.
   */
  async send(target: AuthTarget, req: HttpRequest, scopes: readonly string[]): Promise<HttpResponse> {
    const registry = `${target.scheme}://${target.host}`;
    // A URL the registry handed back (upload Location at any hop, Link) on another scheme, host or
    // port gets no credentials: they belong to the registry's origin only (spec §F.1).
    if (!sameOrigin(req.url, registry)) return this.transport.send({ ...req, headers: withoutAuthorization(req.headers) });
    let authorization = await this.auth.headerFor(target, scopes, req.signal);
    for (let round = 0; ; round++) {
      const headers = { ...req.headers };
      if (authorization) headers.authorization = authorization;
      const res = await this.transport.send({ ...req, headers });
      if (res.status !== 401) return res;
      // A 401 from another origin (after a redirect) is not the registry's challenge: taking its
      // realm would let that origin choose where the registry's credentials go.
      if (!sameOrigin(res.url, registry)) return res;
      const www = headerAll(res.headers, 'www-authenticate');
      await res.body.dump().catch(() => undefined);
      if (round >= 2 || req.stream !== undefined) throw await this.auth.finalError(target, www, scopes, req.signal);
      authorization = await this.auth.onUnauthorized(target, www, scopes, authorization, req.signal);
    }
  }

  /** Pings `/v2/` (with auth) and fails with a clear error if the registry is unusable. */
  async ping(host: string, options: OpOptions = {}): Promise<void> {
    const h = this.resolveHost(host);
    const res = await this.send({ host: h.host, scheme: h.scheme }, { method: 'GET', url: `${h.scheme}://${h.host}/v2/`, signal: options.signal }, []);
    if (res.status !== 200) throw await statusError(res, `registry ${h.host}`);
    await res.body.dump();
  }

  async close(): Promise<void> {
    this.fastGet?.close();
    await this.transport.close();
  }
}

function withoutAuthorization(headers: HttpRequest['headers']): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([k]) => k.toLowerCase() !== 'authorization'));
}

export { repositoryScope, statusError };
