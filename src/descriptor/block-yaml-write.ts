/**
 * The fast block-YAML writer (see block-yaml.ts for the subset and the exact-or-nothing rule):
 * byte-identical to the `yaml` package output the codec would produce, or undefined.
 */
import { BAIL, BOOL_RE, FLOAT_EXP_RE, FLOAT_NAN_RE, FLOAT_RE, INT_HEX_RE, INT_OCT_RE, INT_RE, bail } from './block-yaml.js';

/** Characters the plain/quoted decisions below are proven for: printable ASCII. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** The `yaml` package's test for strings that cannot be plain (stringifyString.js `plainString`). */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/;
/**
 * Strings that are plain under every rule below unless they are one of SPECIAL_WORD: they start
 * with a letter (no indicator, number, date, `.inf`), have no space, `#` or quote, and do not end
 * with `:` (checked separately).
 */
const SIMPLE = /^[A-Za-z][A-Za-z0-9_./+:-]*$/;
const SPECIAL_WORD = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|[eE][-+]?[0-9]+)$/;
const CORE_NON_STRING = [/^(?:~|[Nn]ull|NULL)?$/, BOOL_RE, INT_OCT_RE, INT_RE, INT_HEX_RE, FLOAT_NAN_RE, FLOAT_EXP_RE, FLOAT_RE];

function quoted(s: string): string {
  // The `yaml` package picks single quotes only for strings with `"` and no `'`.
  return s.includes('"') && !s.includes("'") ? `'${s}'` : JSON.stringify(s);
}

function scalarText(v: unknown, forceQuote: (s: string) => boolean, key = false): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) bail();
    return Object.is(v, -0) ? '-0' : JSON.stringify(v);
  }
  if (typeof v !== 'string') bail();
  // Keys over 1024 characters become explicit (`? key`) in the package's output.
  if (key && v.length > 1000) bail();
  // Most strings (names, versions, media types, digests) are words no YAML reader retypes: plain.
  if (SIMPLE.test(v) && v.charCodeAt(v.length - 1) !== 0x3a && !SPECIAL_WORD.test(v) && !forceQuote(v)) return v;
  if (!PRINTABLE_ASCII.test(v)) bail();
  // For printable ASCII on one line, the package's double-quoted form is exactly JSON's.
  if (forceQuote(v)) return JSON.stringify(v);
  if (NOT_PLAIN.test(v)) return quoted(v);
  if (DOCUMENT_MARKER.test(v)) bail();
  if (CORE_NON_STRING.some((re) => re.test(v))) return quoted(v);
  return v;
}

function isEmptyCollection(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length === 0 ? '[]' : undefined;
  if (v !== null && typeof v === 'object') {
    for (const _ in v) return undefined;
    return '{}';
  }
  return undefined;
}

function isArrayIndex(k: string): boolean {
  return /^(?:0|[1-9][0-9]*)$/.test(k) && Number(k) < 4294967295;
}

/**
 * The key order of a key-sorted copy of `obj`: JS objects list array-index keys first (numerically,
 * which `Object.keys` already does) and the rest in insertion order, here sorted.
 */
function sortedKeys(obj: Record<string, unknown>): string[] {
  const keys = Object.keys(obj);
  let k = 0;
  while (k < keys.length && isArrayIndex(keys[k]!)) k++;
  return k === 0 ? keys.sort() : [...keys.slice(0, k), ...keys.slice(k).sort()];
}

class BlockWriter {
  readonly parts: string[] = [];
  readonly forceQuote: (s: string) => boolean;
  constructor(forceQuote: (s: string) => boolean) {
    this.forceQuote = forceQuote;
  }

  /** A non-empty mapping whose first key goes at the current position and further keys at `indent`. */
  map(obj: Record<string, unknown>, indent: string, sortKeys: boolean): void {
    const keys = sortKeys ? sortedKeys(obj) : Object.keys(obj);
    let first = true;
    for (const k of keys) {
      if (!first) this.parts.push('\n', indent);
      first = false;
      this.parts.push(scalarText(k, this.forceQuote, true), ':');
      this.value(obj[k], indent, sortKeys);
    }
  }

  /** A non-empty sequence (items `- `), first item at the current position. */
  seq(arr: readonly unknown[], indent: string, sortKeys: boolean): void {
    const inner = `${indent}  `;
    for (let i = 0; i < arr.length; i++) {
      if (i > 0) this.parts.push('\n', indent);
      this.parts.push('- ');
      const v = arr[i];
      const empty = isEmptyCollection(v);
      if (empty !== undefined) this.parts.push(empty);
      else if (Array.isArray(v)) this.seq(v, inner, sortKeys);
      else if (v !== null && typeof v === 'object') this.map(v as Record<string, unknown>, inner, sortKeys);
      else this.parts.push(scalarText(v, this.forceQuote));
    }
  }

  /** The value of a mapping entry whose key (at `indent`) was just written. */
  value(v: unknown, indent: string, sortKeys: boolean): void {
    const empty = isEmptyCollection(v);
    if (empty !== undefined) {
      this.parts.push(' ', empty);
    } else if (Array.isArray(v)) {
      // indentSeq: false — the `- ` of a sequence under a key sits at the key's column.
      this.parts.push('\n', indent);
      this.seq(v, indent, sortKeys);
    } else if (v !== null && typeof v === 'object') {
      const inner = `${indent}  `;
      this.parts.push('\n', inner);
      this.map(v as Record<string, unknown>, inner, sortKeys);
    } else {
      this.parts.push(' ', scalarText(v, this.forceQuote));
    }
  }
}

/**
 * Block YAML of a JSON-shaped mapping, byte-identical to
 * `new Document(value, { version: '1.2' })` (with the strings for which `forceQuote` holds set to
 * double-quoted) `.toString({ lineWidth: 0, indentSeq: false })`. `undefined` when any string
 * needs more than the one-line printable-ASCII rules proven here. With `sortKeys`, mapping keys are
 * written in sorted order (as if the input had been key-sorted).
 */
export function stringifyBlockYaml(value: Record<string, unknown>, forceQuote: (s: string) => boolean, sortKeys = false): string | undefined {
  if (isEmptyCollection(value) !== undefined) return undefined;
  try {
    const w = new BlockWriter(forceQuote);
    w.map(value, '', sortKeys);
    w.parts.push('\n');
    return w.parts.join('');
  } catch (e) {
    if (e === BAIL) return undefined;
    throw e;
  }
}
