/**
 * Component descriptor codec: bytes (YAML or JSON, v2 or v3alpha1) → model, and model → v2 YAML/JSON.
 *
 * YAML is read with the YAML 1.2 core schema, so timestamps stay strings; a version written unquoted
 * as `1.0` becomes a number and is rejected with a hint to quote it (Go fails on it too; spec §1.9).
 * The writer sorts keys at every level and writes `[]` for empty lists, like v1's writer (§1.1), and
 * quotes every string that a YAML 1.1 or 1.2 reader would retype.
 */
import type * as YamlPackage from 'yaml';
import { Limits } from '../digest/digest.js';
import { aliasBudget, parseJsonBounded, parseYamlDocumentBounded, yamlLib as yaml, type ParseBounds } from '../internal/bounded-parse.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import { parseBlockYaml } from './block-yaml.js';
import { stringifyBlockYaml } from './block-yaml-write.js';
import { buildModel } from './model.js';
import type { ComponentDescriptor } from './types.js';
import { toWire, validateDescriptor } from './validate.js';

export { validateDescriptor } from './validate.js';

export interface ParseDescriptorOptions {
  /** Name of the input (file name, blob digest) used in every error message. */
  readonly source?: string;
  /** Check the JSON schema and the identity/label rules (default true). */
  readonly validate?: boolean;
}

export type DescriptorFormat = 'yaml' | 'json';

const DEFAULT_SOURCE = 'component descriptor';
// Depth and aliases: bounded-parse defaults (256 levels, 100 alias expansions); the fast path bails out past the same depth.
const bounds = (source: string): ParseBounds => ({ what: source, maxBytes: Limits.descriptor });

/** Parses a component descriptor (YAML or JSON; `meta.schemaVersion: v2` or `apiVersion: ocm.software/v3alpha1`). */
export function parseDescriptor(input: string | Uint8Array, options: ParseDescriptorOptions = {}): ComponentDescriptor {
  const source = options.source ?? DEFAULT_SOURCE;
  let text: string;
  if (typeof input === 'string') {
    // One UTF-16 unit is at least one UTF-8 byte: the exact count is the bounded parsers' business.
    if (input.length > Limits.descriptor) tooLarge(source);
    text = input;
  } else {
    if (input.byteLength > Limits.descriptor) tooLarge(source);
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch (e) {
      throw new OcmError(ErrorCode.PARSE_ERROR, `${source}: not valid UTF-8 text`, { cause: e, details: { source } });
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const { value, scalars } = looksLikeJson(text) ? { value: parseJson(text, source), scalars: new Map<string, string>() } : parseYaml(text, source);
  const cd = buildModel(value, source, scalars);
  if (options.validate ?? true) validateDescriptor(cd, source);
  return cd;
}

function tooLarge(source: string): never {
  throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `${source}: larger than the limit of ${Limits.descriptor} bytes`, { details: { source, limit: Limits.descriptor } });
}

function looksLikeJson(text: string): boolean {
  return /^\s*\{/.test(text);
}

function parseJson(text: string, source: string): unknown {
  return parseJsonBounded(text, bounds(source));
}

function parseYaml(text: string, source: string): { value: unknown; scalars: Map<string, string> } {
  // The block subset every descriptor writer uses is read directly; anything else by the full parser.
  return parseBlockYaml(text) ?? parseYamlWithPackage(text, source);
}

/** @internal The `yaml` package path of the reader (the reference the fast path is tested against). */
export function parseYamlWithPackage(text: string, source = DEFAULT_SOURCE): { value: unknown; scalars: Map<string, string> } {
  const doc = parseYamlDocumentBounded(text, bounds(source), { version: '1.2', schema: 'core', uniqueKeys: true, strict: true });
  const scalars = new Map<string, string>();
  const value = toPlain(doc.contents, doc, '', scalars, aliasBudget(bounds(source)), source);
  return { value, scalars };
}

function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

/** Node → plain JSON value, remembering the source text of non-string scalars by path. */
function toPlain(
  node: unknown,
  doc: YamlPackage.Document,
  path: string,
  scalars: Map<string, string>,
  alias: () => void,
  source: string,
): unknown {
  if (node === null || node === undefined) return null;
  const { isAlias, isMap, isScalar, isSeq } = yaml();
  if (isAlias(node)) {
    alias();
    return toPlain(node.resolve(doc), doc, path, scalars, alias, source);
  }
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'number' || typeof v === 'bigint') {
      if (node.source !== undefined) scalars.set(path, node.source);
      return typeof v === 'bigint' ? Number(v) : v;
    }
    return v;
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (k !== null && typeof k === 'object') {
        throw new OcmError(ErrorCode.PARSE_ERROR, `${source}: ${path || '(document)'}: map keys must be scalars`, { details: { source } });
      }
      const key = String(k);
      Object.defineProperty(out, key, {
        value: toPlain(pair.value, doc, joinPath(path, key), scalars, alias, source),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((it, i) => toPlain(it, doc, joinPath(path, i), scalars, alias, source));
  throw new OcmError(ErrorCode.PARSE_ERROR, `${source}: ${path || '(document)'}: unsupported YAML node`, { details: { source } });
}

/** Deep copy with keys sorted (Go's JSON marshalling order). */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      Object.defineProperty(out, k, {
        value: sortKeys((v as Record<string, unknown>)[k]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return v;
}

/** Plain scalars that some YAML reader (1.1 or 1.2) would read as something other than a string. */
const RETYPED = [
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:~|null|Null|NULL)$/,
  /^[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*)$/,
  /^[-+]?(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][-+]?[0-9]+)?$/,
  /^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/,
  /^\d{4}-\d{1,2}-\d{1,2}/,
  /^=$|^<<$/,
];

/** @internal Whether the writer double-quotes this string (shared with the fast block-YAML writer). */
export function retyped(s: string): boolean {
  // Fast answer for the common case: a word starting with a letter is retyped only if it is one of the listed words.
  if (/^[A-Za-z][A-Za-z0-9_./+:-]*$/.test(s)) return RETYPED_WORD.test(s);
  return s !== '' && RETYPED.some((re) => re.test(s));
}

/** The RETYPED strings that start with a letter and have only [A-Za-z0-9_./+:-] (all others start otherwise). */
const RETYPED_WORD = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|[eE][-+]?[0-9]+)$/;

/** Serialises the model as a v2 descriptor (keys sorted, empty lists as `[]`). JSON is compact, as Go writes it. */
export function serializeDescriptor(cd: ComponentDescriptor, format: DescriptorFormat = 'yaml'): string {
  if (format !== 'yaml' && format !== 'json') {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `descriptor format "${String(format)}" is not supported; use yaml or json`);
  }
  const raw = toWire(cd);
  if (format === 'yaml') {
    // Byte-identical to the `yaml` package output below for one-line printable-ASCII strings (all
    // descriptors we write in practice); anything else takes the package path.
    const fast = stringifyBlockYaml(raw, retyped, true);
    if (fast !== undefined) return fast;
  }
  const wire = sortKeys(raw);
  if (format === 'json') return JSON.stringify(wire);
  return stringifyYamlWithPackage(wire);
}

/** @internal The `yaml` package path of the writer (the reference the fast path is tested against). */
export function stringifyYamlWithPackage(wire: unknown): string {
  const { Document, visit } = yaml();
  const doc = new Document(wire, { version: '1.2' });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && retyped(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ lineWidth: 0, indentSeq: false });
}
