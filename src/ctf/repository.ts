/**
 * One repository of a CTF (`CtfStore.repository(name)`): an OCI `Target` over the shared flat
 * blob directory and the index entries with this repository name.
 */
import { statSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream';
import { streamToFileAtomic, tempPathFor, writeFileAtomic } from '../internal/atomic.js';
import { DigestingStream, Limits, readAllBounded, verifying, type VerifyExpectation } from '../digest/digest.js';
import { isManifestMediaType, MediaType } from '../oci/content/media-types.js';
import type { FetchOptions, OciDescriptor, OpOptions, Target, TagLister } from '../oci/content/types.js';
import { ErrorCode, NotFoundError, OcmError, fromFsError, throwIfAborted } from '../runtime/errors.js';
import { entryMediaType } from './artifact-index.js';
import { SYNC_READ_MAX, checkBytes, readAtMost, readUpTo, readUpToSync, verifiedBytes, writeSmallFileAtomic } from './small-io.js';
import type { CtfStore } from './store.js';

/** Blobs up to this size are read with one right-sized read (up to SYNC_READ_MAX synchronously). */
const SMALL_BLOB = 1024 * 1024;
/** Read buffer for larger blobs. */
const BIG_READ = 1024 * 1024;

/** Verifies digest and size while streaming, and stops at the next chunk once `signal` aborted. */
class AbortableVerify extends DigestingStream {
  readonly #signal: AbortSignal | undefined;
  constructor(expect: VerifyExpectation, signal: AbortSignal | undefined) {
    super(expect);
    this.#signal = signal;
  }
  override _transform(chunk: Buffer, enc: BufferEncoding, cb: TransformCallback): void {
    if (this.#signal?.aborted) {
      cb(new OcmError(ErrorCode.ABORTED, 'operation aborted'));
      return;
    }
    super._transform(chunk, enc, cb);
  }
}

/** OCI tag grammar. */
export class CtfRepository implements Target, TagLister {
  readonly #store: CtfStore;
  readonly name: string;
  /** `push` checks for the blob itself (the OCI mapping then skips its `exists` call). */
  readonly pushSkipsPresent = true;

  constructor(store: CtfStore, name: string) {
    this.#store = store;
    this.name = name;
  }

  #what(desc: OciDescriptor): string {
    return `blob ${desc.digest} of ${this.name} in CTF ${this.#store.path}`;
  }

  async exists(desc: OciDescriptor, _options?: OpOptions): Promise<boolean> {
    this.#store.assertUsable(false);
    return (await this.stat(desc.digest)) !== undefined;
  }

  /** Size of a stored blob, or undefined when absent. */
  async stat(digest: string, _options?: OpOptions): Promise<{ size: number } | undefined> {
    const known = this.#store.knownSize(digest);
    if (known !== undefined) return { size: known };
    const path = this.#store.blobPath(digest);
    try {
      // Synchronous like small reads (see small-io.ts); no exception object for the common "absent".
      const s = statSync(path, { throwIfNoEntry: false });
      if (!s?.isFile()) return undefined;
      this.#store.remember(digest, s.size);
      return { size: s.size };
    } catch (e) {
      throw fromFsError(e, path);
    }
  }

  async fetch(desc: OciDescriptor, options: FetchOptions = {}): Promise<Readable> {
    this.#store.assertUsable(false);
    throwIfAborted(options.signal);
    const path = this.#store.blobPath(desc.digest);
    const what = this.#what(desc);
    const notFound = (e: unknown): Error => {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return fromFsError(e, path);
      this.#store.remember(desc.digest, undefined);
      return new NotFoundError(`${what} not found`, { details: { digest: desc.digest } });
    };
    // The file name is a claim, not a proof: every byte is checked against the descriptor.
    if (desc.size >= 0 && desc.size <= SYNC_READ_MAX) {
      let bytes: Buffer;
      try {
        bytes = readUpToSync(path, desc.size + 1);
      } catch (e) {
        throw notFound(e);
      }
      return verifiedBytes(bytes, { digest: desc.digest, size: desc.size, what });
    }
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      throw notFound(e);
    }
    if (desc.size >= 0 && desc.size <= SMALL_BLOB) {
      // Up to 1 MiB: one read into a right-sized buffer instead of a 1 MiB stream buffer, and no
      // stream machinery or signal listener per read.
      let bytes: Buffer;
      try {
        bytes = await readUpTo(fh, desc.size + 1);
      } catch (e) {
        throw fromFsError(e, path);
      } finally {
        await fh.close();
      }
      throwIfAborted(options.signal);
      return verifiedBytes(bytes, { digest: desc.digest, size: desc.size, what });
    }
    // No `signal` on the file stream: each would add an abort listener to the caller's signal
    // (16 concurrent reads exceed Node's listener warning). The verifier checks it per chunk.
    const src = fh.createReadStream({ highWaterMark: BIG_READ });
    // A caller that verifies itself (a copy into a Pusher) gets the size check only: one hash per copy.
    const expect = { digest: desc.digest, size: desc.size, what, ...(options.unverified ? { sizeOnly: true } : {}) };
    return pipeline(src, new AbortableVerify(expect, options.signal), () => {});
  }

  async push(desc: OciDescriptor, content: Readable | AsyncIterable<Uint8Array>, options: OpOptions = {}): Promise<void> {
    this.#store.assertUsable(true);
    const path = this.#store.blobPath(desc.digest);
    // A small blob this session has not seen is written without asking the disk first: blobs are
    // content-addressed, so rewriting an existing one changes nothing, while a lookup in a
    // directory that is being written to waits for its lock (hundreds of them in a recursive sign).
    const small = desc.size >= 0 && desc.size <= SYNC_READ_MAX;
    if (small ? this.#store.knownSize(desc.digest) !== undefined : await this.stat(desc.digest)) {
      if (content instanceof Readable) content.destroy();
    } else {
      await this.#store.ensureBlobDir();
      // Ingest temp → verify → rename: a blob is never visible under its digest before it was checked.
      if (desc.size >= 0 && desc.size <= SMALL_BLOB) {
        // Small content (manifests, configs, descriptor layers): checked in memory, then one atomic write.
        const bytes = await readAtMost(content, desc.size + 1);
        const problem = checkBytes(bytes, { digest: desc.digest, size: desc.size, what: this.#what(desc) });
        if (problem) throw problem;
        if (bytes.length <= SYNC_READ_MAX) await writeSmallFileAtomic(path, bytes);
        else await writeFileAtomic(path, bytes);
      } else {
        await streamToFileAtomic(path, content, [verifying({ digest: desc.digest, size: desc.size, what: this.#what(desc) })], options);
      }
      this.#store.remember(desc.digest, desc.size);
    }
    if (isManifestMediaType(desc.mediaType)) {
      await this.#store.mutateIndex((idx) => idx.addManifest(this.name, desc.digest, desc.mediaType), { persist: false });
    }
  }

  /**
   * Stores content whose digest is not known in advance: streamed into an ingest file while
   * hashing, then renamed to its digest. Returns the descriptor.
   */
  async ingest(content: Readable | AsyncIterable<Uint8Array>, opts: { mediaType: string; size?: number } & OpOptions): Promise<OciDescriptor> {
    this.#store.assertUsable(true);
    const blobs = join(this.#store.blobPath(`sha256:${'0'.repeat(64)}`), '..');
    await mkdir(blobs, { recursive: true });
    const tmp = tempPathFor(join(blobs, 'ingest'));
    const v = verifying({ ...(opts.size !== undefined ? { size: opts.size } : {}), what: `content for ${this.name} in CTF ${this.#store.path}` });
    try {
      await streamToFileAtomic(tmp, content, [v], opts);
      await rename(tmp, this.#store.blobPath(v.digest));
      this.#store.remember(v.digest, v.size);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    const desc = { mediaType: opts.mediaType, digest: v.digest, size: v.size };
    if (isManifestMediaType(desc.mediaType)) await this.#store.mutateIndex((idx) => idx.addManifest(this.name, desc.digest, desc.mediaType), { persist: false });
    return desc;
  }

  async resolve(reference: string, options: OpOptions = {}): Promise<OciDescriptor> {
    this.#store.assertUsable(false);
    throwIfAborted(options.signal);
    const isDigestRef = /^[a-z0-9]+:[a-f0-9]+$/.test(reference);
    const entry = isDigestRef ? this.#store.index.findDigest(this.name, reference) : this.#store.index.find(this.name, reference);
    const digest = entry?.digest ?? (isDigestRef ? reference : undefined);
    const st = digest ? await this.stat(digest) : undefined;
    if (!digest || !st) {
      throw new NotFoundError(`${isDigestRef ? 'manifest' : 'tag'} "${reference}" not found in repository ${this.name} of CTF ${this.#store.path}`, {
        details: { repository: this.name, reference },
      });
    }
    let mediaType = entry ? entryMediaType(entry) : undefined;
    if (!mediaType) mediaType = await this.#sniffMediaType(digest, st.size, options);
    return { mediaType, digest, size: st.size };
  }

  /** A manifest reached by digest only (e.g. inside an index): its own `mediaType` field says what it is. */
  async #sniffMediaType(digest: string, size: number, options: OpOptions): Promise<string> {
    if (size > Limits.manifest) return MediaType.octetStream;
    const bytes = await readAllBounded(await this.fetch({ mediaType: MediaType.octetStream, digest, size }, options), Limits.manifest);
    try {
      const doc = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown; manifests?: unknown };
      if (typeof doc.mediaType === 'string') return doc.mediaType;
      return Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
    } catch {
      return MediaType.octetStream;
    }
  }

  async tag(desc: OciDescriptor, tag: string, options: OpOptions = {}): Promise<void> {
    await this.#store.tagMany([{ repository: this.name, tag, desc }], options);
  }

  async listTags(_options?: OpOptions): Promise<string[]> {
    this.#store.assertUsable(false);
    return this.#store.index.tags(this.name);
  }
}
