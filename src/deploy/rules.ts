/**
 * Localization and configuration rules in the ocm-controller `ConfigData` shape, and their
 * application to YAML/JSON files. Files are edited as `yaml` Documents (not plain objects) so
 * comments, key order and quoting of everything a rule does not touch survive.
 */
import type * as YamlPackage from 'yaml';
import { parseYamlAllBounded, parseYamlBounded, yamlLib } from '../internal/bounded-parse.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';

/** What a localization rule writes, from the referenced image's current location. */
// `digest` (bare `sha256:…`) is an addition to the ocm-controller fields: kustomize `images[].digest`
// and Helm charts' `image.digest` need the digest without tag or `@`.
export const LOCALIZATION_FIELDS = ['image', 'repository', 'registry', 'tag', 'fullyQualifiedRepository', 'digest'] as const;
export type LocalizationField = (typeof LOCALIZATION_FIELDS)[number];

/** Resource type of a rules resource inside a component version. */
export const LOCALIZATION_RULES_TYPE = 'ocm.software/localization-rules';
/** Rules files and manifests above this size are refused (they are read whole to be edited). */
export const MAX_RULES_BYTES = 1024 * 1024;

export interface LocalizationRule {
  /** Position in `localization` (error messages name it). */
  readonly index: number;
  readonly resource: { readonly name: string; readonly extraIdentity?: Readonly<Record<string, string>> };
  /** Component references to follow, by reference name, before looking the resource up. */
  readonly referencePath: readonly { readonly name: string }[];
  readonly file: string;
  readonly field: LocalizationField;
  /** The YAML path in `file` (e.g. `spec.template.spec.containers[0].image`). */
  readonly path: string;
}

export interface ConfigurationRule {
  readonly index: number;
  readonly value: unknown;
  readonly file: string;
  readonly path: string;
}

export interface LocalizationRules {
  /** Where the rules came from (a file path or `resource <name>`), for messages. */
  readonly source: string;
  readonly localization: readonly LocalizationRule[];
  readonly configuration: { readonly defaults: Readonly<Record<string, unknown>>; readonly rules: readonly ConfigurationRule[] };
}

/** Where an image lives now (after any transfer). */
export interface ImageLocation {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** One resolved write: `value` at `path` in `file`, for the rule named by `rule`. */
export interface Edit {
  readonly rule: string;
  readonly file: string;
  readonly path: string;
  readonly value: unknown;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a `ConfigData` document (YAML or JSON). Errors name the source and the field. */
export function parseRules(text: string | Uint8Array, source: string): LocalizationRules {
  const doc = parseYamlBounded(text, { what: `rules ${source}`, maxBytes: MAX_RULES_BYTES });
  const bad = (field: string, why: string): OcmError => new OcmError(ErrorCode.VALIDATION_FAILED, `rules ${source}: ${field}: ${why}`);
  if (!isMap(doc)) throw bad('document', 'must be a map with localization and/or configuration');
  const str = (v: unknown, field: string): string => {
    if (typeof v !== 'string' || v === '') throw bad(field, 'must be a non-empty string');
    return v;
  };
  const localization: LocalizationRule[] = [];
  const loc = doc['localization'] ?? [];
  if (!Array.isArray(loc)) throw bad('localization', 'must be a list of rules');
  for (const [index, r] of loc.entries()) {
    const at = `localization[${index}]`;
    if (!isMap(r)) throw bad(at, 'must be a map');
    const res = r['resource'];
    if (!isMap(res)) throw bad(`${at}.resource`, 'must be a map with name (and optional extraIdentity)');
    const name = str(res['name'], `${at}.resource.name`);
    let extraIdentity: Record<string, string> | undefined;
    if (res['extraIdentity'] !== undefined) {
      if (!isMap(res['extraIdentity'])) throw bad(`${at}.resource.extraIdentity`, 'must be a map of strings');
      extraIdentity = {};
      for (const [k, v] of Object.entries(res['extraIdentity'])) extraIdentity[k] = str(v, `${at}.resource.extraIdentity.${k}`);
    }
    const rp = r['referencePath'] ?? [];
    if (!Array.isArray(rp)) throw bad(`${at}.referencePath`, 'must be a list of {name: <reference name>}');
    const referencePath = rp.map((p, i) => ({ name: str(isMap(p) ? p['name'] : undefined, `${at}.referencePath[${i}].name`) }));
    if (r['mapping'] !== undefined) {
      throw new OcmError(ErrorCode.UNSUPPORTED, `rules ${source}: ${at}.mapping: mapping expressions (spiff/CUE) are not supported; use image, repository, registry, tag, fullyQualifiedRepository or digest`);
    }
    const fields = LOCALIZATION_FIELDS.filter((f) => r[f] !== undefined);
    if (fields.length !== 1) throw bad(at, `needs exactly one of ${LOCALIZATION_FIELDS.join(', ')} (found ${fields.length ? fields.join(', ') : 'none'})`);
    const field = fields[0]!;
    const path = str(r[field], `${at}.${field}`);
    checkPath(path, (why) => bad(`${at}.${field}`, why));
    localization.push({ index, resource: { name, ...(extraIdentity ? { extraIdentity } : {}) }, referencePath, file: checkFile(str(r['file'], `${at}.file`), (why) => bad(`${at}.file`, why)), field, path });
  }
  const cfg = doc['configuration'] ?? {};
  if (!isMap(cfg)) throw bad('configuration', 'must be a map with defaults and rules');
  const defaults = cfg['defaults'] ?? {};
  if (!isMap(defaults)) throw bad('configuration.defaults', 'must be a map');
  const rawRules = cfg['rules'] ?? [];
  if (!Array.isArray(rawRules)) throw bad('configuration.rules', 'must be a list');
  const rules = rawRules.map((r, index): ConfigurationRule => {
    const at = `configuration.rules[${index}]`;
    if (!isMap(r)) throw bad(at, 'must be a map with value, file and path');
    if (!('value' in r)) throw bad(`${at}.value`, 'is missing');
    const path = str(r['path'], `${at}.path`);
    checkPath(path, (why) => bad(`${at}.path`, why));
    return { index, value: configValue(r['value'], defaults, (why) => bad(`${at}.value`, why)), file: checkFile(str(r['file'], `${at}.file`), (why) => bad(`${at}.file`, why)), path };
  });
  return { source, localization, configuration: { defaults, rules } };
}

/**
 * Plain values only; `(( key ))` (the spiff form ocm-controller examples use) is accepted as a
 * plain lookup of a top-level key of `defaults`, nothing more.
 */
function configValue(v: unknown, defaults: Record<string, unknown>, bad: (why: string) => OcmError): unknown {
  if (typeof v !== 'string') return v;
  const m = /^\(\(\s*(.*?)\s*\)\)$/.exec(v);
  if (!m) return v;
  const key = m[1]!;
  if (!/^[A-Za-z_][\w-]*$/.test(key)) throw bad(`"${v}" is an expression; only plain values and (( <key of defaults> )) are supported`);
  if (!(key in defaults)) throw bad(`"${v}" names ${key}, which configuration.defaults does not define`);
  return defaults[key];
}

function checkFile(file: string, bad: (why: string) => OcmError): string {
  const norm = file.replace(/^\.\//, '');
  if (norm.startsWith('/') || norm.split('/').some((p) => p === '..' || p === '')) throw bad(`"${file}" must be a relative path inside the deployable`);
  return norm;
}

/** A path segment: a map key or a sequence index. */
export type PathSegment = string | number;

/**
 * Parses the JSONPath-lite ocm-controller paths use: dotted keys, `[n]` indices, and quoted keys
 * (`metadata.annotations["a.b/c"]`) for keys with dots. A leading `$.` or `.` is ignored.
 */
export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  const re = /\[(\d+)\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*'([^']*)'\s*\]|([^.[\]]+)|(\.)/gy;
  const s = path.replace(/^\$?\./, '');
  let expectKey = true;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (re.lastIndex < s.length && (m = re.exec(s)) !== null) {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else if (m[2] !== undefined) out.push(m[2].replace(/\\(.)/g, '$1'));
    else if (m[3] !== undefined) out.push(m[3]);
    else if (m[4] !== undefined) {
      if (!expectKey) throw new Error(`unexpected "${m[4]}"`);
      out.push(m[4]);
    } else {
      if (expectKey) throw new Error('has an empty segment');
      expectKey = true;
      continue;
    }
    expectKey = false;
  }
  if (re.lastIndex !== s.length || out.length === 0 || s.endsWith('.')) throw new Error('is not a path like a.b[0].c');
  return out;
}

function checkPath(path: string, bad: (why: string) => OcmError): void {
  try {
    parsePath(path);
  } catch (e) {
    throw bad(`"${path}" ${(e as Error).message}`);
  }
}

/** The text a localization field writes for an image location. */
export function localizedValue(field: LocalizationField, loc: ImageLocation): string {
  switch (field) {
    case 'registry':
      return loc.registry;
    case 'repository':
      return loc.repository;
    case 'fullyQualifiedRepository':
      return `${loc.registry}/${loc.repository}`;
    // A digest is what pins; with both, Kubernetes pulls by the digest and the tag stays as a hint.
    case 'tag':
      return loc.tag ?? (loc.digest ? `@${loc.digest}` : 'latest');
    case 'digest':
      if (!loc.digest) throw new OcmError(ErrorCode.UNSUPPORTED, `${loc.registry}/${loc.repository}${loc.tag ? `:${loc.tag}` : ''} has no digest to pin`);
      return loc.digest;
    case 'image':
      return `${loc.registry}/${loc.repository}${loc.tag ? `:${loc.tag}` : ''}${loc.digest ? `@${loc.digest}` : ''}`;
  }
}

/** Edits from the rules: localization values come from `resolve` (the component graph); configuration values are plain. */
export async function resolveEdits(rules: LocalizationRules, resolve: (rule: LocalizationRule) => Promise<ImageLocation>): Promise<Edit[]> {
  const out: Edit[] = [];
  for (const r of rules.localization) {
    const loc = await resolve(r);
    out.push({ rule: describeRule(rules, r), file: r.file, path: r.path, value: localizedValue(r.field, loc) });
  }
  for (const r of rules.configuration.rules) out.push({ rule: `rules ${rules.source}: configuration.rules[${r.index}]`, file: r.file, path: r.path, value: r.value });
  return out;
}

/** `rules <src>: localization[i] (resource name[,k=v] via ref/ref)`: how every error names a rule. */
export function describeRule(rules: Pick<LocalizationRules, 'source'>, r: LocalizationRule): string {
  const extra = Object.entries(r.resource.extraIdentity ?? {}).map(([k, v]) => `,${k}=${v}`).join('');
  const via = r.referencePath.length ? ` via reference ${r.referencePath.map((p) => p.name).join('/')}` : '';
  return `rules ${rules.source}: localization[${r.index}] (resource ${r.resource.name}${extra}${via})`;
}

/** A YAML/JSON file opened for editing: every document of the stream. */
export interface EditableFile {
  readonly path: string;
  readonly json: boolean;
  readonly docs: YamlPackage.Document.Parsed[];
}

/** Opens a YAML (multi-document) or JSON file for editing, within the size bound. */
export function openEditable(path: string, text: string, maxBytes: number): EditableFile {
  const json = /\.json$/i.test(path);
  // The bounded parse checks size, depth, aliases and syntax; the Documents are then parsed for editing.
  parseYamlAllBounded(text, { what: path, maxBytes });
  const docs = yamlLib().parseAllDocuments(text) as YamlPackage.Document.Parsed[];
  return { path, json, docs: Array.isArray(docs) ? docs : [docs] };
}

export function serialize(f: EditableFile): string {
  if (f.json) return f.docs.map((d) => `${JSON.stringify(d.toJS(), null, 2)}\n`).join('');
  return f.docs
    .map((d, i) => {
      const s = d.toString({ lineWidth: 0 });
      return i > 0 && !s.startsWith('---') ? `---\n${s}` : s;
    })
    .join('');
}

/**
 * Applies the edits. A path applies in every document of the file whose parent node exists (a
 * multi-document stream usually holds it once); the last key may be new, nothing above it is
 * invented. A file or path that matches nowhere is an error naming the rule.
 */
export function applyEdits(files: ReadonlyMap<string, EditableFile>, edits: readonly Edit[]): void {
  const Y = yamlLib();
  for (const e of edits) {
    const f = files.get(e.file);
    if (!f) throw new OcmError(ErrorCode.NOT_FOUND, `${e.rule}: file ${e.file} is not in the deployable (files: ${[...files.keys()].join(', ') || 'none'})`);
    const path = parsePath(e.path);
    const parentPath = path.slice(0, -1);
    const last = path[path.length - 1]!;
    let hits = 0;
    for (const doc of f.docs) {
      const parent = parentPath.length ? doc.getIn(parentPath, true) : doc.contents;
      if (typeof last === 'number' ? !Y.isSeq(parent) || last >= parent.items.length : !Y.isMap(parent)) continue;
      const node = doc.getIn(path, true);
      // Changing the scalar in place keeps its comments; a new key or a non-scalar is replaced.
      if (Y.isScalar(node) && (e.value === null || typeof e.value !== 'object')) node.value = e.value;
      else doc.setIn(path, doc.createNode(e.value));
      hits++;
    }
    if (hits === 0) throw new OcmError(ErrorCode.NOT_FOUND, `${e.rule}: path ${e.path} does not exist in ${e.file} (its parent must exist: a map for a key, a list long enough for an index)`);
  }
}
