/**
 * Tar/tgz CTF archives: safe extraction into a working directory and streamed, atomic rewriting.
 * Extraction accepts only regular files and directories below the root: an archive we open can
 * never write outside its working directory (`..`, absolute names, links and devices are refused).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, posix, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import type * as TarStream from 'tar-stream';
import { commitFile, tempPathFor } from '../internal/atomic.js';
import { ErrorCode, OcmError, fromFsError, throwIfAborted } from '../runtime/errors.js';
import type { CtfFormat } from './format.js';

// tar-stream and zlib load when a tar/tgz CTF is read or written, not for CTF directories or
// registries (zlib alone is ~1% of the instructions of `ocm get cv` on a CTF directory).
const tarStream = (): typeof TarStream => createRequire(import.meta.url)('tar-stream') as typeof TarStream;

/** v1 writes every entry with this mtime (2022-01-01T00:00:00Z), which keeps archives reproducible. */
export const ARCHIVE_MTIME = new Date('2022-01-01T00:00:00Z');

export const INDEX_FILE = 'artifact-index.json';
export const BLOBS_DIR = 'blobs';
/**
 * Extra files at the CTF root that travel inside tar/tgz archives (after the index, before the
 * blobs). Readers that do not know them (Go tools read only the index and blobs/) ignore them.
 * `ocm-delta.json`: what a delta export left out (transfer/delta.ts).
 */
export const METADATA_FILES: readonly string[] = ['ocm-delta.json'];

/**
 * Normalises an archive entry name (drops `./` prefixes and a trailing `/`) and rejects names
 * that could leave the root. Returns '' for the root itself.
 */
export function safeEntryName(name: string, archive: string): string {
  const unsafe = (why: string): OcmError =>
    new OcmError(ErrorCode.UNSAFE_PATH, `archive ${archive}: entry "${name}" ${why}; refusing to extract it`, { details: { entry: name } });
  if (name.includes('\0')) throw unsafe('contains a NUL byte');
  const n = name.replace(/\\/g, '/');
  if (n.startsWith('/') || /^[A-Za-z]:/.test(n)) throw unsafe('is an absolute path');
  const parts = n.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe('contains a ".." path segment');
  return parts.join('/');
}

/** Extracts a tar or tgz archive into `dir` (which must exist). */
export async function extractArchive(archive: string, format: 'tar' | 'tgz', dir: string, options: { signal?: AbortSignal } = {}): Promise<void> {
  const root = resolve(dir);
  // Before any stream exists: an await between creating a stream and piping it could leave an error unhandled.
  const gunzip = format === 'tgz' ? (await import('node:zlib')).createGunzip : undefined;
  const extract = tarStream().extract();
  const stages: unknown[] = [createReadStream(archive)];
  if (gunzip) stages.push(gunzip());
  stages.push(extract);
  const feed = pipeline(stages as unknown as [Readable, ...NodeJS.WritableStream[]], options.signal ? { signal: options.signal } : {});
  feed.catch(() => {}); // Observed below; the loop's own error wins if both fail.
  const files = new Set<string>();
  try {
    for await (const entry of extract) {
      throwIfAborted(options.signal);
      const h = entry.header;
      const rel = safeEntryName(h.name, archive);
      const type = h.type ?? 'file';
      if (type === 'directory') {
        if (rel !== '') await mkdir(join(root, rel), { recursive: true });
        entry.resume();
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') {
        throw new OcmError(
          ErrorCode.UNSAFE_PATH,
          `archive ${archive}: entry "${h.name}" is a ${type}${h.linkname ? ` to "${h.linkname}"` : ''}; CTF archives may hold only regular files and directories`,
          { details: { entry: h.name, type } },
        );
      }
      if (rel === '') throw safeEntryError(archive, h.name);
      // tar lets a later entry replace an earlier one; in a CTF that would make what a reader sees depend on the tool.
      if (files.has(rel)) {
        throw new OcmError(ErrorCode.VALIDATION_FAILED, `archive ${archive}: entry "${rel}" appears twice; the archive is ambiguous, rebuild it`, { details: { entry: rel } });
      }
      files.add(rel);
      const target = join(root, rel);
      if (!target.startsWith(root + sep)) throw safeEntryError(archive, h.name);
      await mkdir(dirname(target), { recursive: true });
      await pipeline(entry as unknown as Readable, createWriteStream(target, { mode: 0o644 }));
    }
    await feed;
  } catch (e) {
    await feed.catch(() => {});
    throw archiveError(e, archive);
  }
}

function safeEntryError(archive: string, name: string): OcmError {
  return new OcmError(ErrorCode.UNSAFE_PATH, `archive ${archive}: entry "${name}" has no usable file name`, { details: { entry: name } });
}

/** Maps tar/gzip/fs failures to the catalogue. */
function archiveError(e: unknown, archive: string): OcmError {
  if (e instanceof OcmError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err?.name === 'AbortError') return new OcmError(ErrorCode.ABORTED, 'operation aborted', { cause: e });
  if (err?.code && /^(ENOENT|EACCES|EPERM|ENOSPC|EISDIR|ENOTDIR)$/.test(err.code)) return fromFsError(e, `archive ${archive}`);
  return new OcmError(ErrorCode.PARSE_ERROR, `archive ${archive} is not a valid tar${err?.code?.startsWith('Z_') ? '/gzip' : ''} archive: ${err?.message ?? String(e)}`, { cause: e });
}

/** Regular files of a CTF working directory in archive order: the index first, metadata files, then blobs sorted. */
async function archiveFiles(dir: string): Promise<string[]> {
  const files = [INDEX_FILE];
  for (const m of METADATA_FILES) {
    const st = await stat(join(dir, m)).catch(() => undefined);
    if (st?.isFile()) files.push(m);
  }
  let names: string[] = [];
  try {
    names = await readdir(join(dir, BLOBS_DIR));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fromFsError(e, join(dir, BLOBS_DIR));
  }
  // Ingest temp files start with '.', and are never part of the CTF.
  for (const n of names.filter((x) => !x.startsWith('.')).sort()) files.push(posix.join(BLOBS_DIR, n));
  return files;
}

/**
 * Writes the CTF in `dir` as a tar (or tgz) to `target`: temp file next to the target, fsync,
 * rename. Entries are streamed; on failure the temp file is removed and `target` is untouched.
 */
export async function writeArchive(dir: string, target: string, format: CtfFormat, options: { signal?: AbortSignal } = {}): Promise<void> {
  if (format === 'directory') throw new OcmError(ErrorCode.INTERNAL, 'writeArchive called for a directory CTF');
  await mkdir(dirname(resolve(target)), { recursive: true }).catch((e: unknown) => {
    throw fromFsError(e, `CTF ${target}`);
  });
  const tmp = tempPathFor(target);
  const gzip = format === 'tgz' ? (await import('node:zlib')).createGzip : undefined;
  const pack = tarStream().pack();
  const out = createWriteStream(tmp, { mode: 0o644 });
  const stages: unknown[] = [pack];
  if (gzip) stages.push(gzip());
  stages.push(out);
  try {
    const done = pipeline(stages as unknown as [Readable, ...NodeJS.WritableStream[]], options.signal ? { signal: options.signal } : {});
    const write = (async () => {
      try {
        for (const rel of await archiveFiles(dir)) {
          throwIfAborted(options.signal);
          const file = join(dir, rel);
          const st = await stat(file);
          if (!st.isFile()) continue;
          const size = st.size;
          const header: Parameters<TarStream.Pack["entry"]>[0] = { name: rel, mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: ARCHIVE_MTIME, size, type: 'file' };
          await new Promise<void>((res, rej) => {
            const sink = pack.entry(header, (err) => (err ? rej(err) : res()));
            pipeline(createReadStream(file), sink as unknown as NodeJS.WritableStream).catch(rej);
          });
        }
        pack.finalize();
      } catch (e) {
        pack.destroy(e as Error);
        throw e;
      }
    })();
    await Promise.all([done, write]);
    await commitFile(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    if (e instanceof OcmError) throw e;
    if ((e as Error)?.name === 'AbortError') throw new OcmError(ErrorCode.ABORTED, 'operation aborted', { cause: e });
    throw fromFsError(e, `CTF ${target}`);
  }
}
