/**
 * The `capabilities` JSON in exactly Go's shape (sorted keys per capability entry, `aliases: null`
 * when none, base64 `jsonSchema`, `supportedConfigTypes` omitted when empty) and the per-capability
 * type index used to validate incoming specs.
 */
import { compileSpecSchema, type SpecValidator } from '../../runtime/spec-schema.js';
import type { PluginCapabilityHandlers, PluginDefinition, TypeDeclaration } from './contracts.js';
import { schemaDocument } from './schema.js';
import { PluginError } from './wire.js';

export type CapabilityName = keyof PluginCapabilityHandlers;

/** Capability → list field → the declarations in it (Go field names). */
function listFields(name: CapabilityName, c: NonNullable<PluginCapabilityHandlers[CapabilityName]>): Record<string, readonly TypeDeclaration[]> {
  switch (name) {
    case 'componentVersionRepository':
    case 'componentLister':
      return { supportedRepositorySpecTypes: c.types };
    case 'credentialRepository': {
      const cr = c as NonNullable<PluginCapabilityHandlers['credentialRepository']>;
      const out: Record<string, readonly TypeDeclaration[]> = {
        supportedConsumerIdentityTypes: cr.consumerIdentityTypes,
        supportedCredentialRepositorySpecTypes: cr.types,
      };
      if (cr.customCredentialTypes?.length) out.customCredentialTypes = cr.customCredentialTypes;
      return out;
    }
    case 'credentialPlugin':
      return { supportedCredentialPluginTypes: c.types };
    case 'inputRepository':
      return { supportedInputTypes: c.types };
    case 'digestProcessorRepository':
    case 'resourceRepository':
      return { supportedAccessTypes: c.types };
    case 'signingHandler':
      return { supportedSigningSpecTypes: c.types };
    case 'blobTransformer':
      return { supportedTransformerSpecTypes: c.types };
    default:
      throw new Error(`unknown capability ${String(name)}`);
  }
}

/** One declared type as Go marshals it: keys sorted, schema as base64 of its compact JSON. */
export function declaredTypeJson(d: TypeDeclaration): Record<string, unknown> {
  return {
    aliases: d.aliases?.length ? [...d.aliases] : null,
    jsonSchema: Buffer.from(JSON.stringify(schemaDocument(d.schema))).toString('base64'),
    type: d.type,
  };
}

/** The capabilities document `<plugin> capabilities` prints. */
export function capabilitiesJson(def: PluginDefinition): Record<string, unknown> {
  const capabilities: Record<string, unknown>[] = [];
  for (const [name, c] of Object.entries(def.capabilities) as [CapabilityName, PluginCapabilityHandlers[CapabilityName]][]) {
    if (!c) continue;
    const fields = listFields(name, c);
    const entry: Record<string, unknown> = {};
    for (const k of Object.keys(fields).sort()) entry[k] = fields[k]!.map(declaredTypeJson);
    entry.type = name;
    capabilities.push(entry);
  }
  const out: Record<string, unknown> = { capabilities };
  if (def.supportedConfigTypes?.length) out.supportedConfigTypes = [...def.supportedConfigTypes];
  return out;
}

/** Looks up the declaration of a spec's `type` in one capability and validates the spec against it. */
export class TypeIndex {
  private readonly byType = new Map<string, { decl: TypeDeclaration; validate?: SpecValidator }>();

  constructor(decls: readonly TypeDeclaration[]) {
    for (const d of decls) {
      for (const name of [d.type, ...(d.aliases ?? [])]) if (!this.byType.has(name)) this.byType.set(name, { decl: d });
    }
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  /** The spec, checked: an object with a declared `type` that matches its schema; 400 otherwise. */
  check(spec: unknown, what: string): Record<string, unknown> {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new PluginError(400, `invalid request: ${what} must be a JSON object`);
    const type = (spec as Record<string, unknown>).type;
    if (typeof type !== 'string' || type === '') throw new PluginError(400, `invalid request: ${what} has no type`);
    const entry = this.byType.get(type);
    if (!entry) throw new PluginError(400, `unsupported ${what} type ${JSON.stringify(type)}: this plugin serves ${[...this.byType.keys()].join(', ')}`);
    // ajv is compiled on first use only: plugin start-up stays cheap.
    entry.validate ??= compileSpecSchema(schemaDocument(entry.decl.schema));
    const problem = entry.validate(spec);
    if (problem) {
      throw new PluginError(400, `invalid ${what} of type ${type}: ${problem.path ? `${problem.path} ` : ''}${problem.message}`);
    }
    return spec as Record<string, unknown>;
  }
}
