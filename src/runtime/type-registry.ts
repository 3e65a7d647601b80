/**
 * The single place that turns `{ type: ... }` specs into implementations.
 *
 * Every typed extension point is a `kind`: repository types, access types, input types,
 * credential types, signing handlers, hash and normalisation algorithms, digest handlers,
 * blob transformers. Built-ins register exactly the way a plugin will, so a plugin adds a type
 * without touching the core, and every name a type is known by is declared once, in its
 * registration; code that needs to compare or resolve type names asks the registry.
 *
 * Type names are `name[/version]`; a missing version means `v1` (OCM rule), so `localBlob`
 * and `localBlob/v1` are the same type. Aliases map further names onto the canonical one
 * (`localBlob` ≡ `LocalBlob/v1`). Names match case-insensitively (users write `ctf`, `CTF`,
 * `sha256`, `pss`), so two registrations may not differ only in case.
 *
 * A name belongs to exactly one registration per registry: a second registration of a taken
 * name is ALREADY_EXISTS naming both (built-ins are never overridden silently). Registries are
 * per context (`new TypeRegistry()`); `defaultTypeRegistry` is the one library calls use when
 * the caller passes none (like OCM Go's DefaultContext).
 */
import { ErrorCode, OcmError } from './errors.js';
import { compileSpecSchema, type JsonSchema, type SpecValidator } from './spec-schema.js';

export type { JsonSchema } from './spec-schema.js';

export type TypeKind =
  | 'repository'
  | 'lister'
  | 'access'
  | 'input'
  | 'credential'
  | 'credential-repository'
  | 'signing'
  | 'hash'
  | 'normalisation'
  | 'digest'
  | 'blob-transformer'
  | (string & {});

export interface TypeRegistration<T> {
  /** Canonical type name, e.g. `LocalBlob/v1`. */
  readonly type: string;
  /** Other accepted names, e.g. `localBlob`. */
  readonly aliases?: readonly string[];
  /** JSON schema of the spec; checked by `decode` before the implementation sees the spec. */
  readonly schema?: JsonSchema;
  /** Free-text description for `ocm describe types`. */
  readonly description?: string;
  /** The spelling written for old v1 readers (access types: `localBlob`, `ociArtifact`), if any. */
  readonly legacyName?: string;
  /** Who registered it, for conflict messages: `built-in`, `plugin "acme"`. */
  readonly source?: string;
  /**
   * A plugin's registration: a later non-yielding registration of the same name takes that name
   * over instead of failing (built-ins win over plugins, as in Go, whatever the loading order).
   * Two yielding registrations of one name still conflict.
   */
  readonly yields?: boolean;
  readonly impl: T;
}

/** Any `{ type, ...fields }` object (a repository, access, input, ... spec). */
export interface TypedSpecLike {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** Canonical key of a type name: `name/version` with `v1` added when absent. */
export function typeKey(type: string): string {
  const t = type.trim();
  const slash = t.lastIndexOf('/');
  // A vendor name may contain slashes (`acme.org/x`): a version is only the last segment matching v<digits>[alpha<n>].
  if (slash > 0 && /^v\d+(?:(?:alpha|beta)\d+)?$/.test(t.slice(slash + 1))) return t;
  return `${t}/v1`;
}

const lookupKey = (type: string) => typeKey(type).toLowerCase();
const who = (r: TypeRegistration<unknown>) => `${r.source ?? 'an unnamed registration'} ${r.type}`;

export class TypeRegistry {
  readonly #byKind = new Map<string, Map<string, TypeRegistration<unknown>>>();
  readonly #validators = new WeakMap<TypeRegistration<unknown>, SpecValidator>();
  readonly #shadowed: { kind: string; type: string; by: TypeRegistration<unknown>; shadowed: TypeRegistration<unknown> }[] = [];

  /**
   * Registers a type under its name and aliases. Registering the same registration object again
   * is a no-op; any other registration of a taken name is ALREADY_EXISTS naming both sides.
   */
  register<T>(kind: TypeKind, registration: TypeRegistration<T>): void {
    let m = this.#byKind.get(kind);
    if (!m) this.#byKind.set(kind, (m = new Map()));
    const reg = registration as TypeRegistration<unknown>;
    const names = [reg.type, ...(reg.aliases ?? [])];
    for (const name of names) {
      const existing = m.get(lookupKey(name));
      if (existing === reg) continue;
      // A built-in and a plugin's type of the same name: the built-in holds it, either order.
      if (existing && existing.yields !== reg.yields && (existing.yields || reg.yields)) continue;
      if (existing) {
        throw new OcmError(
          ErrorCode.ALREADY_EXISTS,
          `type "${name}" (${kind}) is already registered by ${who(existing)}; ${who(reg)} cannot register it: use another type name`,
          { details: { kind, type: name, registeredBy: existing.source ?? '', conflictingSource: reg.source ?? '' } },
        );
      }
    }
    for (const name of names) {
      const existing = m.get(lookupKey(name));
      if (existing && existing !== reg && reg.yields && !existing.yields) {
        this.#shadowed.push({ kind, type: name, by: existing, shadowed: reg });
        continue;
      }
      if (existing && existing !== reg && existing.yields) this.#shadowed.push({ kind, type: name, by: reg, shadowed: existing });
      m.set(lookupKey(name), reg);
    }
  }

  /** Yielding (plugin) registrations whose names a later registration took over, for `ocm plugin list`. */
  shadowed(): readonly { kind: string; type: string; by: TypeRegistration<unknown>; shadowed: TypeRegistration<unknown> }[] {
    return this.#shadowed;
  }

  /** The registration for `type`, or undefined. */
  find<T>(kind: TypeKind, type: string): TypeRegistration<T> | undefined {
    return this.#byKind.get(kind)?.get(lookupKey(type)) as TypeRegistration<T> | undefined;
  }

  /** Like `find`, but throws UNSUPPORTED naming the kind, the type and the known types. */
  get<T>(kind: TypeKind, type: string): TypeRegistration<T> {
    const r = this.find<T>(kind, type);
    if (r) return r;
    const known = this.list(kind).map((x) => x.type);
    throw new OcmError(
      ErrorCode.UNSUPPORTED,
      `unknown ${kind} type "${type}"${known.length ? ` (known: ${known.join(', ')})` : ''}`,
      { details: { kind, type } },
    );
  }

  /**
   * The registration for `spec.type` after checking the spec against its schema: the boundary
   * where a spec from a file, a reference or a plugin becomes input to an implementation.
   * UNSUPPORTED for an unknown type, VALIDATION_FAILED naming the type and the field.
   */
  decode<T>(kind: TypeKind, spec: TypedSpecLike): TypeRegistration<T> {
    const r = this.get<T>(kind, spec.type);
    this.#check(kind, r as TypeRegistration<unknown>, spec);
    return r;
  }

  /** Checks `spec` against the schema of its registered type (no-op when there is no schema). */
  validate(kind: TypeKind, spec: TypedSpecLike): void {
    this.decode(kind, spec);
  }

  #check(kind: TypeKind, r: TypeRegistration<unknown>, spec: unknown): void {
    if (!r.schema) return;
    let v = this.#validators.get(r);
    if (!v) this.#validators.set(r, (v = compileSpecSchema(r.schema)));
    const problem = v(spec);
    if (!problem) return;
    const type = (spec as { type: string }).type;
    const field = problem.path || 'the spec';
    throw new OcmError(ErrorCode.VALIDATION_FAILED, `${kind} spec of type "${type}": ${field} ${problem.message}`, {
      details: { kind, type, field: problem.path },
    });
  }

  /** True if both names denote the same registered type (or the same name when unregistered). */
  same(kind: TypeKind, a: string, b: string): boolean {
    const ra = this.find(kind, a);
    const rb = this.find(kind, b);
    if (ra || rb) return ra === rb;
    return lookupKey(a) === lookupKey(b);
  }

  /** Every name (canonical type first, then the aliases) `type` is registered under; [] if unknown. */
  names(kind: TypeKind, type: string): string[] {
    const r = this.find(kind, type);
    return r ? [r.type, ...(r.aliases ?? [])] : [];
  }

  /** Every kind with at least one registration, in first-registration order (`ocm describe types`). */
  kinds(): string[] {
    return [...this.#byKind].filter(([, m]) => m.size > 0).map(([k]) => k);
  }

  /** Distinct registrations of a kind, in registration order. */
  list(kind: TypeKind): TypeRegistration<unknown>[] {
    return [...new Set(this.#byKind.get(kind)?.values() ?? [])];
  }
}

/**
 * The registry library calls use when the caller passes none. Each layer registers its built-ins
 * into a registry on first use (`registerBuiltins`, `registerBuiltinInputs`, `registerSigningTypes`),
 * so creating one is cheap and start-up loads only the layers a command uses.
 */
export const defaultTypeRegistry = new TypeRegistry();

/** Kind of blob transformers (`ocm download resource --transformer`), keyed by transformer spec type. */
export const BLOB_TRANSFORMER_KIND = 'blob-transformer';
/** Kind of spec-driven signers, keyed by the signer/verifier config type. */
export const SIGNER_KIND = 'signer';
