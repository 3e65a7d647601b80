/**
 * A small JSON Schema (draft 2020-12) builder whose values carry the TypeScript type they describe,
 * so a plugin author declares a spec shape once and gets both the schema for `capabilities` and the
 * handler's parameter type (`Infer<typeof MySpec>`).
 */

/** A JSON schema that also records, at type level only, the value type it accepts. */
export interface Schema<T = unknown> {
  readonly json: Readonly<Record<string, unknown>>;
  /** Phantom marker for type inference; never set at run time. */
  readonly __type?: T;
}

/** The value type a schema describes. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

type Props = Record<string, Schema<unknown>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type ObjectOf<P extends Props, R extends keyof P> = Simplify<
  { -readonly [K in R]: Infer<P[K]> } & { -readonly [K in Exclude<keyof P, R>]?: Infer<P[K]> }
>;

interface Common {
  readonly description?: string;
}

const make = <T>(json: Record<string, unknown>, common?: Common): Schema<T> =>
  ({ json: common?.description ? { ...json, description: common.description } : json });

/** The builder: `s.object({ type: s.string(), path: s.string() }, { required: ['type', 'path'] })`. */
export const s = {
  string: (o: Common & { minLength?: number; pattern?: string; enum?: readonly string[] } = {}): Schema<string> => {
    const { description, ...rest } = o;
    return make<string>({ type: 'string', ...rest }, { description });
  },
  integer: (o: Common & { minimum?: number; maximum?: number } = {}): Schema<number> => {
    const { description, ...rest } = o;
    return make<number>({ type: 'integer', ...rest }, { description });
  },
  number: (o: Common & { minimum?: number; maximum?: number } = {}): Schema<number> => {
    const { description, ...rest } = o;
    return make<number>({ type: 'number', ...rest }, { description });
  },
  boolean: (o: Common = {}): Schema<boolean> => make<boolean>({ type: 'boolean' }, o),
  array: <I>(items: Schema<I>, o: Common = {}): Schema<I[]> => make<I[]>({ type: 'array', items: items.json }, o),
  /** A string-to-string map (identities, labels). */
  stringMap: (o: Common = {}): Schema<Record<string, string>> =>
    make<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' } }, o),
  /** Any JSON value (no constraint). */
  any: (o: Common = {}): Schema<unknown> => make<unknown>({}, o),
  object: <P extends Props, R extends keyof P & string = never>(
    properties: P,
    o: Common & { required?: readonly R[]; additionalProperties?: boolean } = {},
  ): Schema<ObjectOf<P, R>> => {
    const json: Record<string, unknown> = {
      type: 'object',
      properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, v.json])),
    };
    if (o.required?.length) json.required = [...o.required];
    if (o.additionalProperties !== undefined) json.additionalProperties = o.additionalProperties;
    return make<ObjectOf<P, R>>(json, o);
  },
  /** A literal JSON schema, typed by the author (`s.literal<MySpec>({...})`). */
  literal: <T = Record<string, unknown>>(json: Readonly<Record<string, unknown>>): Schema<T> => ({ json }),
};

/**
 * The document shipped in `capabilities`: `$schema` 2020-12 added when the author's schema has none
 * (the host validates with a 2020-12 validator; Go's generated schemas carry it too).
 */
export function schemaDocument(schema: Schema<unknown>): Record<string, unknown> {
  const json = schema.json;
  return '$schema' in json ? { ...json } : { $schema: 'https://json-schema.org/draft/2020-12/schema', ...json };
}
