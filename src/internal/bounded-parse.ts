/**
 * Bounded YAML/JSON parsing for every entry point that reads a document we did not write
 * (constructor, descriptor, .ocmconfig, docker config.json, artifact-index.json, manifests, token
 * responses). Input size, nesting depth, alias expansion, string length and document count are
 * bounded, so an alias bomb, 10,000 `[`, a huge scalar or a stream of `---` ends in one clear
 * line with a stable code instead of a stack overflow or an out-of-memory crash:
 * a broken document gets the entry point's family code (PARSE_ERROR, CONFIG_ERROR), an exceeded
 * bound LIMIT_EXCEEDED. Parser messages are reduced to a reason without source excerpts, which
 * may hold secrets.
 */
import { createRequire } from 'node:module';
import type * as YamlPackage from 'yaml';
import { ErrorCode, OcmError } from '../runtime/errors.js';

export interface ParseBounds {
  /** Names the input at the start of every message: a file path, `config file x`, `manifest sha256:...`. */
  readonly what: string;
  /** Code for input that is not a well-formed document. Default PARSE_ERROR. */
  readonly code?: ErrorCode;
  /** Largest input in bytes (UTF-8). */
  readonly maxBytes: number;
  /** Deepest nesting of lists/maps (aliases expanded). Default 256. */
  readonly maxDepth?: number;
  /** Most alias expansions (YAML). Default 100. */
  readonly maxAliases?: number;
  /** Longest string or key, in characters. Default: only bounded by `maxBytes`. */
  readonly maxStringLength?: number;
  /** Most documents in a multi-document YAML stream. Default 1000. */
  readonly maxDocuments?: number;
  /** Leave the parser's reason out of syntax messages (position only): for files that may hold secrets. */
  readonly redact?: boolean;
  /** A leading byte-order mark is dropped (local files) instead of being a syntax error (wire formats). Default true. */
  readonly allowBom?: boolean;
}

export const DEFAULT_MAX_DEPTH = 256;
export const DEFAULT_MAX_ALIASES = 100;
export const DEFAULT_MAX_DOCUMENTS = 1000;

/** Options passed through to the `yaml` package (the bounds are always added). */
export type YamlParseOptions = YamlPackage.ParseOptions & YamlPackage.DocumentOptions & YamlPackage.SchemaOptions;

// The `yaml` package (72 CommonJS files) loads on the first YAML parse only: most runs never need it.
let yamlPackage: typeof YamlPackage | undefined;
/** @internal */
export const yamlLib = (): typeof YamlPackage => (yamlPackage ??= createRequire(import.meta.url)('yaml') as typeof YamlPackage);

/** C0 controls other than tab, LF, CR, and DEL: never in a YAML or JSON text (binary garbage, NUL padding). */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

function fail(b: ParseBounds, code: ErrorCode, message: string, cause?: unknown, details: Record<string, unknown> = {}): never {
  throw new OcmError(code, `${b.what}: ${message}`, { ...(cause === undefined ? {} : { cause }), details: { source: b.what, ...details } });
}

function lineCol(text: string, pos: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, col: pos - last };
}

/** Bytes → text (fatal UTF-8), size-checked; strings are size-checked without encoding them when they are clearly small. */
function toText(input: string | Uint8Array, b: ParseBounds, format: string): string {
  let text: string;
  if (typeof input === 'string') {
    // A UTF-16 unit is 1–3 UTF-8 bytes: count exactly only when the length alone does not decide.
    if (input.length > b.maxBytes || (input.length * 3 > b.maxBytes && Buffer.byteLength(input, 'utf8') > b.maxBytes)) tooLarge(b);
    text = input;
  } else {
    if (input.byteLength > b.maxBytes) tooLarge(b);
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
    } catch (e) {
      fail(b, b.code ?? ErrorCode.PARSE_ERROR, `not ${format} text (not valid UTF-8)`, e);
    }
  }
  if (text.charCodeAt(0) === 0xfeff && (b.allowBom ?? true)) text = text.slice(1);
  // JSON.parse rejects control characters itself; the YAML parser would take NUL and friends as text.
  const m = format === 'YAML' ? CONTROL.exec(text) : null;
  if (m) {
    const at = lineCol(text, m.index);
    fail(b, b.code ?? ErrorCode.PARSE_ERROR, `not ${format} text (control character 0x${m[0].charCodeAt(0).toString(16).padStart(2, '0')} at line ${at.line}, column ${at.col})`, undefined, at);
  }
  return text;
}

function tooLarge(b: ParseBounds): never {
  fail(b, ErrorCode.LIMIT_EXCEEDED, `larger than the limit of ${b.maxBytes} bytes`, undefined, { limit: b.maxBytes });
}

function tooDeep(b: ParseBounds, cause?: unknown): never {
  const n = b.maxDepth ?? DEFAULT_MAX_DEPTH;
  fail(b, ErrorCode.LIMIT_EXCEEDED, `nested deeper than ${n} levels`, cause, { limit: n });
}

function tooLong(b: ParseBounds, length: number): never {
  fail(b, ErrorCode.LIMIT_EXCEEDED, `a string of ${length} characters is longer than the limit of ${b.maxStringLength}`, undefined, { limit: b.maxStringLength });
}

function tooManyAliases(b: ParseBounds, cause?: unknown): never {
  const n = b.maxAliases ?? DEFAULT_MAX_ALIASES;
  fail(b, ErrorCode.LIMIT_EXCEEDED, `more than ${n} YAML aliases (alias bomb?)`, cause, { limit: n });
}

function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

// ---------------------------------------------------------------------------------------- JSON

/** Parses one JSON value within the bounds. */
export function parseJsonBounded(input: string | Uint8Array, bounds: ParseBounds): unknown {
  const text = toText(input, bounds, 'JSON');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    if (isStackOverflow(e)) tooDeep(bounds, e);
    jsonSyntax(text, e, bounds);
  }
  checkJsonValue(value, bounds);
  return value;
}

function jsonSyntax(text: string, e: unknown, b: ParseBounds): never {
  const msg = (e as Error)?.message ?? String(e);
  const m = /position (\d+)/.exec(msg);
  const at = m ? lineCol(text, Number(m[1])) : undefined;
  const where = at ? ` at line ${at.line}, column ${at.col}` : '';
  // V8 quotes the text around the error (`Unexpected token 'x', "...secret..." is not valid JSON`): keep only the reason.
  const reason = msg
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/\s*(in JSON )?at position \d+.*$/s, '')
    .replace(/\s*\(line \d+ column \d+\)/, '');
  const why = b.redact || reason === '' ? '' : `: ${reason.split('\n')[0]}`;
  fail(b, b.code ?? ErrorCode.PARSE_ERROR, `malformed JSON${where}${why}`, e, at ?? {});
}

/** Depth and string bounds of a JSON value (a tree: no shared nodes). Recursion stops at the bound; only containers are visited as calls. */
function checkJsonValue(value: unknown, b: ParseBounds): void {
  const maxDepth = b.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxString = b.maxStringLength ?? Infinity;
  const strings = maxString !== Infinity;
  const walk = (v: object, depth: number): void => {
    if (depth >= maxDepth) tooDeep(b);
    if (Array.isArray(v)) {
      for (const x of v) {
        if (typeof x === 'object') {
          if (x !== null) walk(x, depth + 1);
        } else if (strings && typeof x === 'string' && x.length > maxString) tooLong(b, x.length);
      }
      return;
    }
    for (const k in v) {
      if (strings && k.length > maxString) tooLong(b, k.length);
      const x = (v as Record<string, unknown>)[k];
      if (typeof x === 'object') {
        if (x !== null) walk(x, depth + 1);
      } else if (strings && typeof x === 'string' && x.length > maxString) tooLong(b, x.length);
    }
  };
  if (typeof value === 'object' && value !== null) walk(value, 0);
  else if (strings && typeof value === 'string' && value.length > maxString) tooLong(b, value.length);
}

// ---------------------------------------------------------------------------------------- YAML

/**
 * Parses one YAML document (JSON is YAML) within the bounds and returns it as plain values.
 * An empty document is `null`; several documents are a syntax error.
 */
export function parseYamlBounded(input: string | Uint8Array, bounds: ParseBounds, options: YamlParseOptions = {}): unknown {
  const doc = parseYamlDocumentBounded(input, bounds, options);
  return yamlToJs(doc, bounds);
}

/** Parses a YAML stream of documents within the bounds; empty documents are left out. */
export function parseYamlAllBounded(input: string | Uint8Array, bounds: ParseBounds, options: YamlParseOptions = {}): unknown[] {
  const text = toText(input, bounds, 'YAML');
  const maxDocs = bounds.maxDocuments ?? DEFAULT_MAX_DOCUMENTS;
  // Documents ≤ markers + 1: count them before the parser materialises millions of empty documents.
  let markers = 0;
  for (const re = /^(?:---|\.\.\.)/gm; re.exec(text) !== null; ) {
    if (++markers > maxDocs) fail(bounds, ErrorCode.LIMIT_EXCEEDED, `more than ${maxDocs} YAML documents`, undefined, { limit: maxDocs });
  }
  let docs: YamlPackage.Document.Parsed[];
  try {
    const all = yamlLib().parseAllDocuments(text, { prettyErrors: true, ...options });
    docs = Array.isArray(all) ? all : [all as unknown as YamlPackage.Document.Parsed];
  } catch (e) {
    if (isStackOverflow(e)) tooDeep(bounds, e);
    throw e;
  }
  if (docs.length > maxDocs) fail(bounds, ErrorCode.LIMIT_EXCEEDED, `more than ${maxDocs} YAML documents`, undefined, { limit: maxDocs });
  const out: unknown[] = [];
  for (const doc of docs) {
    checkYamlDocument(doc, text, bounds);
    const v = yamlToJs(doc, bounds);
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

/**
 * Parses one YAML document within the bounds and returns the checked `yaml` Document (for readers
 * that need the nodes, like the descriptor codec). Nesting is checked with aliases expanded, so
 * any recursive walk over the result stays within `maxDepth`; alias expansion is the caller's to
 * bound when it does not use `toJS` (see `aliasBudget`).
 */
export function parseYamlDocumentBounded(input: string | Uint8Array, bounds: ParseBounds, options: YamlParseOptions = {}): YamlPackage.Document.Parsed {
  const text = toText(input, bounds, 'YAML');
  let doc: YamlPackage.Document.Parsed;
  try {
    doc = yamlLib().parseDocument(text, { prettyErrors: true, ...options });
  } catch (e) {
    if (isStackOverflow(e)) tooDeep(bounds, e);
    throw e;
  }
  checkYamlDocument(doc, text, bounds);
  return doc;
}

/** Counts alias expansions of a hand-written node walk; throws LIMIT_EXCEEDED past the bound. */
export function aliasBudget(bounds: ParseBounds): () => void {
  const max = bounds.maxAliases ?? DEFAULT_MAX_ALIASES;
  let n = 0;
  return () => {
    if (++n > max) tooManyAliases(bounds);
  };
}

function yamlToJs(doc: YamlPackage.Document.Parsed, b: ParseBounds): unknown {
  try {
    return doc.toJS({ maxAliasCount: b.maxAliases ?? DEFAULT_MAX_ALIASES });
  } catch (e) {
    if (e instanceof ReferenceError && /alias count/i.test(e.message)) tooManyAliases(b, e);
    if (isStackOverflow(e)) tooDeep(b, e);
    if (e instanceof ReferenceError || e instanceof TypeError) fail(b, b.code ?? ErrorCode.PARSE_ERROR, `malformed YAML: ${b.redact ? 'bad alias' : e.message.split('\n')[0]}`, e);
    throw e;
  }
}

function checkYamlDocument(doc: YamlPackage.Document.Parsed, text: string, b: ParseBounds): void {
  const err = doc.errors[0];
  if (err) {
    // The parser catches its own stack overflow on deep nesting and reports it as this code.
    if (doc.errors.some((x) => x.code === 'RESOURCE_EXHAUSTION')) tooDeep(b, err);
    const at = err.linePos?.[0] ?? (err.pos ? lineCol(text, err.pos[0]) : undefined);
    const where = at ? ` at line ${at.line}, column ${at.col}` : '';
    const reason = b.redact ? ` (${err.code})` : `: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
    fail(b, b.code ?? ErrorCode.PARSE_ERROR, `malformed YAML${where}${reason}`, err, at ? { line: at.line, col: at.col } : {});
  }
  checkYamlNodes(doc, b);
}

/**
 * Depth (aliases expanded) and string bounds over the node tree. An alias adds the height of its
 * target, which is computed once per node (memoised), so the walk is linear even for an alias bomb.
 */
function checkYamlNodes(doc: YamlPackage.Document.Parsed, b: ParseBounds): void {
  const { isAlias, isMap, isPair, isScalar, isSeq } = yamlLib();
  const maxDepth = b.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxString = b.maxStringLength ?? Infinity;
  const heights = new Map<unknown, number>();
  const anchors = new Map<string, unknown>();
  const inProgress = new Set<unknown>();
  /** Height of `node` (0 for scalars) reached at `depth`; throws past the bound. */
  const height = (node: unknown, depth: number): number => {
    if (node === null || node === undefined) return 0;
    if (isScalar(node)) {
      if (node.anchor) anchors.set(node.anchor, node);
      if (typeof node.value === 'string' && node.value.length > maxString) tooLong(b, node.value.length);
      return 0;
    }
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) return 0; // unresolved aliases are reported by toJS / the caller
      if (inProgress.has(target)) fail(b, b.code ?? ErrorCode.PARSE_ERROR, `malformed YAML: alias *${node.source} refers to a node that contains it`);
      const h = heights.get(target) ?? height(target, depth);
      if (depth + h > maxDepth) tooDeep(b);
      return h;
    }
    const known = heights.get(node);
    if (known !== undefined) {
      if (depth + known > maxDepth) tooDeep(b);
      return known;
    }
    if (isMap(node) || isSeq(node)) {
      if (node.anchor) anchors.set(node.anchor, node);
      if (depth + 1 > maxDepth) tooDeep(b);
      inProgress.add(node);
      let h = 0;
      for (const item of node.items as unknown[]) {
        if (isPair(item)) h = Math.max(h, height(item.key, depth + 1), height(item.value, depth + 1));
        else h = Math.max(h, height(item, depth + 1));
      }
      inProgress.delete(node);
      heights.set(node, h + 1);
      return h + 1;
    }
    return 0;
  };
  height(doc.contents, 0);
}
