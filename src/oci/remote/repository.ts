/**
 * One remote OCI repository as a `Target` (+ `TagLister`, `Mounter`, referrers). Every body is
 * streamed; blobs are verified (digest + size) while streaming and resumed with `Range` after an
 * interruption; manifests are read bounded (4 MiB) and verified; uploads check existence first,
 * then go monolithic (one PUT) for blobs up to one chunk or chunked (PATCH with Content-Range)
 * beyond, resuming a failed chunk from the registry's reported offset.
 */
import { pipeline, Readable } from 'node:stream';
import { Limits, digestOf, readAllBounded, verifying } from '../../digest/digest.js';
import { parseJsonBounded } from '../../internal/bounded-parse.js';
import { DigestMismatchError, ErrorCode, NotFoundError, OcmError, isOcmError } from '../../runtime/errors.js';
import { isManifestMediaType, MediaType } from '../content/media-types.js';
import type { PushOptions } from '../content/copy.js';
import type { FetchOptions, ImageIndex, Mounter, OciDescriptor, OpOptions, Target, TagLister } from '../content/types.js';
import type { AuthTarget } from './auth.js';
import { repositoryScope } from './auth.js';
import type { RegistryClient, RegistryHost } from './client.js';
import { fastGet } from './fast-get.js';
import { ResumingBody, networkFailure } from './resuming-body.js';
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
  /** Manifests pushed or read recently (digest → bytes) so `tag()` after `push()` needs no GET. */
  readonly #recent = new Map<string, { bytes: Buffer; mediaType: string }>();

  constructor(client: RegistryClient, host: RegistryHost, name: string) {
    this.#client = client;
    this.host = host;
    this.name = name;
    this.#auth = { host: host.host, scheme: host.scheme, repository: name };
  }

  /** The transport (its retry policy is shared by the upload code). */
  get transportPolicy(): RegistryClient['transport'] {
    return this.#client.transport;
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
    const cached = this.#recent.get(reference);
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
      const bytes = await readAllBounded(res.body, Limits.manifest, `manifest ${this.reference}:${reference}`);
      const digest = digestOf(bytes);
      const expected = options.expected?.digest ?? (reference.includes(':') ? reference : header(res.headers, 'docker-content-digest'));
      if (expected && expected !== digest) throw new DigestMismatchError(`manifest ${this.reference}:${reference}`, expected, digest);
      if (options.expected && options.expected.size !== bytes.length) {
        throw new OcmError(ErrorCode.DIGEST_MISMATCH, `manifest ${this.reference}:${reference}: size ${bytes.length}, expected ${options.expected.size}`);
      }
      const mediaType = (header(res.headers, 'content-type') ?? '').split(';')[0]!.trim() || sniffMediaType(bytes);
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
    if (this.#client.fastBlobGet) {
      const auth = await this.#client.auth.headerFor(this.#auth, [repositoryScope(this.name, ['pull'])], signal);
      const fast = await fastGet(new URL(url), auth ? { ...headers, authorization: auth } : headers, signal);
      if (fast) res = { ...fast, url };
    }
    res ??= await this.#send({ method: 'GET', url, headers, signal }, ['pull']);
    if (offset === 0 && res.status === 200) return res;
    if (offset > 0 && res.status === 206) {
      const cr = header(res.headers, 'content-range') ?? '';
      const m = /^bytes (\d+)-/.exec(cr);
      if (m && Number(m[1]) === offset) return res;
      res.body.destroy();
      throw new OcmError(ErrorCode.REGISTRY_ERROR, `blob ${digest} of ${this.reference}: resume at ${offset} answered with range "${cr}"`);
    }
    if (offset > 0 && res.status === 200) {
      res.body.destroy();
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

  async listTags(options: OpOptions & { pageSize?: number } = {}): Promise<string[]> {
    const tags: string[] = [];
    let url: string | undefined = this.#url(`tags/list?n=${options.pageSize ?? 1000}`);
    for (let page = 0; url; page++) {
      if (page >= 10_000) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `tag list of ${this.reference}: more than 10000 pages`);
      const current: string = url;
      const { list, next } = await this.#retryingRead(options.signal, async () => {
        const res = await this.#send({ method: 'GET', url: current, signal: options.signal }, ['pull']);
        if (res.status === 404) {
          await res.body.dump().catch(() => undefined);
          return { list: [] as string[], next: undefined };
        }
        if (res.status !== 200) throw await statusError(res, `tag list of ${this.reference}`);
        const raw = await readAllBounded(res.body, Limits.manifest, `tag list of ${this.reference}`);
        const parsed = parseJson<{ tags?: string[] | null }>(raw, `tag list of ${this.reference}`);
        return { list: parsed.tags ?? [], next: nextLink(header(res.headers, 'link'), res.url) };
      });
      tags.push(...list.filter((t) => typeof t === 'string'));
      // Only follow links that stay on the registry origin.
      url = next && new URL(next).origin === new URL(current).origin ? next : undefined;
    }
    return tags;
  }

  /** The referrers index of `desc`, or undefined if the registry has no referrers API (404). */
  async referrers(desc: OciDescriptor, options: OpOptions & { artifactType?: string } = {}): Promise<ImageIndex | undefined> {
    const q = options.artifactType ? `?artifactType=${encodeURIComponent(options.artifactType)}` : '';
    const res = await this.#send({ method: 'GET', url: this.#url(`referrers/${desc.digest}${q}`), signal: options.signal }, ['pull']);
    if (res.status === 404) {
      await res.body.dump().catch(() => undefined);
      return undefined;
    }
    if (res.status !== 200) throw await statusError(res, `referrers of ${desc.digest} in ${this.reference}`);
    const raw = await readAllBounded(res.body, Limits.manifest, `referrers of ${this.reference}`);
    return parseJson<ImageIndex>(raw, `referrers of ${this.reference}`);
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
      if (await this.exists(desc, options)) return;
      await this.#putManifest(desc.digest, bytes, desc.mediaType, options.signal);
      return;
    }
    // The caller (a graph copy) may have checked just before: no second HEAD for the same blob.
    if (!options.existenceChecked && (await this.exists(desc, options))) {
      discard(content);
      return;
    }
    const { pushBlob } = await import('./upload.js');
    await pushBlob(this, desc, content, { signal: options.signal, chunkSize: this.#client.chunkSize, chunked: this.#client.chunkedUpload });
  }

  /** Stores a blob whose digest is not known in advance (chunked, hashed while sent; no spool file). */
  async ingest(content: Readable | AsyncIterable<Uint8Array>, options: { mediaType: string; size?: number } & OpOptions): Promise<OciDescriptor> {
    const { ingestBlob } = await import('./upload.js');
    return ingestBlob(this, content, { ...options, chunkSize: this.#client.chunkSize, chunked: this.#client.chunkedUpload });
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

  #remember(digest: string, bytes: Buffer, mediaType: string): void {
    this.#recent.set(digest, { bytes, mediaType });
    if (this.#recent.size > 32) this.#recent.delete(this.#recent.keys().next().value as string);
  }

  async mount(desc: OciDescriptor, fromRepository: string, options: OpOptions = {}): Promise<boolean> {
    const url = this.#url(`blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(fromRepository)}`);
    const res = await this.#send({ method: 'POST', url, headers: { 'content-length': '0' }, signal: options.signal }, ['pull', 'push'], [
      repositoryScope(fromRepository, ['pull']),
    ]);
    await res.body.dump().catch(() => undefined);
    if (res.status === 201) return true;
    if (res.status === 202) {
      // Not mounted: the registry opened an upload session; cancel it (best effort).
      const loc = header(res.headers, 'location');
      if (loc) await this.cancelUpload(new URL(loc, this.#url('')).href, options.signal);
      return false;
    }
    throw await statusError(res, `mount of ${desc.digest} from ${fromRepository} into ${this.reference}`);
  }

  // ---------------------------------------------------------------- upload primitives (used by upload.ts)

  /** `.../blobs/uploads/<query>` of this repository. */
  uploadsUrl(query = ''): string {
    return this.#url(`blobs/uploads/${query}`);
  }

  /** Whether this host accepted a single-POST monolithic upload (undefined: not tried yet). */
  get singlePostUpload(): boolean | undefined {
    return this.#client.singlePostUpload.get(this.host.host);
  }

  set singlePostUpload(value: boolean | undefined) {
    if (value !== undefined) this.#client.singlePostUpload.set(this.host.host, value);
  }

  /** Starts an upload session; returns the absolute Location. */
  async startUpload(signal?: AbortSignal): Promise<string> {
    const res = await this.#send({ method: 'POST', url: this.#url('blobs/uploads/'), headers: { 'content-length': '0' }, signal }, ['pull', 'push']);
    if (res.status !== 202 && res.status !== 201) throw await statusError(res, `blob upload to ${this.reference}`);
    await res.body.dump().catch(() => undefined);
    return this.#location(res);
  }

  /** Sends one upload request (PATCH/PUT/GET on a Location) without transport retries. */
  async uploadRequest(req: HttpRequest): Promise<HttpResponse> {
    return this.#send({ ...req, noRetry: true }, ['pull', 'push']);
  }

  #location(res: HttpResponse): string {
    const loc = header(res.headers, 'location');
    if (!loc) throw new OcmError(ErrorCode.REGISTRY_ERROR, `registry ${this.host.host} sent no Location for an upload of ${this.reference}`);
    return new URL(loc, res.url).href;
  }

  locationOf(res: HttpResponse): string {
    return this.#location(res);
  }

  async cancelUpload(location: string, signal?: AbortSignal): Promise<void> {
    try {
      const res = await this.uploadRequest({ method: 'DELETE', url: location, signal });
      await res.body.dump().catch(() => undefined);
    } catch {
      /* best effort */
    }
  }

  /** Redacted location, for errors. */
  static redact(url: string): string {
    return redact(url);
  }
}

function discard(content: Readable | AsyncIterable<Uint8Array>): void {
  const r = content as Readable;
  if (typeof r.destroy === 'function') r.destroy();
  else void (content as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]().return?.();
}

/** Manifests, indexes, tag lists: bounded in depth as well (the raw bytes are already size-bounded by the caller). */
function parseJson<T>(raw: Buffer, what: string): T {
  return parseJsonBounded(raw.toString('utf8'), { what, maxBytes: Math.max(raw.length, 1), allowBom: false }) as T;
}

/** `Link: <url>; rel="next"` → absolute URL. */
export function nextLink(link: string | undefined, base: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part.trim());
    if (m) return new URL(m[1]!, base).href;
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
