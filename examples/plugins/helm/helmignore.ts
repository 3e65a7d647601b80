/**
 * `.helmignore` as helm reads it (internal/ignore/rules.go): one Go `filepath.Match` glob per line,
 * `#` comments, `!` negation (overrides positive matches only), trailing `/` = directories only,
 * leading `/` = rooted, no `/` = basename match, `**` refused. helm always adds `templates/.?*`.
 */
import { readFile } from 'node:fs/promises';

interface Pattern {
  readonly re: RegExp;
  readonly negate: boolean;
  readonly mustDir: boolean;
  readonly basename: boolean;
}

/** A Go `path.Match` pattern as an anchored RegExp (`*`, `?` never match `/`; classes with `^`, ranges, `\` escapes). */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  const chars = [...glob];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      const n = chars[++i];
      if (n === undefined) throw new Error(`syntax error in pattern ${JSON.stringify(glob)}`);
      re += n.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    } else if (c === '[') {
      let j = i + 1;
      let cls = '';
      if (chars[j] === '^') {
        cls += '^';
        j++;
      }
      let closed = false;
      let first = true;
      for (; j < chars.length; j++) {
        const d = chars[j]!;
        if (d === ']' && !first) {
          closed = true;
          break;
        }
        first = false;
        if (d === '\\') {
          const n = chars[++j];
          if (n === undefined) break;
          cls += n.replace(/[\]\\^-]/g, '\\$&');
        } else if (d === '-') cls += '-';
        else cls += d.replace(/[\]\\^]/g, '\\$&');
      }
      if (!closed || cls === '' || cls === '^') throw new Error(`syntax error in pattern ${JSON.stringify(glob)}`);
      // A Go class never matches the separator.
      re += cls.startsWith('^') ? `(?!/)[${cls}]` : `[${cls}]`;
      i = j;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'u');
}

export class HelmIgnore {
  private readonly patterns: Pattern[] = [];

  /** The rules of `file` (none when it does not exist) plus helm's default. */
  static async load(file: string): Promise<HelmIgnore> {
    const r = new HelmIgnore();
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
    text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((line, i) => {
      try {
        r.add(line);
      } catch (e) {
        throw new Error(`line ${i + 1}: ${(e as Error).message}`);
      }
    });
    r.add('templates/.?*');
    return r;
  }

  add(line: string): void {
    let rule = line.trim();
    if (rule === '' || rule.startsWith('#')) return;
    if (rule.includes('**')) throw new Error('double-star (**) syntax is not supported');
    let negate = false;
    let mustDir = false;
    if (rule.startsWith('!')) {
      negate = true;
      rule = rule.slice(1);
    }
    if (rule.endsWith('/')) {
      mustDir = true;
      rule = rule.slice(0, -1);
    }
    const rooted = rule.startsWith('/');
    if (rooted) rule = rule.slice(1);
    this.patterns.push({ re: globToRegExp(rule), negate, mustDir, basename: !rooted && !rule.includes('/') });
  }

  /** Whether `path` (chart-relative, `/`-separated) is ignored. */
  ignore(path: string, isDir: boolean): boolean {
    if (path === '' || path === '.' || path === './') return false;
    let positive = false;
    let negative = false;
    for (const p of this.patterns) {
      if (p.mustDir && !isDir) continue;
      const subject = p.basename ? path.slice(path.lastIndexOf('/') + 1) : path;
      if (!p.re.test(subject)) continue;
      if (p.negate) negative = true;
      positive = true;
    }
    return positive && !negative;
  }
}
