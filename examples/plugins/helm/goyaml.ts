/**
 * YAML as helm writes `Chart.yaml` and `Chart.lock` into a package: `sigs.k8s.io/yaml` marshals the
 * Go struct to JSON, reads that back into generic maps and emits it with go-yaml v2. So map keys come
 * out sorted (go-yaml's "natural" key order), sequences sit at their key's indent (`- x`), strings are
 * plain unless they would read back as something else (then double-quoted) or the emitter cannot
 * write them plain (then single-quoted), and multi-line strings use the literal style.
 * Known gap: go-yaml folds plain strings longer than 80 columns; we never fold.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

const isLetter = (c: string) => /\p{L}/u.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';

/** go-yaml v2 `keyList.Less` for string keys: letters after non-letters, digit runs by value. */
export function goYamlKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]!);
    const bl = isLetter(br[i]!);
    if (al && bl) return ar[i]! < br[i]!;
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]!); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]!); ai++) an = an * 10 + Number(ar[ai]);
    for (; bi < br.length && isDigit(br[bi]!); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i]! < br[i]!;
  }
  return ar.length < br.length;
}

const sortKeys = (keys: string[]) => keys.sort((x, y) => (goYamlKeyLess(x, y) ? -1 : goYamlKeyLess(y, x) ? 1 : 0));

// Plain scalars go-yaml (YAML 1.1 resolver) would read back as non-strings.
const SPECIAL = /^(~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|\.inf|\.Inf|\.INF|[-+]\.inf|[-+]\.Inf|[-+]\.INF|\.nan|\.NaN|\.NAN|<<)$/;
const INT = /^[-+]?(0b[01_]+|0[0-7_]+|(0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(:[0-5]?[0-9])+)$/;
const FLOAT = /^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?$|^[-+]?[0-9][0-9_]*([eE][-+]?[0-9]+)$|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*$/;
const TIMESTAMP = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ]|\s+)?([0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?)?\s*(Z|[-+][0-9]{1,2}(:[0-9]{2})?)?$/;

function resolvesToNonString(s: string): boolean {
  return SPECIAL.test(s) || INT.test(s) || FLOAT.test(s) || TIMESTAMP.test(s) || /^[-+]?[0-9]+$/.test(s);
}

const printable = (c: string) => /^[\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]$/u.test(c) && c !== '\uFEFF';

/** libyaml's scalar analysis, reduced to: may this string be written plain in block context? */
function plainAllowed(s: string): boolean {
  if (s === '') return false;
  if (s.startsWith('---') || s.startsWith('...')) return false;
  const chars = [...s];
  if (chars[0] === ' ' || chars[chars.length - 1] === ' ') return false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const next = chars[i + 1];
    const blankNext = next === undefined || next === ' ' || next === '\t';
    if (!printable(c) || c === '\t' || c === '\n' || c === '\r') return false;
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) return false;
      if ((c === '?' || c === ':' || c === '-') && blankNext) return false;
    } else {
      if (c === ':' && blankNext) return false;
      if (c === '#' && chars[i - 1] === ' ') return false;
    }
  }
  return true;
}

function singleQuotedAllowed(s: string): boolean {
  return [...s].every((c) => printable(c) && c !== '\n' && c !== '\r') && !s.startsWith(' ') && !s.endsWith(' ');
}

function doubleQuoted(s: string): string {
  let out = '"';
  for (const c of s) {
    const code = c.codePointAt(0)!;
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (code === 0) out += '\\0';
    else if (!printable(c)) out += code <= 0xff ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}` : code <= 0xffff ? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}` : `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`;
    else out += c;
  }
  return out + '"';
}

function scalar(s: string, indent: string): string {
  if (s.includes('\n') && [...s].every((c) => c === '\n' || printable(c))) {
    const content = s.replace(/\n+$/, '');
    const trailing = s.length - content.length;
    const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
    const body = [...content.split('\n'), ...Array<string>(Math.max(0, trailing - 1)).fill('')];
    const lead = content.startsWith(' ') ? '2' : '';
    return `|${lead}${chomp}\n` + body.map((l) => (l === '' ? '' : `${indent}  ${l}`)).join('\n');
  }
  if (!resolvesToNonString(s) && plainAllowed(s)) return s;
  if (!resolvesToNonString(s) && singleQuotedAllowed(s) && s !== '') return `'${s.replace(/'/g, "''")}'`;
  return doubleQuoted(s);
}

function leaf(v: JsonValue, indent: string): string | undefined {
  if (v === null) return 'null';
  if (typeof v === 'string') return scalar(v, indent);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (!Array.isArray(v) && Object.keys(v).length === 0) return '{}';
  return undefined;
}

function emit(v: JsonValue, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      const l = leaf(item, indent + '  ');
      if (l !== undefined) out.push(`${indent}- ${l}`);
      else if (Array.isArray(item)) {
        out.push(`${indent}-`);
        emit(item, indent + '  ', out);
      } else {
        // A map in a sequence: its first key shares the dash's line.
        const sub: string[] = [];
        emit(item, indent + '  ', sub);
        out.push(`${indent}- ${sub[0]!.slice(indent.length + 2)}`, ...sub.slice(1));
      }
    }
    return;
  }
  const map = v as Record<string, JsonValue>;
  for (const k of sortKeys(Object.keys(map))) {
    const key = scalar(k, indent);
    const value = map[k]!;
    const l = leaf(value, indent);
    if (l !== undefined) out.push(`${indent}${key}: ${l}`);
    else {
      out.push(`${indent}${key}:`);
      emit(value, Array.isArray(value) ? indent : indent + '  ', out);
    }
  }
}

/** The document go-yaml v2 writes for a JSON object (ends with a newline). */
export function goYamlMarshal(v: { [k: string]: JsonValue }): string {
  if (Object.keys(v).length === 0) return '{}\n';
  const out: string[] = [];
  emit(v, '', out);
  return out.join('\n') + '\n';
}
