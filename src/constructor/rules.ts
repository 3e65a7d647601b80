/**
 * Field-level checks for constructor documents, following the upstream constructor JSON schema
 * (`bindings/go/constructor/spec/v1/resources/schema-2020-12.json`). Every failure is one
 * VALIDATION_FAILED line `<file>: <path>: <what is wrong and what to write instead>`.
 */
import { isRelaxedSemver, isValidComponentName, isValidElementName } from '../descriptor/identity.js';
import type { DigestSpec, Label } from '../descriptor/types.js';
import { ValidationError } from '../runtime/errors.js';

const OCM_TYPE = /^[a-zA-Z0-9][a-zA-Z0-9.]*/;
const LABEL_VERSION = /^v[0-9]+$/;
const MERGE_ALGORITHM = /^[a-z][a-z0-9/_-]+$/;
// RFC 3339 date-time (JSON schema `format: date-time`).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export type Obj = Record<string, unknown>;

/** Collects the file name so each check can produce a one-line message. */
export class Checker {
  readonly source: string;
  constructor(source: string) {
    this.source = source;
  }

  fail(path: string, message: string): never {
    throw new ValidationError(`${this.source}: ${path}: ${message}`, { paths: [path], details: { source: this.source, path } });
  }

  object(v: unknown, path: string, what = 'an object'): Obj {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(path, `must be ${what}, got ${describe(v)}`);
    return v as Obj;
  }

  /** `null`/absent → []. */
  list(v: unknown, path: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(path, `must be a list, got ${describe(v)}`);
    return v;
  }

  string(v: unknown, path: string, hint = ''): string {
    if (typeof v === 'number' || typeof v === 'boolean') {
      this.fail(path, `must be a string, got the ${typeof v} ${String(v)}: put the value in quotes in the file`);
    }
    if (typeof v !== 'string' || v === '') this.fail(path, `must be a non-empty string${hint}, got ${describe(v)}`);
    return v;
  }

  onlyKeys(o: Obj, allowed: readonly string[], path: string): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) this.fail(path, `unknown field "${k}" (allowed: ${allowed.join(', ')})`);
    }
  }

  componentName(v: unknown, path: string): string {
    const s = this.string(v, path);
    if (!isValidComponentName(s)) {
      this.fail(path, `invalid component name "${s}": use a lower-case DNS domain plus at least one path segment, e.g. acme.org/my-component (max 255 characters)`);
    }
    return s;
  }

  version(v: unknown, path: string): string {
    const s = this.string(v, path);
    if (!isRelaxedSemver(s)) this.fail(path, `invalid version "${s}": use (relaxed) semantic versioning, e.g. 1.0.0, v1.2 or 1.0.0-rc.1`);
    return s;
  }

  identityKey(v: unknown, path: string, what = 'name'): string {
    const s = this.string(v, path);
    if (!isValidElementName(s)) {
      this.fail(path, `invalid ${what} "${s}": use at least 2 characters of a-z, 0-9, "-", "_", "+", starting and ending with a letter or digit`);
    }
    return s;
  }

  ocmType(v: unknown, path: string): string {
    const s = this.string(v, path);
    if (!OCM_TYPE.test(s)) this.fail(path, `invalid type "${s}": must start with a letter or digit, e.g. blob or ociImage`);
    return s;
  }

  /** `extraIdentity` / `identitySelector`: keys are identity keys, values strings. */
  identityMap(v: unknown, path: string): Record<string, string> | undefined {
    if (v === undefined || v === null) return undefined;
    const o = this.object(v, path, 'a map of strings');
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(o)) {
      this.identityKey(k, `${path}.${k}`, 'identity key');
      out[k] = this.string(val, `${path}.${k}`);
    }
    return out;
  }

  labels(v: unknown, path: string): Label[] | undefined {
    if (v === undefined || v === null) return undefined;
    const names = new Set<string>();
    return this.list(v, path).map((item, i) => {
      const p = `${path}[${i}]`;
      const o = this.object(item, p);
      const name = this.string(o.name, `${p}.name`);
      if (names.has(name)) this.fail(`${p}.name`, `duplicate label "${name}": label names must be unique per element`);
      names.add(name);
      if (!('value' in o) || o.value === null || o.value === undefined) this.fail(`${p}.value`, `label "${name}" needs a value`);
      const label: { -readonly [K in keyof Label]: Label[K] } = { name, value: o.value };
      if (o.version !== undefined) {
        const ver = this.string(o.version, `${p}.version`);
        if (!LABEL_VERSION.test(ver)) this.fail(`${p}.version`, `invalid label version "${ver}": use v<number>, e.g. v1`);
        label.version = ver;
      }
      if (o.signing !== undefined) {
        if (typeof o.signing !== 'boolean') this.fail(`${p}.signing`, `must be true or false (unquoted), got ${describe(o.signing)}`);
        label.signing = o.signing;
      }
      if (o.merge !== undefined && o.merge !== null) {
        const m = this.object(o.merge, `${p}.merge`);
        this.onlyKeys(m, ['algorithm', 'config'], `${p}.merge`);
        const algorithm = this.string(m.algorithm, `${p}.merge.algorithm`);
        if (!MERGE_ALGORITHM.test(algorithm)) this.fail(`${p}.merge.algorithm`, `invalid merge algorithm "${algorithm}"`);
        label.merge = m.config === undefined ? { algorithm } : { algorithm, config: m.config };
      }
      return label;
    });
  }

  digest(v: unknown, path: string): DigestSpec | undefined {
    if (v === undefined || v === null) return undefined;
    const o = this.object(v, path);
    return {
      hashAlgorithm: this.string(o.hashAlgorithm, `${path}.hashAlgorithm`),
      normalisationAlgorithm: this.string(o.normalisationAlgorithm, `${path}.normalisationAlgorithm`),
      value: this.string(o.value, `${path}.value`),
    };
  }

  creationTime(v: unknown, path: string): string | undefined {
    if (v === undefined || v === null) return undefined;
    const s = this.string(v, path);
    if (!DATE_TIME.test(s)) this.fail(path, `invalid creationTime "${s}": use RFC 3339, e.g. 2025-03-18T09:44:42Z`);
    return s;
  }
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return v === '' ? 'an empty string' : `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  return `${typeof v} ${String(v)}`;
}
