/**
 * A fast path (this reader; the writer is block-yaml-write.ts) for the block-YAML subset that descriptors are written in (by our serializer and by
 * the Go tools): block mappings and sequences, plain, single- and double-quoted one-line scalars,
 * `[]`/`{}`, full-line comments. The `yaml` package needs ~3-5 ms per descriptor, this ~0.1 ms.
 *
 * Both directions are exact or nothing: on anything outside the subset (anchors, tags, flow
 * collections, block or multi-line scalars, trailing comments, tabs, CR, control characters,
 * duplicate or non-string keys, document markers, ...) they return `undefined` and the caller
 * uses the `yaml` package, so results never differ from it (block-yaml.test.ts checks this
 * differentially).
 */

/** Thrown internally to abandon the fast path; never escapes the block-yaml modules. */
export const BAIL: unique symbol = Symbol('bail');

export function bail(): never {
  throw BAIL;
}

export interface FastYamlResult {
  readonly value: unknown;
  /** Source text of plain scalars that resolved to numbers, by field path (as the codec records them). */
  readonly scalars: Map<string, string>;
}

/** Nesting the fast path reads (the bounded parser's default depth); deeper documents go to the full parser. */
const MAX_FAST_DEPTH = 256;

/** Characters that make the whole text ineligible (tab, CR, C0/C1 controls, line/paragraph separators, BOM, lone surrogates). */
const INELIGIBLE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]|\p{Cs}/u;
/** A plain scalar may not start with these (`-`, `?`, `:` may in YAML; we leave those to the full parser). */
const PLAIN_START_BAD = /^[-?:,[\]{}#&*!|>'"%@`]/;
const KEY_BAD = /[,[\]{}#&*!|>'"%@`]/;

// YAML 1.2 core schema resolution of plain scalars, as the `yaml` package does it.
const NULL_RE = /^(?:~|[Nn]ull|NULL)$/;
export const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
export const INT_OCT_RE = /^0o[0-7]+$/;
export const INT_RE = /^[-+]?[0-9]+$/;
export const INT_HEX_RE = /^0x[0-9a-fA-F]+$/;
export const FLOAT_NAN_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
export const FLOAT_EXP_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
export const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** Value of a plain scalar under the core schema (`undefined`: it is a string). */
function resolvePlain(s: string): null | boolean | number | undefined {
  const c = s.charCodeAt(0);
  // Fast exit: every non-string plain scalar starts with one of `~nNtTfF0-9+-.`.
  if (!(c === 0x7e || c === 0x6e || c === 0x4e || c === 0x74 || c === 0x54 || c === 0x66 || c === 0x46 || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) {
    return undefined;
  }
  if (NULL_RE.test(s)) return null;
  if (BOOL_RE.test(s)) return s[0] === 't' || s[0] === 'T';
  if (INT_OCT_RE.test(s)) return parseInt(s.substring(2), 8);
  if (INT_RE.test(s)) return parseInt(s, 10);
  if (INT_HEX_RE.test(s)) return parseInt(s.substring(2), 16);
  if (FLOAT_NAN_RE.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (FLOAT_EXP_RE.test(s) || FLOAT_RE.test(s)) return parseFloat(s);
  return undefined;
}

function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ', '"': '"', '/': '/', '\\': '\\',
  N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029',
};
const HEX_LEN: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

/** A one-line double-quoted scalar starting at `t[start]`; returns the value and the index after the closing quote. */
function readDouble(t: string, start: number): { value: string; end: number } {
  let out = '';
  let i = start + 1;
  let from = i;
  for (;;) {
    const ch = t.charCodeAt(i);
    if (Number.isNaN(ch)) bail(); // unterminated on this line: multi-line scalar
    if (ch === 0x22) {
      return { value: out + t.slice(from, i), end: i + 1 };
    }
    if (ch === 0x5c) {
      out += t.slice(from, i);
      const e = t[i + 1];
      if (e === undefined) bail();
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        i += 2;
      } else {
        const n = HEX_LEN[e];
        if (n === undefined) bail();
        const hex = t.slice(i + 2, i + 2 + n);
        if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) bail();
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) bail();
        out += String.fromCodePoint(code);
        i += 2 + n;
      }
      from = i;
      continue;
    }
    i++;
  }
}

/** A one-line single-quoted scalar starting at `t[start]`. */
function readSingle(t: string, start: number): { value: string; end: number } {
  let out = '';
  let i = start + 1;
  for (;;) {
    const j = t.indexOf("'", i);
    if (j < 0) bail();
    out += t.slice(i, j);
    if (t[j + 1] === "'") {
      out += "'";
      i = j + 2;
      continue;
    }
    return { value: out, end: j + 1 };
  }
}

/** Without leading spaces (only U+0020: YAML separates with spaces, String#trimStart would also eat NBSP and friends). */
function skipSpaces(t: string): string {
  let i = 0;
  while (t.charCodeAt(i) === 0x20) i++;
  return i === 0 ? t : t.slice(i);
}

function isDash(t: string): boolean {
  return t === '-' || (t.charCodeAt(0) === 0x2d && t.charCodeAt(1) === 0x20);
}

/** `key: rest` split of a line (rest trimmed, '' when the value follows on the next lines), or undefined when the line is no map entry. */
function splitKey(t: string): { key: string; rest: string } | undefined {
  const c0 = t[0];
  if (c0 === '"' || c0 === "'") {
    const q = c0 === '"' ? readDouble(t, 0) : readSingle(t, 0);
    if (t[q.end] !== ':') {
      // A quoted scalar (no key) if nothing but the scalar is on the line; otherwise leave it to the full parser.
      if (q.end === t.length) return undefined;
      bail();
    }
    const after = t[q.end + 1];
    if (after !== undefined && after !== ' ') bail();
    if (q.value.length > 1000) bail(); // long implicit keys are an error in YAML
    return { key: q.value, rest: skipSpaces(t.slice(q.end + 1)) };
  }
  let c = t.indexOf(':');
  while (c >= 0 && c + 1 < t.length && t.charCodeAt(c + 1) !== 0x20) c = t.indexOf(':', c + 1);
  if (c < 0) {
    return undefined;
  }
  const key = t.slice(0, c);
  if (key === '' || key.charCodeAt(key.length - 1) === 0x20 || PLAIN_START_BAD.test(key) || KEY_BAD.test(key) || key.length > 1000) bail();
  if (key === '<<' || resolvePlain(key) !== undefined) bail();
  return { key, rest: skipSpaces(t.slice(c + 1)) };
}

class BlockParser {
  readonly ind: number[] = [];
  readonly txt: string[] = [];
  readonly scalars = new Map<string, string>();
  /** Keys and indices from the document root to the node being read (joined only for numbers). */
  readonly stack: (string | number)[] = [];
  started = false;

  constructor(text: string) {
    let pos = 0;
    const len = text.length;
    while (pos <= len) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = len;
      let i = pos;
      while (text.charCodeAt(i) === 0x20) i++;
      if (i < nl && text.charCodeAt(i) !== 0x23) {
        let end = nl;
        while (end > i && text.charCodeAt(end - 1) === 0x20) end--;
        const line = text.slice(i, end);
        if (i === pos && (line.startsWith('---') || line.startsWith('...'))) {
          // One bare document start before any content is common; anything more is for the full parser.
          if (line !== '---' || this.txt.length > 0 || this.started) bail();
          this.started = true;
          pos = nl + 1;
          continue;
        }
        this.ind.push(i - pos);
        this.txt.push(line);
      }
      pos = nl + 1;
    }
  }

  parseDocument(): unknown {
    if (this.txt.length === 0) bail();
    const [value, next] = this.block(0);
    if (next !== this.txt.length || Array.isArray(value)) bail();
    return value;
  }

  block(i: number): [unknown, number] {
    return isDash(this.txt[i]!) ? this.seq(i, this.ind[i]!) : this.map(i, this.ind[i]!);
  }

  /** The value after `key:` with nothing on the line: a deeper block, a sequence at the same indentation, or null. */
  nested(i: number, n: number): [unknown, number] {
    const next = i + 1;
    if (next < this.txt.length) {
      if (this.ind[next]! > n) return this.block(next);
      if (this.ind[next] === n && isDash(this.txt[next]!)) return this.seq(next, n);
    }
    return [null, next];
  }

  seq(i: number, n: number): [unknown[], number] {
    // Deep nesting is for the full parser, which reports the bound (bounded-parse.ts); also keeps this recursion shallow.
    if (this.stack.length >= MAX_FAST_DEPTH) bail();
    const { ind, txt } = this;
    const out: unknown[] = [];
    while (i < txt.length && ind[i] === n && isDash(txt[i]!)) {
      const t = txt[i]!;
      this.stack.push(out.length);
      let v: unknown;
      if (t === '-') {
        if (i + 1 < txt.length && ind[i + 1]! > n) [v, i] = this.block(i + 1);
        else [v, i] = [null, i + 1];
      } else {
        let k = 1;
        while (t.charCodeAt(k) === 0x20) k++;
        const rest = t.slice(k);
        if (isDash(rest)) bail();
        if (splitKey(rest)) {
          // `- key: value`: a mapping whose keys sit at the column after the dash.
          ind[i] = n + k;
          txt[i] = rest;
          [v, i] = this.map(i, n + k);
        } else {
          v = this.scalar(rest);
          i++;
        }
      }
      this.stack.pop();
      out.push(v);
    }
    if (i < txt.length && ind[i]! > n) bail();
    return [out, i];
  }

  map(i: number, n: number): [Record<string, unknown>, number] {
    if (this.stack.length >= MAX_FAST_DEPTH) bail();
    const { ind, txt } = this;
    const out: Record<string, unknown> = {};
    while (i < txt.length && ind[i] === n) {
      const t = txt[i]!;
      if (isDash(t)) bail();
      const e = splitKey(t);
      if (!e || Object.hasOwn(out, e.key)) bail();
      this.stack.push(e.key);
      let v: unknown;
      if (e.rest === '') {
        [v, i] = this.nested(i, n);
      } else {
        v = this.scalar(e.rest);
        i++;
      }
      this.stack.pop();
      // Plain assignment is an own data property for every key but `__proto__` (a setter on Object.prototype).
      if (e.key === '__proto__') Object.defineProperty(out, e.key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[e.key] = v;
    }
    if (i < txt.length && ind[i]! > n) bail();
    return [out, i];
  }

  scalar(s: string): unknown {
    const c0 = s[0];
    if (c0 === '"' || c0 === "'") {
      const q = c0 === '"' ? readDouble(s, 0) : readSingle(s, 0);
      if (q.end !== s.length) bail();
      return q.value;
    }
    if (s === '[]') return [];
    if (s === '{}') return {};
    if (PLAIN_START_BAD.test(s) || s.includes(' #') || s.includes(': ') || s.endsWith(':')) bail();
    const v = resolvePlain(s);
    if (v === undefined) return s;
    if (typeof v === 'number') this.scalars.set(this.stack.reduce<string>(joinPath, ''), s);
    return v;
  }
}

/**
 * Parses `text` if it is entirely within the block subset; `undefined` otherwise (use the full
 * parser then). The result equals the codec's `yaml`-package path: same values and types, keys in
 * source order, number source texts by path.
 */
export function parseBlockYaml(text: string): FastYamlResult | undefined {
  if (INELIGIBLE.test(text)) return undefined;
  try {
    const p = new BlockParser(text);
    const value = p.parseDocument();
    return { value, scalars: p.scalars };
  } catch (e) {
    if (e === BAIL) return undefined;
    throw e;
  }
}
