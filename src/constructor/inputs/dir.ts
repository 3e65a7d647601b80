/**
 * `Dir/v1` (aliases `Dir`, `dir`, `dir/v1`): a directory as a tar stream (optionally gzipped).
 *
 * Like the Go input: entries in name order, names relative to the directory (prefixed with the
 * directory's own name under `preserveDir`), `excludeFiles`/`includeFiles` are Go `path.Match`
 * globs tested against that relative name (exclude wins; a directory that is not selected is
 * not descended into). `reproducible` fixes mtime, owner and permission bits so the same tree
 * always gives the same digest. Symlinks are stored as links, never followed (no content from
 * outside the directory can leak in). The tar is produced while it is read; nothing is buffered.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import tar, { type Header } from 'tar-stream';

type TarHeader = Partial<Header> & Pick<Header, 'name'>;
import type { OpenOptions, ReadOnlyBlob } from '../../blob/blob.js';
import type { TypedSpec } from '../../descriptor/types.js';
import { ErrorCode, OcmError, fromFsError } from '../../runtime/errors.js';
import { compileGlob, resolveInside } from '../paths.js';
import type { InputContext, InputMethod, InputResult } from '../types.js';
import { maybeCompress, optBool, optString, optStringList, reqString, noCredentials } from './common.js';

interface DirOptions {
  readonly root: string;
  readonly subDir: string;
  readonly include: RegExp[];
  readonly exclude: RegExp[];
  readonly reproducible: boolean;
}

const EPOCH = new Date(0);

async function options(input: TypedSpec, ctx: InputContext): Promise<DirOptions> {
  const path = reqString(input, 'path');
  optString(input, 'mediaType');
  optBool(input, 'compress');
  optBool(input, 'followSymlinks');
  const compile = (field: string) => optStringList(input, field).map(compileGlob);
  const include = compile('includeFiles');
  const exclude = compile('excludeFiles');
  const real = await resolveInside(ctx.baseDir, path);
  const s = await stat(real).catch((e: unknown) => {
    throw fromFsError(e, `input path "${path}"`);
  });
  if (!s.isDirectory()) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `input path "${path}" is not a directory: use input type file for single files`);
  const preserve = optBool(input, 'preserveDir');
  return {
    root: preserve ? dirname(real) : real,
    subDir: preserve ? basename(real) : '',
    include,
    exclude,
    reproducible: optBool(input, 'reproducible'),
  };
}

function selected(rel: string, o: DirOptions): boolean {
  if (o.exclude.some((g) => g.test(rel))) return false;
  return o.include.length === 0 || o.include.some((g) => g.test(rel));
}

function writeEntry(pack: tar.Pack, header: TarHeader): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
}

async function writeFile(pack: tar.Pack, header: TarHeader, abs: string, out: Readable, signal?: AbortSignal): Promise<void> {
  let entry!: ReturnType<tar.Pack['entry']>;
  // The executor runs synchronously, so `entry` is set before use.
  const done = new Promise<void>((res, rej) => {
    entry = pack.entry(header, (err) => (err ? rej(err) : res()));
  });
  done.catch(() => {});
  // Failures arrive through the entry callback; the sink's own error event would go unhandled.
  entry.on('error', () => {});
  const src = createReadStream(abs, { signal, highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of src) {
      if (out.destroyed) {
        src.destroy();
        return;
      }
      if (!entry.write(chunk as Buffer)) {
        // Wait for the reader; give up when it went away.
        await new Promise<void>((r) => {
          entry.once('drain', r);
          out.once('close', r);
        });
      }
    }
  } catch (e) {
    entry.destroy(e as Error);
    throw fromFsError(e, abs);
  }
  entry.end(null);
  await done;
}

async function walk(pack: tar.Pack, o: DirOptions, rel: string, out: Readable, signal?: AbortSignal): Promise<void> {
  const dirAbs = join(o.root, rel);
  const names = (await readdir(dirAbs)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    if (out.destroyed || signal?.aborted) return;
    const entryRel = rel ? `${rel}/${name}` : name;
    if (!selected(entryRel, o)) continue;
    const abs = join(dirAbs, name);
    const s = await lstat(abs);
    const header: TarHeader = o.reproducible
      ? { name: entryRel, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '', mode: s.isDirectory() || s.mode & 0o111 ? 0o755 : 0o644 }
      : { name: entryRel, mtime: s.mtime, uid: s.uid, gid: s.gid, mode: s.mode & 0o7777 };
    if (s.isFile()) {
      await writeFile(pack, { ...header, type: 'file', size: s.size }, abs, out, signal);
    } else if (s.isDirectory()) {
      await writeEntry(pack, { ...header, type: 'directory' });
      await walk(pack, o, entryRel, out, signal);
    } else if (s.isSymbolicLink()) {
      await writeEntry(pack, { ...header, type: 'symlink', linkname: await readlink(abs) });
    } else {
      throw new OcmError(ErrorCode.UNSUPPORTED, `dir input: ${entryRel} is neither a file, a directory nor a symlink; exclude it with excludeFiles`);
    }
  }
}

function dirBlob(o: DirOptions): ReadOnlyBlob {
  return {
    async open(opts?: OpenOptions): Promise<Readable> {
      const pack = tar.pack();
      const out = new PassThrough({ highWaterMark: 256 * 1024 });
      pack.on('error', (e: Error) => out.destroy(e));
      pack.pipe(out);
      out.once('close', () => {
        if (!pack.destroyed) pack.destroy();
      });
      walk(pack, o, o.subDir, out, opts?.signal).then(
        () => {
          if (!out.destroyed) pack.finalize();
        },
        (e: unknown) => out.destroy(e instanceof OcmError ? e : fromFsError(e, `dir input ${o.root}`)),
      );
      return out;
    },
  };
}

export const dirInput: InputMethod = {
  consumerIdentity: noCredentials,
  async check(input, ctx) {
    await options(input, ctx);
  },
  async process(input, ctx): Promise<InputResult> {
    const o = await options(input, ctx);
    const mediaType = optString(input, 'mediaType') ?? 'application/x-tar';
    return maybeCompress({ blob: dirBlob(o), mediaType }, optBool(input, 'compress'));
  },
};
