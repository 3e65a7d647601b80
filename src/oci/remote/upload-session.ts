/**
 * The narrow port the upload code (upload.ts) uses instead of public members of
 * `RemoteRepository`: begin a session (optionally as a single-request upload), then PATCH, PUT,
 * query or cancel it. A session always addresses the LATEST `Location` the registry handed back
 * (distribution puts an HMAC'd `_state` in it), resolved against the URL that answered. Every
 * request goes through `RegistryClient.send`, which gives credentials only to the registry's own
 * origin (`sameOrigin`), so a Location on another host or port never receives them, at any hop.
 */
import type { Readable } from 'node:stream';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { OciDescriptor } from '../content/types.js';
import { header, redact, statusError, type HttpRequest, type HttpResponse, type HttpTransport } from './http.js';

/** Sends one upload request (no transport retries: the upload code decides what to re-send). */
export type UploadSend = (req: HttpRequest) => Promise<HttpResponse>;

export interface UploadBody {
  headers?: Record<string, string>;
  body?: Buffer;
  stream?: Readable | AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
}

export interface UploadPort {
  /** `host/name`, for messages. */
  readonly reference: string;
  /** Retry policy shared with the transport. */
  readonly transport: HttpTransport;
  /** Whether this host accepted a single-POST monolithic upload (undefined: not tried yet). */
  singlePostUpload: boolean | undefined;
  /** True while one upload is finding out `singlePostUpload` for this host. */
  singlePostProbing: boolean;
  exists(desc: OciDescriptor, options: { signal?: AbortSignal }): Promise<boolean>;
  /**
   * POST `.../blobs/uploads/`; with `digest` and a body, a single-request upload. Resolves
   * `{ stored: true }` when the registry stored the blob (201 to a single POST), else the session
   * it opened.
   */
  begin(options: UploadBody & { digest?: string }): Promise<{ stored: true } | { stored: false; session: UploadSession }>;
}

/** `statusError`, with the registry's digest/size verdict mapped to DIGEST_MISMATCH. */
export async function uploadError(res: HttpResponse, what: string): Promise<OcmError> {
  const e = await statusError(res, what);
  const codes = (e.details.registryCodes as string[] | undefined) ?? [];
  if (codes.includes('DIGEST_INVALID') || codes.includes('SIZE_INVALID')) {
    return new OcmError(ErrorCode.DIGEST_MISMATCH, `${what}: the registry found that the bytes sent do not match the digest or size (${codes.join(', ')})`, {
      cause: e,
      details: e.details,
    });
  }
  return e;
}

/** The absolute Location of an upload answer, resolved against the URL that answered. */
export function locationOf(res: HttpResponse, reference: string): string {
  const loc = header(res.headers, 'location');
  if (!loc) throw new OcmError(ErrorCode.REGISTRY_ERROR, `registry sent no Location for an upload to ${reference}`);
  let u: URL;
  try {
    u = new URL(loc, res.url);
  } catch {
    throw new OcmError(ErrorCode.REGISTRY_ERROR, `registry sent an invalid upload Location for ${reference}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new OcmError(ErrorCode.REGISTRY_ERROR, `registry sent an upload Location with scheme ${u.protocol} for ${reference}`);
  }
  return u.href;
}

export class UploadSession {
  readonly #send: UploadSend;
  readonly #reference: string;
  #location: string;

  constructor(send: UploadSend, location: string, reference: string) {
    this.#send = send;
    this.#location = location;
    this.#reference = reference;
  }

  /** The session URL without its query (the query carries upload state), for messages. */
  get where(): string {
    return redact(this.#location);
  }

  /** PATCH a chunk or stream; a 202/204 answer moves the session to its Location. The caller reads the status and consumes the body. */
  async patch(b: UploadBody): Promise<HttpResponse> {
    const res = await this.#send({ method: 'PATCH', url: this.#location, headers: b.headers, body: b.body, stream: b.stream, signal: b.signal });
    if (res.status === 202 || res.status === 204) this.#location = locationOf(res, this.#reference);
    return res;
  }

  /** The closing PUT with `?digest=` (optionally carrying the data). */
  put(digest: string, b: UploadBody = {}): Promise<HttpResponse> {
    const u = new URL(this.#location);
    u.searchParams.set('digest', digest);
    return this.#send({ method: 'PUT', url: u.href, headers: b.headers, body: b.body, stream: b.stream, signal: b.signal });
  }

  /** GET on the session: committed byte count (from `Range`); follows a new Location. */
  async status(signal?: AbortSignal): Promise<{ committed: number }> {
    let res: HttpResponse;
    try {
      res = await this.#send({ method: 'GET', url: this.#location, signal });
    } catch (e) {
      throw new OcmError(ErrorCode.NETWORK_ERROR, `upload session at ${this.#reference} cannot be queried after an interruption`, { cause: e });
    }
    if (res.status !== 204 && res.status !== 200) {
      throw await statusError(res, `upload session at ${this.#reference} (the registry discarded it after the interruption; retry)`);
    }
    await res.body.dump().catch(() => undefined);
    const range = header(res.headers, 'range') ?? '';
    const m = /^(?:bytes=)?0-(\d+)$/.exec(range);
    // distribution reports an empty session as `0-0`; an upload is never 1 byte after a chunk here.
    const end = m ? Number(m[1]) : -1;
    if (header(res.headers, 'location')) this.#location = locationOf(res, this.#reference);
    return { committed: end <= 0 ? 0 : end + 1 };
  }

  /** DELETE the session (best effort: a registry without cancel lets it expire). */
  async cancel(signal?: AbortSignal): Promise<void> {
    try {
      const res = await this.#send({ method: 'DELETE', url: this.#location, signal });
      await res.body.dump().catch(() => undefined);
    } catch {
      /* best effort */
    }
  }
}
