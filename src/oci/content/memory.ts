/**
 * An in-memory `RepositoryStore` for unit tests and small metadata work. Blobs are shared across
 * repositories of one store (like a registry's content store) but each repository only "has" what
 * was pushed or mounted into it, so skip/mount logic can be observed. It verifies digest and size
 * on push like every real medium must.
 */
import { Readable, pipeline } from 'node:stream';
import { digestOf, readAllBounded, verifying } from '../../digest/digest.js';
import { ErrorCode, NotFoundError, OcmError, throwIfAborted } from '../../runtime/errors.js';
import { isManifestMediaType } from './media-types.js';
import type { FetchOptions, Mounter, OciDescriptor, OpOptions, RepositoryStore, TagLister, Target } from './types.js';

/** Counters a test can assert on. */
export interface MemoryStats {
  pushes: number;
  pushedBytes: number;
  fetches: number;
  mounts: number;
  exists: number;
}

export class MemoryRepository implements Target, TagLister, Mounter {
  readonly name: string;
  readonly #store: MemoryStore;
  readonly #has = new Set<string>();
  readonly #manifestMediaTypes = new Map<string, string>();
  readonly #tags = new Map<string, OciDescriptor>();

  constructor(store: MemoryStore, name: string) {
    this.#store = store;
    this.name = name;
  }

  async fetch(desc: OciDescriptor, options: FetchOptions = {}): Promise<Readable> {
    throwIfAborted(options.signal);
    this.#store.stats.fetches++;
    const bytes = this.#has.has(desc.digest) ? this.#store.content.get(desc.digest) : undefined;
    if (!bytes) throw new NotFoundError(`${this.name}: content ${desc.digest} not found`);
    if (options.unverified) return Readable.from([bytes]);
    // the Fetcher contract: what is returned matches the descriptor (tests corrupt stored bytes)
    const check = verifying({ digest: desc.digest, size: desc.size, what: `${this.name}: ${desc.digest}` });
    return pipeline(Readable.from([bytes]), check, () => {});
  }

  async exists(desc: OciDescriptor, options: OpOptions = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    this.#store.stats.exists++;
    return this.#has.has(desc.digest);
  }

  async push(desc: OciDescriptor, content: Readable | AsyncIterable<Uint8Array>, options: OpOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    const check = verifying({ digest: desc.digest, size: desc.size, what: `${this.name}: ${desc.digest}` });
    const src = content instanceof Readable ? content : Readable.from(content);
    pipeline(src, check, () => {}); // errors surface through `check`
    const bytes = await readAllBounded(check, Number.MAX_SAFE_INTEGER, desc.digest);
    this.#store.content.set(desc.digest, bytes);
    this.#has.add(desc.digest);
    if (isManifestMediaType(desc.mediaType)) this.#manifestMediaTypes.set(desc.digest, desc.mediaType);
    this.#store.stats.pushes++;
    this.#store.stats.pushedBytes += bytes.length;
  }

  async resolve(reference: string, options: OpOptions = {}): Promise<OciDescriptor> {
    throwIfAborted(options.signal);
    const tagged = this.#tags.get(reference);
    if (tagged) return tagged;
    const mt = this.#manifestMediaTypes.get(reference);
    const bytes = this.#store.content.get(reference);
    if (mt && bytes && this.#has.has(reference)) return { mediaType: mt, digest: reference, size: bytes.length };
    throw new NotFoundError(`${this.name}: reference "${reference}" not found`);
  }

  async tag(desc: OciDescriptor, tag: string, options: OpOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    if (!this.#has.has(desc.digest)) {
      throw new OcmError(ErrorCode.NOT_FOUND, `${this.name}: cannot tag ${tag}: manifest ${desc.digest} was not pushed`);
    }
    this.#tags.set(tag, { mediaType: desc.mediaType, digest: desc.digest, size: desc.size });
  }

  async listTags(): Promise<string[]> {
    return [...this.#tags.keys()].sort();
  }

  async mount(desc: OciDescriptor, fromRepository: string, options: OpOptions = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    const from = this.#store.peek(fromRepository);
    if (!from || !(await from.exists(desc))) return false;
    this.#has.add(desc.digest);
    this.#store.stats.mounts++;
    return true;
  }

  /** Test helper: forget a piece of content (simulates a partially copied target). */
  forget(digest: string): void {
    this.#has.delete(digest);
  }
}

export class MemoryStore implements RepositoryStore {
  readonly content = new Map<string, Buffer>();
  readonly stats: MemoryStats = { pushes: 0, pushedBytes: 0, fetches: 0, mounts: 0, exists: 0 };
  readonly #repos = new Map<string, MemoryRepository>();

  repository(name: string): MemoryRepository {
    let r = this.#repos.get(name);
    if (!r) {
      r = new MemoryRepository(this, name);
      this.#repos.set(name, r);
    }
    return r;
  }

  /** The repository if it was ever used, without creating it. */
  peek(name: string): MemoryRepository | undefined {
    return this.#repos.get(name);
  }

  async listRepositories(): Promise<string[]> {
    return [...this.#repos.keys()].sort();
  }

  async close(): Promise<void> {}
}

/** Pushes in-memory bytes (metadata or small test blobs) and returns their descriptor. */
export async function pushBytes(target: Target, mediaType: string, bytes: Uint8Array | string, options: OpOptions = {}): Promise<OciDescriptor> {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes);
  const desc: OciDescriptor = { mediaType, digest: digestOf(buf), size: buf.length };
  await target.push(desc, Readable.from([buf]), options);
  return desc;
}
