/**
 * A Common Transport Format archive as an OCI `RepositoryStore`: many repositories sharing one
 * flat blob directory and one `artifact-index.json` (shared/spec/model-and-formats.md §3).
 * Directories are used in place; tar/tgz archives are extracted into a private working directory
 * and rewritten atomically on `close()` if anything changed.
 */
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { sweepStaleTemps, writeFileAtomic } from '../internal/atomic.js';
import { Limits, parseDigest, readAllBounded } from '../digest/digest.js';
import type { OciDescriptor, OpOptions, RepositoryStore, Target, TagLister } from '../oci/content/types.js';
import { ErrorCode, NotFoundError, OcmError, fromFsError, throwIfAborted } from '../runtime/errors.js';
import { ArtifactIndex, parseArtifactIndex, serializeArtifactIndex } from './artifact-index.js';
import { BLOBS_DIR, INDEX_FILE, METADATA_FILES, extractArchive, writeArchive } from './archive.js';
import { makeWorkDir } from './workdir.js';
import { writeSmallFileAtomic } from './small-io.js';
import { detectCtfFormat, formatForPath, type CtfFormat } from './format.js';
import { CtfRepository } from './repository.js';

export { CtfRepository };

export interface OpenCtfOptions {
  /** Variant of a NEW archive (default: by extension). Existing archives are read by content. */
  format?: CtfFormat;
  /** Create the CTF if it does not exist. */
  create?: boolean;
  readOnly?: boolean;
  signal?: AbortSignal;
}

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export class CtfStore implements RepositoryStore {
  /** The CTF as given (directory or archive file). */
  readonly path: string;
  readonly format: CtfFormat;
  readonly readOnly: boolean;
  /** Where the CTF content lives while open (the directory itself, or a private extraction). */
  readonly #root: string;
  readonly #index: ArtifactIndex;
  #dirty: boolean;
  #closed = false;
  /** Index changes not yet written to disk. */
  #unsaved = 0;
  /** Sizes of blobs seen on disk in this session (blobs are immutable; fetch still checks every byte). */
  readonly #known = new Map<string, number>();
  /** Serialises index writes so concurrent pushes never interleave them. */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(path: string, format: CtfFormat, root: string, index: ArtifactIndex, opts: { readOnly: boolean; dirty: boolean }) {
    this.path = path;
    this.format = format;
    this.#root = root;
    this.#index = index;
    this.readOnly = opts.readOnly;
    this.#dirty = opts.dirty;
  }

  repository(name: string): Target & TagLister & CtfRepository {
    if (!name || name.startsWith('/') || name.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid repository name "${name}" for CTF ${this.path}`);
    }
    return new CtfRepository(this, name);
  }

  /**
   * Sets every tag (in order) with one index change, persisted once: all become visible together.
   * Every tag is checked (grammar, manifest present) before any is applied.
   */
  async tagMany(tags: readonly { repository: string; tag: string; desc: OciDescriptor }[], options: OpOptions = {}): Promise<void> {
    this.assertUsable(true);
    throwIfAborted(options.signal);
    for (const { repository, tag, desc } of tags) {
      const repo = this.repository(repository);
      if (!TAG_RE.test(tag)) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid tag "${tag}": OCI tags match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`);
      if (!(await repo.stat(desc.digest))) throw new NotFoundError(`cannot tag ${tag}: blob ${desc.digest} of ${repository} in CTF ${this.path} not found`);
    }
    await this.mutateIndex((idx) => tags.reduce((changed, t) => idx.tag(t.repository, t.tag, t.desc.digest, t.desc.mediaType) || changed, false));
  }

  async listRepositories(_options?: OpOptions): Promise<string[]> {
    return this.#index.repositories();
  }

  /** A metadata file at the CTF root (`METADATA_FILES`), or undefined when absent. Small by design (≤ the index limit). */
  async readMetadata(name: string, _options: OpOptions = {}): Promise<Buffer | undefined> {
    this.assertUsable(false);
    const file = this.#metadataPath(name);
    try {
      return await readAllBounded(createReadStream(file), Limits.index, `CTF ${this.path}: ${name}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fromFsError(e, `CTF ${this.path}: ${name}`);
    }
  }

  /** Writes a metadata file atomically; a tar/tgz archive carries it from the next `close()` on. */
  async writeMetadata(name: string, bytes: Uint8Array | string, options: OpOptions = {}): Promise<void> {
    this.assertUsable(true);
    throwIfAborted(options.signal);
    await writeFileAtomic(this.#metadataPath(name), bytes);
    this.#dirty = true;
  }

  #metadataPath(name: string): string {
    if (!METADATA_FILES.includes(name)) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `"${name}" is not a CTF metadata file (${METADATA_FILES.join(', ')})`);
    return join(this.#root, name);
  }

  /** A copy of the index entries (for inspection and tests). */
  entries(): { repository: string; tag?: string; digest: string; mediaType?: string }[] {
    return this.#index.entries.map((e) => ({ ...e }));
  }

  /** Writes a changed tar/tgz archive back atomically and removes the working directory. Idempotent. */
  async close(options: OpOptions = {}): Promise<void> {
    if (this.#closed) return;
    await this.#chain.catch(() => {});
    try {
      if (!this.readOnly) await this.#flushIndex();
      if (this.format !== 'directory' && this.#dirty && !this.readOnly) {
        await writeArchive(this.#root, this.path, this.format, options);
        this.#dirty = false;
      }
    } finally {
      this.#closed = true;
      if (this.format !== 'directory') await rm(this.#root, { recursive: true, force: true });
    }
  }

  /**
   * Releases the CTF without writing what is pending (used when an operation failed): an archive
   * is not rewritten and untagged index entries are not flushed, so the index stays as it was;
   * tags set before were persisted already. Blobs written to a directory CTF stay, unreferenced.
   */
  async discard(): Promise<void> {
    if (this.#closed) return;
    await this.#chain.catch(() => {});
    this.#closed = true;
    if (this.format !== 'directory') await rm(this.#root, { recursive: true, force: true });
  }

  // ---- internals used by CtfRepository -------------------------------------------------

  /** @internal */
  blobPath(digest: string): string {
    const d = parseDigest(digest);
    return join(this.#root, BLOBS_DIR, `${d.algorithm}.${d.hex}`);
  }

  #blobDir: Promise<unknown> | undefined;

  /** @internal Creates the blob directory once per session. */
  ensureBlobDir(): Promise<unknown> {
    this.#blobDir ??= mkdir(join(this.#root, BLOBS_DIR), { recursive: true });
    this.#blobDir.catch(() => (this.#blobDir = undefined));
    return this.#blobDir;
  }

  /** @internal Size of a blob known to be present, if any. */
  knownSize(digest: string): number | undefined {
    return this.#known.get(digest);
  }

  /** @internal */
  remember(digest: string, size: number | undefined): void {
    if (size === undefined) this.#known.delete(digest);
    else this.#known.set(digest, size);
  }

  /** @internal */
  get index(): ArtifactIndex {
    return this.#index;
  }

  /** @internal */
  assertUsable(write: boolean): void {
    if (this.#closed) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `CTF ${this.path} is already closed`);
    if (write && this.readOnly) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `CTF ${this.path} is opened read-only; open it writable to change it`);
  }

  /**
   * @internal Applies an index change. A tag change is persisted at once (directories; archives
   * on close); an untagged manifest entry (`persist: false`) is only recorded and written with the
   * next persisted change or on close: a crash in between leaves a blob nobody names, never a
   * name without its blob. Writes queued behind one another are coalesced into one.
   */
  async mutateIndex(change: (idx: ArtifactIndex) => boolean, opts: { persist?: boolean } = {}): Promise<void> {
    if (!change(this.#index)) return;
    this.#dirty = true;
    this.#unsaved++;
    if (opts.persist === false) return;
    await this.#flushIndex();
  }

  /** Writes the index if it has unsaved changes; serialised, and one write covers every change made before it started. */
  #flushIndex(): Promise<void> {
    const run = this.#chain.then(async () => {
      if (this.#unsaved === 0) return;
      const n = this.#unsaved;
      const text = serializeArtifactIndex(this.#index.entries);
      await writeSmallFileAtomic(join(this.#root, INDEX_FILE), text);
      this.#unsaved -= n;
    });
    this.#chain = run.catch(() => {});
    return run;
  }
}

/** One repository of a CTF. Blobs are shared by all repositories of the archive. */
/** Opens (or creates) a CTF directory, tar or tgz archive. */
export async function openCtf(path: string, options: OpenCtfOptions = {}): Promise<CtfStore> {
  throwIfAborted(options.signal);
  const readOnly = options.readOnly ?? false;
  let exists = true;
  try {
    await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fromFsError(e, `CTF ${path}`);
    exists = false;
  }
  if (!exists) {
    if (!options.create || readOnly) throw new NotFoundError(`CTF ${path} does not exist; create it or check the path`, { details: { path } });
    const format = options.format ?? formatForPath(path);
    if (format === 'directory') {
      await mkdir(join(path, BLOBS_DIR), { recursive: true });
      await writeFileAtomic(join(path, INDEX_FILE), serializeArtifactIndex([]));
      return new CtfStore(path, format, path, new ArtifactIndex(), { readOnly, dirty: false });
    }
    // A first write killed midway leaves a temp file but no archive: sweep on create too.
    await sweepCtfTemps(path, format);
    const work = await makeWorkDir();
    await mkdir(join(work, BLOBS_DIR));
    await writeFileAtomic(join(work, INDEX_FILE), serializeArtifactIndex([]));
    return new CtfStore(path, format, work, new ArtifactIndex(), { readOnly, dirty: true });
  }

  const format = await detectCtfFormat(path, options);
  if (!readOnly) await sweepCtfTemps(path, format);
  if (format === 'directory') {
    const indexFile = join(path, INDEX_FILE);
    let entries: ReturnType<typeof parseArtifactIndex>;
    try {
      entries = await readIndex(indexFile, `CTF ${path}: ${INDEX_FILE}`);
    } catch (e) {
      if (!(e instanceof OcmError && e.code === ErrorCode.NOT_FOUND) || !options.create || readOnly) throw e;
      // An existing empty directory becomes a CTF when asked to create one.
      await mkdir(join(path, BLOBS_DIR), { recursive: true });
      await writeFileAtomic(indexFile, serializeArtifactIndex([]));
      entries = [];
    }
    return new CtfStore(path, format, path, new ArtifactIndex(entries), { readOnly, dirty: false });
  }

  const work = await makeWorkDir();
  try {
    await extractArchive(path, format, work, options);
    await mkdir(join(work, BLOBS_DIR), { recursive: true });
    const entries = await readIndex(join(work, INDEX_FILE), `CTF ${path}: ${INDEX_FILE}`);
    return new CtfStore(path, format, work, new ArtifactIndex(entries), { readOnly, dirty: false });
  } catch (e) {
    await rm(work, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Removes temp files that killed writers left in this CTF (`blobs/*.tmp-<pid>-*`, the index's) or
 * next to this archive (`.<name>.tmp-<pid>-*`, as large as the archive). Only on writable opens:
 * one readdir, which read-only commands need not pay.
 */
async function sweepCtfTemps(path: string, format: CtfFormat): Promise<void> {
  if (format === 'directory') {
    await sweepStaleTemps(path, (n) => n.startsWith(`.${INDEX_FILE}.tmp-`));
    await sweepStaleTemps(join(path, BLOBS_DIR));
  } else {
    const prefix = `.${basename(path)}.tmp-`;
    await sweepStaleTemps(dirname(resolve(path)), (n) => n.startsWith(prefix));
  }
}

async function readIndex(file: string, what: string): Promise<ReturnType<typeof parseArtifactIndex>> {
  let text: string;
  try {
    const st = await stat(file);
    if (st.size > Limits.index) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `${what} exceeds the limit of ${Limits.index} bytes`);
    text = (await readAllBounded(createReadStream(file), Limits.index, what)).toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`${what} is missing: not a CTF`, { cause: e });
    throw fromFsError(e, what);
  }
  return parseArtifactIndex(text, what);
}
