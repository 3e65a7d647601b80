/**
 * Writes rendered files into a directory all at once: into a temporary sibling directory first,
 * then renamed into place, so the target holds either the complete rendering or what it held before.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { ErrorCode, OcmError, fromFsError, throwIfAborted } from '../runtime/errors.js';
import type { RenderedFile } from './types.js';

export interface WriteRenderedOptions {
  /** Replace a non-empty target directory (it is swapped out only after the new one is complete). */
  readonly force?: boolean;
  readonly signal?: AbortSignal;
}

/** Writes `files` as the content of `dir`; returns the absolute paths written. */
export async function writeRendered(dir: string, files: readonly RenderedFile[], options: WriteRenderedOptions = {}): Promise<string[]> {
  const target = resolve(dir);
  const existing = await readdir(target).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw fromFsError(e, target);
  });
  if (existing && existing.length > 0 && !options.force) {
    throw new OcmError(ErrorCode.ALREADY_EXISTS, `render target ${dir} is not empty; choose an empty or new directory, or pass --force to replace it`);
  }
  const parent = dirname(target);
  const tmp = join(parent, `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const written: string[] = [];
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(tmp);
    for (const f of files) {
      throwIfAborted(options.signal);
      const p = resolve(tmp, f.path);
      // Paths come from archives in the component version: they must stay inside the directory.
      if (!p.startsWith(tmp + sep)) throw new OcmError(ErrorCode.UNSAFE_PATH, `rendered file ${f.path} would leave ${dir}`);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, f.content);
      written.push(join(target, f.path));
    }
    if (existing) {
      if (existing.length === 0) await rmdir(target);
      else {
        const old = `${tmp}-old`;
        await rename(target, old);
        await rename(tmp, target);
        await rm(old, { recursive: true, force: true });
        return written;
      }
    }
    await rename(tmp, target);
    return written;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw e instanceof OcmError ? e : fromFsError(e, target);
  }
}
