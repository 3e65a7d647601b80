/**
 * One remote OCI repository as a `Target` (+ `TagLister`, `Mounter`, referrers). Every body is
 * streamed; blobs are verified (digest + size) while streaming and resumed with `Range` after an
 * interruption; manifests are read bounded (4 MiB) and verified; uploads check existence first,
 * then go monolithic (one PUT) for blobs up to one chunk or chunked (PATCH with Content-Range)
 * beyond, resuming a failed chunk from the registry's reported offset.
 */
import { pipeline, Readable } from 'node:stream';
import { Limits, digestOf, readAllBounded, verifying } from '../../digest/digest.js';
import { DigestMismatchError, ErrorCode, NotFoundError, OcmError, isOcmError } from '../../runtime/errors.js';
import { isManifestMediaType, MediaType } from '../content/media-types.js';
import type { PushOptions } from '../content/copy.js';
import type { FetchOptions, ImageIndex, Mounter, OciDescriptor, OpOptions, Target, TagLister } from '../content/types.js';
import type { AuthTarget } from './auth.js';
import { repositoryScope } from './auth.js';
import type { RegistryClient, RegistryHost } from './client.js';
import { ResumingBody, networkFailure } from './resuming-body.js';
import { parseJsonAnswer, refuseTextPage } from './answers.js';
import { discardBody } from './origin.js';
import { UploadSession, locationOf, uploadError, type UploadPort } from './upload-session.js';
import { header, isRetryableNetworkError, redact, statusError, type HttpRequest, type HttpResponse } from './http.js';

/** A blob response from either path (fast socket or transport). */
interface BlobResponse {
  status: number;
  headers: HttpResponse['headers'];
  body: Readable;
  url: string;
}

const MANIFEST_ACCEPT = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
].join(', ');

/** How many resumes/re-sends a single blob transfer may do. */
const MAX_RESUMES = 5;

export class RemoteRepository implements Target, TagLister, Mounter {
  readonly host: RegistryHost;
  readonly name: string;
  readonly #client: RegistryClient;
  readonly #auth: AuthTarget;

  constructor(client: RegistryClient, host: RegistryHost, name: string) {
    this.#client = client;
    this.host = host;
    this.name = name;
    this.#auth = { host: host.host, scheme: host.scheme, repository: name };
  }

  /** `host/name`, for messages. */
  get reference(): string {
    return `${this.host.host}/${this.name}`;
  }

  #url(suffix: string): string {
    return `${this.host.scheme}://${this.host.host}/v2/${this.name}/${suffix}`;
  }

  #send(req: HttpRequest, actions: readonly string[], extraScopes: readonly string[] = []): Promise<HttpResponse> {
    return this.#client.send(this.#auth, req, [repositoryScope(this.name, actions), ...extraScopes]);
  }

  // ---------------------------------------------------------------- read

  async exists(desc: OciDescriptor, options: OpOptions = {}): Promise<boolean> {
    const kind = isManifestMediaType(desc.mediaType) ? 'manifests' : 'blobs';
    const res = await this.#send(
      { method: 'HEAD', url: this.#url(`${kind}/${desc.digest}`), headers: kind === 'manifests' ? { accept: MANIFEST_ACCEPT } : {}, signal: options.signal },
      ['pull'],
    );
    await res.body.dump().catch(() => undefined);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await statusError(res, `${kind === 'manifests' ? 'manifest' : 'blob'} ${desc.digest} in ${this.reference}`);
  }

  async resolve(reference: string, options: OpOptions = {}): Promise<OciDescriptor> {
    const res = await this.#send(
      { method: 'HEAD', url: this.#url(`manifests/${reference}`), headers: { accept: MANIFEST_ACCEPT }, signal: options.signal },
      ['pull'],
    );
    await res.body.dump().catch(() => undefined);
    if (res.status === 404) throw new NotFoundError(`${this.reference}:${reference} not found`, { details: { repository: this.reference, reference } });
    if (res.status !== 200) throw await statusError(res, `manifest ${this.reference}:${reference}`);
    refuseTextPage(res, 'an OCI manifest');
    const digest = header(res.headers, 'docker-content-digest');
    const mediaType = (header(res.headers, 'content-type') ?? '').split(';')[0]!.trim();
    const size = Number(header(res.headers, 'content-length'));
    if (digest && Number.isFinite(size) && mediaType) return { mediaType, digest, size };
    // No digest header (allowed before distribution-spec 1.1.1): read the manifest and hash it.
    const m = await this.fetchManifest(reference, options);
    return m.descriptor;
  }

  /** GETs a manifest by tag or digest: bounded (4 MiB), digest-verified when asked by digest. */
  async fetchManifest(reference: string, options: OpOptions & { expected?: OciDescriptor } = {}): Promise<{ descriptor: OciDescriptor; bytes: Buffer }> {
    const cached = this.#client.recentManifests.get(`${this.reference}@${reference}`);
    if (cached) return { descriptor: { mediaType: cached.mediaType, digest: reference, size: cached.bytes.length }, bytes: cached.bytes };
    return this.#retryingRead(options.signal, async () => {
      const res = await this.#send(
        { method: 'GET', url: this.#url(`manifests/${reference}`), headers: { accept: MANIFEST_ACCEPT }, signal: options.signal },
        ['pull'],
      );
      if (res.status === 404) {
        await res.body.dump().catch(() => undefined);
        throw new NotFoundError(`${this.reference}:${reference} not found`, { details: { repository: this.reference, reference } });
      }
      if (res.status !== 200) throw await statusError(res, `manifest ${this.reference}:${reference}`);
      refuseTextPage(res, 'an OCI manifest');
      const bytes = await readAllBounded(res.body, Limits.manifest, `manifest ${this.reference}:${reference}`);
      parseJsonAnswer(res, bytes, 'an OCI manifest');
      const digest = digestOf(bytes);
      const expected = options.expected?.digest ?? (reference.includes(':') ? reference : header(res.headers, 'docker-content-digest'));
      if (expected && expected !== digest) throw new DigestMismatchError(`manifest ${this.reference}:${reference}`, expected, digest);
      if (options.expected && options.expected.size !== bytes.length) {
        throw new OcmError(ErrorCode.DIGEST_MISMATCH, `manifest ${this.reference}:${reference}: size ${bytes.length}, expected ${options.expected.size}`);
      }
      const mediaType = (header(res.headers, 'content-type') ?? '').split(';')[0]!.trim() || sniffMediaType(bytes);
      this.#remember(digest, bytes, mediaType);
      return { descriptor: { mediaType, digest, size: bytes.length }, bytes };
    });
  }

  async fetch(desc: OciDescriptor, options: FetchOptions = {}): Promise<Readable> {
    if (isManifestMediaType(desc.mediaType)) {
      const { bytes } = await this.fetchManifest(desc.digest, { ...options, expected: desc });
      return Readable.from([bytes]);
    }
    const what = `blob ${desc.digest} of ${this.reference}`;
    const first = await this.#getBlob(desc.digest, 0, options.signal);
    const body = new ResumingBody(first.body, {
      size: desc.size,
      what,
      maxResumes: MAX_RESUMES,
      reopen: async (offset) => (await this.#getBlob(desc.digest, offset, options.signal)).body,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // A caller that verifies what it receives (a Pusher does, by contract) skips the second hash.
    if (options.unverified) return body;
    const check = verifying({ digest: desc.digest, size: desc.size, what });
    return pipeline(body, check, () => {});
  }

  /** GET of a blob from `offset` (206 expected when offset > 0); the fast socket path first, when enabled. */
  async #getBlob(digest: string, offset: number, signal?: AbortSignal): Promise<BlobResponse> {
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    const url = this.#url(`blobs/${digest}`);
    let res: BlobResponse | undefined;
    const fast = this.#client.fastGet;
    if (fast) {
      const auth = await this.#client.auth.headerFor(this.#auth, [repositoryScope(this.name, ['pull'])], signal);
      res = await fast.get(new URL(url), auth ? { ...headers, authorization: auth } : headers, signal);
    }
    res ??= await this.#send({ method: 'GET', url, headers, signal }, ['pull']);
    if (offset === 0 && res.status === 200) return res;
    if (offset > 0 && res.status === 206) {
      const cr = header(res.headers, 'content-range') ?? '';
      const m = /^bytes (\d+)-/.exec(cr);
      if (m && Number(m[1]) === offset) return res;
      discardBody(res.body);
      throw new OcmError(ErrorCode.REGISTRY_ERROR, `blob ${digest} of ${this.reference}: resume at ${offset} answered with range "${cr}"`);
    }
    if (offset > 0 && res.status === 200) {
      discardBody(res.body);
      throw new OcmError(ErrorCode.REGISTRY_ERROR, `blob ${digest} of ${this.reference}: registry does not support Range; cannot resume`);
    }
    throw await statusError(res as HttpResponse, `blob ${digest} in ${this.reference}`);
  }

  /** Retries a whole bounded read (manifest, tag page) when its body is cut off. */
  async #retryingRead<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const retry = (isOcmError(e, ErrorCode.NETWORK_ERROR) || (!isOcmError(e) && isRetryableNetworkError(e))) && !signal?.aborted;
        if (!retry || !(await this.#client.transport.shouldRetry(attempt, started, undefined, signal))) {
          throw isOcmError(e) ? e : networkFailure(this.reference, e);
        }
      }
    }
  }

  // ---------------------------------------------------------------- tags, referrers

  /**
   * All tags, following `Link: rel="next"` pages. Bounded by page count and total time
   * (client options `tagListMaxPages`, `tagListTimeoutMs`), and a next URL seen before is a loop,
   * refused at once. A next URL on another origin is followed without credentials.
   */
  async listTags(options: OpOptions & { pageSize?: number; maxPages?: number; timeoutMs?: number } = {}): Promise<string[]> {
    const maxPages = options.maxPages ?? this.#client.tagListMaxPages;
    const timeoutMs = options.timeoutMs ?? this.#client.tagListTimeoutMs;
    const started = Date.now();
    const tags: string[] = [];
    const seen = new Set<string>();
    let url: string | undefined = this.#url(`tags/list?n=${options.pageSize ?? 1000}`);
    for (let page = 0; url; page++) {
      if (seen.has(url)) {
        throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `tag list of ${this.reference}: the registry's next-page link loops back to ${redact(url)} (page ${page + 1}); the registry is misbehaving`);
      }
      seen.add(url);
      if (page >= maxPages) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `tag list of ${this.reference}: more than ${maxPages} pages`);
      if (Date.now() - started > timeoutMs) {
        throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `tag list of ${this.reference}: still paging after ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${timeoutMs / 1000} s`} (${page} pages); raise tagListTimeoutMs if the list is really that long`);
      }
      const current: string = url;
      const { list, next } = await this.#retryingRead(options.signal, async () => {
        const res = await this.#send({ method: 'GET', url: current, signal: options.signal }, ['pull']);
        if (res.status === 404) {
          await res.body.dump().catch(() => undefined);
          return { list: [] as string[], next: undefined };
        }
        if (res.status !== 200) throw await statusError(res, `tag list of ${this.reference}`);
        refuseTextPage(res, 'a tag list');
        const raw = await readAllBounded(res.body, Limits.manifest, `tag list of ${this.reference}`);
        const parsed = parseJsonAnswer<{ tags?: unknown }>(res, raw, 'a tag list');
        const list = Array.isArray(parsed.tags) ? parsed.tags : [];
        return { list, next: nextLink(header(res.headers, 'link'), res.url) };
      });
      tags.push(...list.filter((t): t is string => typeof t === 'string'));
      url = next;
    }
    return tags;
  }

  /**
   * The referrers index of `desc`, or undefined if the registry has no referrers API (404). A long
   * answer may be paginated with `Link: rel="next"` (distribution spec): the pages are merged, bounded
   * like tag lists (page count, loop detection).
   */
  async referrers(desc: OciDescriptor, options: OpOptions & { artifactType?: string } = {}): Promise<ImageIndex | undefined> {
    const q = options.artifactType ? `?artifactType=${encodeURIComponent(options.artifactType)}` : '';
    let url: string | undefined = this.#url(`referrers/${desc.digest}${q}`);
    let merged: ImageIndex | undefined;
    const seen = new Set<string>();
    for (let page = 0; url; page++) {
      if (seen.has(url) || page >= this.#client.tagListMaxPages) {
        throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `referrers of ${desc.digest} in ${this.reference}: the next-page links loop or run past ${this.#client.tagListMaxPages} pages; the registry is misbehaving`);
      }
      seen.add(url);
      const res = await this.#send({ method: 'GET', url, signal: options.signal }, ['pull']);
      if (res.status === 404 && page === 0) {
        await res.body.dump().catch(() => undefined);
        return undefined;
      }
      if (res.status !== 200) throw await statusError(res, `referrers of ${desc.digest} in ${this.reference}`);
      refuseTextPage(res, 'a referrers index');
      const raw = await readAllBounded(res.body, Limits.manifest, `referrers of ${this.reference}`);
      const index = parseJsonAnswer<ImageIndex>(res, raw, 'a referrers index');
      const manifests = Array.isArray(index.manifests) ? index.manifests : [];
      merged = merged ? { ...merged, manifests: [...merged.manifests, ...manifests] } : { ...index, manifests };
      url = nextLink(header(res.headers, 'link'), res.url);
    }
    return merged;
  }

  // ---------------------------------------------------------------- write

  async tag(desc: OciDescriptor, tag: string, options: OpOptions = {}): Promise<void> {
    const { bytes } = await this.fetchManifest(desc.digest, { ...options, expected: desc });
    await this.#putManifest(tag, bytes, desc.mediaType, options.signal);
  }

  async push(desc: OciDescriptor, content: Readable | AsyncIterable<Uint8Array>, options: PushOptions = {}): Promise<void> {
    if (isManifestMediaType(desc.mediaType)) {
      const bytes = await readAllBounded(content, Limits.manifest, `manifest ${desc.digest}`);
      const digest = digestOf(bytes);
      if (digest !== desc.digest) throw new DigestMismatchError(`manifest for ${this.reference}`, desc.digest, digest);
      if (bytes.length !== desc.size) throw new OcmError(ErrorCode.DIGEST_MISMATCH, `manifest ${desc.digest}: size ${bytes.length}, expected ${desc.size}`);
      this.#remember(desc.digest, bytes, desc.mediaType);
      if (!options.existenceChecked && (await this.exists(desc, options))) return;
      await this.#putManifest(desc.digest, bytes, desc.mediaType, options.signal);
      return;
    }
    // The caller (a graph copy) may have checked just before: no second HEAD for the same blob.
    if (!options.existenceChecked && (await this.exists(desc, options))) {
      discard(content);
      return;
    }
    const { pushBlob } = await import('./upload.js');
    await pushBlob(this.#uploadPort(), desc, content, { signal: options.signal, chunkSize: this.#client.chunkSize, chunked: this.#client.chunkedUpload });
  }

  /**
   * Stores a blob unless this repository has it. Once the host has shown that a mount from the
   * repository itself answers 201 for a blob it holds, one POST both asks and opens the upload
   * (HEAD + POST otherwise; registries that never mount keep the HEAD, so an interrupted transfer
   * still skips what arrived). Manifests, and re-sendable chunked uploads, take the usual path.
   */
  async pushUnlessPresent(desc: OciDescriptor, content: Readable | AsyncIterable<Uint8Array>, options: OpOptions = {}): Promise<'present' | 'pushed'> {
    const client = this.#client;
    const host = this.host.host;
    if (isManifestMediaType(desc.mediaType) || client.chunkedUpload || client.mountFromItself.get(host) !== true) {
      if (await this.exists(desc, options)) {
        discard(content);
        return 'present';
      }
      await this.push(desc, content, { ...options, existenceChecked: true });
      if (!isManifestMediaType(desc.mediaType) && !client.chunkedUpload && !client.mountFromItself.has(host)) await this.#learnMountFromItself(desc, options);
      return 'pushed';
    }
    const opened = await this.#mountOrOpen(desc, this.name, options, `upload of blob ${desc.digest} to ${this.reference}`);
    if (opened === 'mounted') {
      discard(content);
      return 'present';
    }
    const { pushBlob } = await import('./upload.js');
    await pushBlob(this.#uploadPort(), desc, content, { signal: options.signal, chunkSize: client.chunkSize, ...(opened === 'none' ? {} : { session: opened }) });
    return 'pushed';
  }

  /** Asks, with a blob this repository now holds, whether a mount from itself answers 201 (once per host). */
  async #learnMountFromItself(desc: OciDescriptor, options: OpOptions): Promise<void> {
    const learnt = this.#client.mountFromItself;
    const host = this.host.host;
    learnt.set(host, false); // until proven: also keeps concurrent uploads from asking again
    try {
      const r = await this.#mountOrOpen(desc, this.name, options);
      if (r === 'mounted') learnt.set(host, true);
      else if (r !== 'none') await r.cancel(options.signal);
    } catch {
      // an error answer: the registry does not take this form; HEAD + POST it is
    }
  }

  /**
   * POST `?mount=&from=`: 'mounted' (201), or the upload session the registry opened instead (202;
   * 'none' without a Location). `what` names the operation in errors (the user may never have asked for a mount).
   */
  async #mountOrOpen(desc: OciDescriptor, fromRepository: string, options: OpOptions, what = `mount of ${desc.digest} from ${fromRepository} into ${this.reference}`): Promise<'mounted' | 'none' | UploadSession> {
    const url = this.#url(`blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(fromRepository)}`);
    const extra = fromRepository === this.name ? [] : [repositoryScope(fromRepository, ['pull'])];
    const res = await this.#send({ method: 'POST', url, headers: { 'content-length': '0' }, signal: options.signal }, ['pull', 'push'], extra);
    await res.body.dump().catch(() => undefined);
    if (res.status === 201) return 'mounted';
    if (res.status === 202) return header(res.headers, 'location') ? new UploadSession(this.#uploadSend, locationOf(res, this.reference), this.reference) : 'none';
    throw await statusError(res, what);
  }

  /** Stores a blob whose digest is not known in advance (chunked, hashed while sent; no spool file). */
  async ingest(content: Readable | AsyncIterable<Uint8Array>, options: { mediaType: string; size?: number } & OpOptions): Promise<OciDescriptor> {
    const { ingestBlob } = await import('./upload.js');
    return ingestBlob(this.#uploadPort(), content, { ...options, chunkSize: this.#client.chunkSize, chunked: this.#client.chunkedUpload });
  }

  /** Size of a stored blob (HEAD), or undefined if absent. */
  async stat(digest: string, options: OpOptions = {}): Promise<{ size: number } | undefined> {
    const res = await this.#send({ method: 'HEAD', url: this.#url(`blobs/${digest}`), signal: options.signal }, ['pull']);
    await res.body.dump().catch(() => undefined);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await statusError(res, `blob ${digest} in ${this.reference}`);
    const size = Number(header(res.headers, 'content-length'));
    return Number.isFinite(size) ? { size } : undefined;
  }

  /** Writes `bytes` as the manifest `reference` (tag or digest). */
  async pushManifest(reference: string, bytes: Buffer, mediaType: string, options: OpOptions = {}): Promise<OciDescriptor> {
    const digest = digestOf(bytes);
    this.#remember(digest, bytes, mediaType);
    await this.#putManifest(reference, bytes, mediaType, options.signal);
    return { mediaType, digest, size: bytes.length };
  }

  async #putManifest(reference: string, bytes: Buffer, mediaType: string, signal?: AbortSignal): Promise<void> {
    const res = await this.#send(
      { method: 'PUT', url: this.#url(`manifests/${reference}`), headers: { 'content-type': mediaType }, body: bytes, signal },
      ['pull', 'push'],
    );
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw await statusError(res, `manifest ${this.reference}:${reference}`);
    await res.body.dump().catch(() => undefined);
    const echoed = header(res.headers, 'docker-content-digest');
    const digest = digestOf(bytes);
    if (echoed && echoed !== digest) throw new DigestMismatchError(`manifest ${this.reference}:${reference} as stored by the registry`, digest, echoed);
  }

  /** Manifests are content-addressed: bytes read or written here once need no second GET (plan, copy, tag). */
  #remember(digest: string, bytes: Buffer, mediaType: string): void {
    if (bytes.length > 256 * 1024) return; // at most 64 × 256 KiB held
    const recent = this.#client.recentManifests;
    recent.set(`${this.reference}@${digest}`, { bytes, mediaType });
    if (recent.size > 64) recent.delete(recent.keys().next().value as string);
  }

  async mount(desc: OciDescriptor, fromRepository: string, options: OpOptions = {}): Promise<boolean> {
    const r = await this.#mountOrOpen(desc, fromRepository, options);
    if (r === 'mounted') return true;
    // Not mounted: the registry opened an upload session; cancel it (best effort).
    if (r !== 'none') await r.cancel(options.signal);
    return false;
  }

  // ---------------------------------------------------------------- upload port (used by upload.ts)

  /** Upload requests: no transport retries (upload.ts decides what is re-sent), push scope. */
  #uploadSend = (req: HttpRequest): Promise<HttpResponse> => this.#send({ ...req, noRetry: true }, ['pull', 'push']);

  #uploadPort(): UploadPort {
    const client = this.#client;
    const host = this.host.host;
    const reference = this.reference;
    const send = this.#uploadSend;
    const uploads = this.#url('blobs/uploads/');
    return {
      reference,
      transport: client.transport,
      get singlePostUpload() {
        return client.singlePostUpload.get(host);
      },
      set singlePostUpload(value: boolean | undefined) {
        if (value !== undefined) client.singlePostUpload.set(host, value);
      },
      get singlePostProbing() {
        return client.singlePostProbing.has(host);
      },
      set singlePostProbing(value: boolean) {
        if (value) client.singlePostProbing.add(host);
        else client.singlePostProbing.delete(host);
      },
      exists: (desc, options) => this.exists(desc, options),
      async begin(b) {
        const single = b.digest !== undefined;
        const url = single ? `${uploads}?digest=${encodeURIComponent(b.digest!)}` : uploads;
        const headers = single ? b.headers : { 'content-length': '0', ...b.headers };
        const res = await send({ method: 'POST', url, headers, body: b.body, stream: b.stream, signal: b.signal });
        if (single && res.status === 201) {
          await res.body.dump().catch(() => undefined);
          return { stored: true };
        }
        if (res.status !== 202 && (single || res.status !== 201)) {
          throw await uploadError(res, single ? `upload of blob ${b.digest} to ${reference}` : `blob upload to ${reference}`);
        }
        await res.body.dump().catch(() => undefined);
        return { stored: false, session: new UploadSession(send, locationOf(res, reference), reference) };
      },
    };
  }
}

function discard(content: Readable | AsyncIterable<Uint8Array>): void {
  const r = content as Readable;
  if (typeof r.destroy === 'function') discardBody(r);
  else void (content as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]().return?.();
}

/** `Link: <url>; rel="next"` → absolute URL. */
export function nextLink(link: string | undefined, base: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part.trim());
    if (!m) continue;
    try {
      const u = new URL(m[1]!, base);
      if (u.protocol === 'http:' || u.protocol === 'https:') return u.href;
    } catch {
      /* fall through to the error */
    }
    throw new OcmError(ErrorCode.REGISTRY_ERROR, `${redact(base)} sent an invalid next-page Link`);
  }
  return undefined;
}

function sniffMediaType(bytes: Buffer): string {
  try {
    const j = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; manifests?: unknown };
    return j.mediaType ?? (j.manifests ? MediaType.ociIndex : MediaType.ociManifest);
  } catch {
    return MediaType.ociManifest;
  }
}
