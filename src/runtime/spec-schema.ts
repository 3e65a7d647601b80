/**
 * Validation of a typed spec against the JSON schema of its registration.
 *
 * Built-in types declare small schemas (`filePath` is a string, ...). Loading and compiling ajv
 * costs ~100-200 ms, which `ocm get cv` on a CTF must not pay, so schemas that use only the
 * common keywords below are checked by a small interpreter; anything else (plugin schemas with
 * `$ref`, `oneOf`, `pattern`, ...) is compiled by ajv on first use and cached per schema.
 */
import { createRequire } from 'node:module';

export type JsonSchema = Readonly<Record<string, unknown>>;

/** A problem found in a spec: the field path (`filePath`, `a.b[2]`, '' for the root) and what is wrong. */
export interface SchemaProblem {
  readonly path: string;
  readonly message: string;
}

export type SpecValidator = (spec: unknown) => SchemaProblem | undefined;

const SIMPLE_KEYWORDS = new Set([
  'type', 'required', 'properties', 'enum', 'minLength', 'items', 'additionalProperties', 'description', 'title', '$schema', '$id',
]);

/** True if the schema (and all nested ones) only uses keywords the interpreter implements. */
export function isSimpleSchema(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return false;
  for (const [k, v] of Object.entries(schema)) {
    if (!SIMPLE_KEYWORDS.has(k)) return false;
    if (k === 'properties') {
      if (typeof v !== 'object' || v === null || !Object.values(v).every(isSimpleSchema)) return false;
    } else if (k === 'items' && !isSimpleSchema(v)) return false;
    else if (k === 'additionalProperties' && typeof v !== 'boolean') return false;
    else if (k === 'type' && typeof v !== 'string' && !(Array.isArray(v) && v.every((t) => typeof t === 'string'))) return false;
  }
  return true;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function check(schema: JsonSchema, value: unknown, path: string): SchemaProblem | undefined {
  const type = schema.type as string | string[] | undefined;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    const actual = typeOf(value);
    const ok = types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
    if (!ok) return { path, message: `must be ${types.join(' or ')}, got ${actual}` };
  }
  const en = schema.enum as readonly unknown[] | undefined;
  if (en && !en.some((e) => e === value)) return { path, message: `must be one of ${en.map((e) => JSON.stringify(e)).join(', ')}` };
  if (typeof schema.minLength === 'number' && typeof value === 'string' && value.length < schema.minLength) {
    return { path, message: schema.minLength === 1 ? 'must not be empty' : `must have at least ${schema.minLength} characters` };
  }
  if (Array.isArray(value) && schema.items) {
    for (const [i, item] of value.entries()) {
      const p = check(schema.items as JsonSchema, item, `${path}[${i}]`);
      if (p) return p;
    }
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of (schema.required as readonly string[] | undefined) ?? []) {
      if (obj[r] === undefined) return { path: join(path, r), message: 'is required' };
    }
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const [k, v] of Object.entries(obj)) {
      const sub = props[k];
      if (sub) {
        const p = check(sub, v, join(path, k));
        if (p) return p;
      } else if (schema.additionalProperties === false) return { path: join(path, k), message: 'is not allowed' };
    }
  }
  return undefined;
}

interface AjvLike {
  compile(schema: unknown): ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] | null };
}
let ajv: AjvLike | undefined;

/** ajv (draft 2020-12), loaded synchronously on first need; ajv is CommonJS. */
function ajvInstance(): AjvLike {
  if (!ajv) {
    const Ajv = (createRequire(import.meta.url)('ajv/dist/2020.js') as { default: new (o: object) => AjvLike }).default;
    ajv = new Ajv({ strict: false, allErrors: false });
  }
  return ajv;
}

/** `/a/b/0` → `a.b[0]` */
function pointerPath(pointer: string): string {
  let out = '';
  for (const seg of pointer.split('/').slice(1)) {
    const s = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(s) ? `[${s}]` : out ? `.${s}` : s;
  }
  return out;
}

/** A validator for `schema`: the interpreter for simple schemas, ajv otherwise (compiled here, once). */
export function compileSpecSchema(schema: JsonSchema): SpecValidator {
  if (isSimpleSchema(schema)) return (spec) => check(schema, spec, '');
  const fn = ajvInstance().compile(schema);
  return (spec) => {
    if (fn(spec)) return undefined;
    const e = fn.errors?.[0];
    if (!e) return { path: '', message: 'does not match the schema' };
    const missing = e.params?.missingProperty;
    if (typeof missing === 'string') return { path: pointerPath(`${e.instancePath}/${missing}`), message: 'is required' };
    return { path: pointerPath(e.instancePath), message: e.message ?? 'does not match the schema' };
  };
}
