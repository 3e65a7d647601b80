/**
 * Input paths: resolved against the constructor's directory and refused when they leave it
 * (`..`, absolute paths elsewhere, symlinks pointing outside). Plus Go `path.Match` globs for the
 * `Dir/v1` include/exclude lists.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ErrorCode, OcmError, fromFsError } from '../runtime/errors.js';

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The real path of `path` (relative to `baseDir`), which must exist and stay inside `baseDir`.
 * NOT_FOUND if it does not exist; UNSAFE_PATH if it (or a symlink on the way) leaves the base.
 */
export async function resolveInside(baseDir: string, path: string): Promise<string> {
  const base = resolve(baseDir);
  const abs = resolve(base, path);
  if (!inside(base, abs)) {
    throw new OcmError(ErrorCode.UNSAFE_PATH, `input path "${path}" leaves the base directory ${base}: use a path inside it (or change the working directory)`, {
      details: { path, baseDir: base },
    });
  }
  let real: string;
  let realBase: string;
  try {
    realBase = await realpath(base);
  } catch (e) {
    throw fromFsError(e, `base directory ${base}`);
  }
  try {
    real = await realpath(abs);
  } catch (e) {
    throw fromFsError(e, `input path "${path}" (${abs})`);
  }
  if (!inside(realBase, real)) {
    throw new OcmError(ErrorCode.UNSAFE_PATH, `input path "${path}" resolves through a symlink to ${real}, outside the base directory ${realBase}`, {
      details: { path, baseDir: base },
    });
  }
  return real;
}

/**
 * Compiles a Go `path.Match` pattern (`*`, `?`, `[...]`, `[^...]`, `\` escapes; `*` and `?` never
 * match `/`). INVALID_ARGUMENT for a malformed pattern, as Go returns ErrBadPattern.
 */
export function compileGlob(pattern: string): RegExp {
  let re = '^';
  let i = 0;
  const bad = (): never => {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `malformed glob pattern "${pattern}"`);
  };
  const esc = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '*') {
      re += '[^/]*';
      i++;
    } else if (c === '?') {
      re += '[^/]';
      i++;
    } else if (c === '\\') {
      if (i + 1 >= pattern.length) bad();
      re += esc(pattern[i + 1]!);
      i += 2;
    } else if (c === '[') {
      i++;
      let cls = '[';
      if (pattern[i] === '^') {
        cls += '^';
        i++;
      }
      let n = 0;
      while (i < pattern.length && (pattern[i] !== ']' || n === 0)) {
        let lo = pattern[i]!;
        if (lo === '\\') lo = pattern[++i] ?? bad();
        i++;
        if (pattern[i] === '-' && pattern[i + 1] !== undefined && pattern[i + 1] !== ']') {
          let hi = pattern[i + 1]!;
          i += 2;
          if (hi === '\\') hi = pattern[i++] ?? bad();
          if (hi < lo) bad();
          cls += `${esc(lo)}-${esc(hi)}`;
        } else {
          cls += esc(lo);
        }
        n++;
      }
      if (pattern[i] !== ']' || n === 0) bad();
      i++;
      // A class never matches the separator, as in Go.
      re += cls.startsWith('[^') ? `${cls}/]` : `(?!/)${cls}]`;
    } else {
      re += esc(c);
      i++;
    }
  }
  return new RegExp(`${re}$`, 's');
}
