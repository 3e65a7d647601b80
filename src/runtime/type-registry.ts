/**
 * The single place that turns `{ type: ... }` specs into implementations.
 *
 * Every typed extension point (repository types, access types, input types, credential types,
 * signing handlers, digest processors) is a `kind`. Built-ins register exactly the way a plugin
 * will, so a plugin adds a type without touching the core.
 *
 * Type names are `name[/version]`; a missing version means `v1` (OCM rule), so `localBlob`
 * and `localBlob/v1` are the same type. Aliases map further names onto the canonical one
 * (`localBlob` ≡ `LocalBlob/v1`).
 */
import { ErrorCode, OcmError } from './errors.js';

export type TypeKind =
  | 'repository'
  | 'access'
  | 'input'
  | 'credential'
  | 'credential-repository'
  | 'signing'
  | 'digest'
  | (string & {});

export interface TypeRegistration<T> {
  /** Canonical type name, e.g. `LocalBlob/v1`. */
  readonly type: string;
  /** Other accepted names, e.g. `localBlob`. */
  readonly aliases?: readonly string[];
  /** Optional JSON schema of the spec (plugins publish one). */
  readonly schema?: unknown;
  /** Free-text description for `ocm describe types`. */
  readonly description?: string;
  readonly impl: T;
}

/** Canonical key of a type name: `name/version` with `v1` added when absent. */
export function typeKey(type: string): string {
  const t = type.trim();
  const slash = t.lastIndexOf('/');
  // A vendor name may contain slashes (`acme.org/x`): a version is only the last segment matching v<digits>[alpha<n>].
  if (slash > 0 && /^v\d+(?:(?:alpha|beta)\d+)?$/.test(t.slice(slash + 1))) return t;
  return `${t}/v1`;
}

export class TypeRegistry {
  readonly #byKind = new Map<string, Map<string, TypeRegistration<unknown>>>();

  /** Registers a type; re-registering a name replaces it (plugins may override built-ins deliberately). */
  register<T>(kind: TypeKind, registration: TypeRegistration<T>): void {
    let m = this.#byKind.get(kind);
    if (!m) this.#byKind.set(kind, (m = new Map()));
    for (const name of [registration.type, ...(registration.aliases ?? [])]) {
      m.set(typeKey(name), registration as TypeRegistration<unknown>);
    }
  }

  /** The registration for `type`, or undefined. */
  find<T>(kind: TypeKind, type: string): TypeRegistration<T> | undefined {
    return this.#byKind.get(kind)?.get(typeKey(type)) as TypeRegistration<T> | undefined;
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

  /** True if both names denote the same registered type (or the same name when unregistered). */
  same(kind: TypeKind, a: string, b: string): boolean {
    const ra = this.find(kind, a);
    const rb = this.find(kind, b);
    if (ra && rb) return ra === rb;
    return typeKey(a) === typeKey(b);
  }

  /** Distinct registrations of a kind, in registration order. */
  list(kind: TypeKind): TypeRegistration<unknown>[] {
    return [...new Set(this.#byKind.get(kind)?.values() ?? [])];
  }
}

/** The process-wide registry that built-ins and plugins register into. */
export const defaultTypeRegistry = new TypeRegistry();
