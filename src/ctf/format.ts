/**
 * CTF variant detection. v1 sniffs the content, v2 goes by the file extension only
 * (shared/spec/model-and-formats.md §3.3): we read by content (so a renamed archive still opens)
 * and pick the variant of a NEW archive by extension, as v2 does.
 */
import { open, stat } from 'node:fs/promises';
import { ErrorCode, OcmError, fromFsError } from '../runtime/errors.js';

export type CtfFormat = 'directory' | 'tar' | 'tgz';

export const CTF_FORMATS: readonly CtfFormat[] = ['directory', 'tar', 'tgz'];

/** The variant implied by a file name: `.tar` → tar, `.tgz`/`.tar.gz` → tgz, anything else → directory. */
export function formatForPath(path: string): CtfFormat {
  const p = path.toLowerCase();
  if (p.endsWith('.tgz') || p.endsWith('.tar.gz')) return 'tgz';
  if (p.endsWith('.tar')) return 'tar';
  return 'directory';
}

/** The variant of an existing CTF, by content: a directory, gzip magic, or a tar header (`ustar` at 257). */
export async function detectCtfFormat(path: string, _options: { signal?: AbortSignal } = {}): Promise<CtfFormat> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    throw fromFsError(e, `CTF ${path}`);
  }
  if (isDir) return 'directory';
  const head = Buffer.alloc(512);
  let n: number;
  try {
    const fh = await open(path, 'r');
    try {
      ({ bytesRead: n } = await fh.read(head, 0, head.length, 0));
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw fromFsError(e, `CTF ${path}`);
  }
  if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tgz';
  if (n >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  throw new OcmError(
    ErrorCode.PARSE_ERROR,
    `CTF ${path} is neither a directory, a tar archive nor a gzip-compressed tar archive`,
    { details: { path } },
  );
}

export function isCtfFormat(x: unknown): x is CtfFormat {
  return typeof x === 'string' && (CTF_FORMATS as readonly string[]).includes(x);
}
