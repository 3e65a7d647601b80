/**
 * Turns loaded plugins into type-registry registrations, so a plugin type is indistinguishable
 * from a built-in one for the code that uses it. Every registration carries `yields: true`
 * (a built-in of the same name holds it, whatever the order) and `source: plugin "<id>"`.
 *
 * All names of a plugin are checked first: a plugin claiming a name another plugin already
 * claimed for the same capability is skipped whole and reported, naming both (as Go refuses a
 * second plugin for a type). A resource repository and a digest processor of one access type
 * (possibly from two plugins) become one access method.
 */
import type { InputMethod } from '../../constructor/types.js';
import type { AccessMethod } from '../../repository/access.js';
import { registerBuiltins } from '../../repository/builtins.js';
import type { ComponentLister } from '../../repository/lister.js';
import type { BlobTransformer } from '../../repository/transformer.js';
import type { RepositoryProvider } from '../../repository/types.js';
import { ErrorCode, OcmError, isOcmError } from '../../runtime/errors.js';
import type { CredentialPlugin, RepositoryPlugin } from '../../credentials/ingest.js';
import { registerCredentialRepositoryType, registerCredentialType } from '../../credentials/typed.js';
import type { SpecSigner } from '../../signing/signer-kind.js';
import { BLOB_TRANSFORMER_KIND, SIGNER_KIND, typeKey, type TypeKind, type TypeRegistration, type TypeRegistry } from '../../runtime/type-registry.js';
import type { Capability, CapabilityType, DeclaredType, LoadedPlugin } from '../types.js';
import type { AccessPlugins } from './resource.js';

export interface RegistrationProblem {
  readonly id: string;
  /** e.g. `type "X/v1" (repository) is already provided by plugin "y"`. */
  readonly error: string;
}

/** Registers one capability of one plugin; access types are collected and registered after all plugins. */
type Registrar = (registry: TypeRegistry, plugin: LoadedPlugin, capability: Capability, ctx: RegistrationContext) => void;

interface RegistrationContext {
  /** Access type key → the plugins serving it (resources and/or digests). */
  readonly access: Map<string, { declared: DeclaredType; plugins: { resources?: LoadedPlugin; digests?: LoadedPlugin } }>;
}

const source = (p: LoadedPlugin) => `plugin "${p.info.id}"`;
const description = (p: LoadedPlugin, what: string) => `${what}, served by plugin "${p.info.id}" (${p.info.path})`;

function registration<T>(plugin: LoadedPlugin, t: DeclaredType, what: string, impl: T): TypeRegistration<T> {
  return {
    type: t.type,
    ...(t.aliases.length ? { aliases: t.aliases } : {}),
    ...(t.schema ? { schema: t.schema } : {}),
    description: description(plugin, what),
    source: source(plugin),
    yields: true,
    impl,
  };
}

/** Declared types of a capability, over all its list fields. */
function declared(capability: Capability): DeclaredType[] {
  return Object.values(capability.types).flat();
}

type Loose = Record<string, (...args: unknown[]) => unknown>;

/**
 * An implementation whose adapter module loads on first use: registering a plugin's types at
 * start-up costs no adapter code, so commands that use no plugin type stay as fast as without
 * plugins. `methods` become async forwarders, `generators` async-iterable forwarders.
 */
function lazy<T>(load: () => Promise<T>, methods: readonly string[], generators: readonly string[] = [], props: object = {}): T {
  let loaded: Promise<Loose> | undefined;
  const get = () => (loaded ??= load() as Promise<unknown> as Promise<Loose>);
  const out: Record<string, unknown> = { ...props };
  for (const m of methods) out[m] = async (...args: unknown[]) => (await get())[m]!(...args);
  for (const m of generators) {
    out[m] = async function* (...args: unknown[]) {
      yield* (await get())[m]!(...args) as AsyncIterable<unknown>;
    };
  }
  return out as T;
}

function simple<T>(kind: TypeKind, what: string, impl: (p: LoadedPlugin) => T): Registrar {
  return (registry, plugin, capability) => {
    const instance = impl(plugin);
    for (const t of declared(capability)) registry.register<T>(kind, registration(plugin, t, what, instance));
  };
}

function access(role: keyof AccessPlugins): Registrar {
  return (_registry, plugin, capability, ctx) => {
    for (const t of declared(capability)) {
      const key = typeKey(t.type).toLowerCase();
      const entry = ctx.access.get(key) ?? { declared: t, plugins: {} };
      entry.plugins[role] = plugin;
      // The resource repository's declaration (schema, aliases) describes the type when both exist.
      if (role === 'resources') entry.declared = t;
      ctx.access.set(key, entry);
    }
  };
}

/** Go accepts any consumer identity type for a repository that names none (AnyConsumerIdentityType). */
export const ANY_CONSUMER_TYPE = '*';

/** Registers the credential types (`credentialPlugin`) or credential repository types (`credentialRepository`) of one capability. */
export function registerCredentialCapability(registry: TypeRegistry, plugin: LoadedPlugin, capability: Capability): void {
  const source = `plugin "${plugin.info.id}"`;
  const extras = (d: DeclaredType) => ({ source, yields: true, ...(d.schema ? { schema: d.schema } : {}) });
  const conn = plugin.connection;
  if (capability.type === 'credentialPlugin') {
    for (const d of capability.types.supportedCredentialPluginTypes ?? []) {
      registerCredentialType(registry, d.type, { form: 'plugin', plugin: lazy<CredentialPlugin>(() => import('./credentials.js').then((m) => m.credentialPluginAdapter(registry, conn)), ['consumerIdentity', 'resolve']) }, d.aliases, {
        ...extras(d),
        description: `credentials from plugin "${conn.id}"`,
      });
    }
    return;
  }
  if (capability.type !== 'credentialRepository') {
    throw new OcmError(ErrorCode.INTERNAL, `registerCredentialCapability: capability ${capability.type} of plugin "${conn.id}" is not a credential capability`);
  }
  const declared = (capability.types.supportedConsumerIdentityTypes ?? []).flatMap((d) => [d.type, ...d.aliases]);
  // The Go SDK's RegisterCredentialRepository fills no consumer types (§3.7): such a repository serves any type, after typed ones.
  const consumerTypes = declared.length > 0 ? declared : [ANY_CONSUMER_TYPE];
  for (const d of capability.types.supportedCredentialRepositorySpecTypes ?? []) {
    registerCredentialRepositoryType(registry, d.type, { form: 'plugin', plugin: lazy<RepositoryPlugin>(() => import('./credentials.js').then((m) => m.repositoryPluginAdapter(registry, conn, consumerTypes)), ['consumerIdentity', 'resolve'], [], { consumerTypes }) }, d.aliases, {
      ...extras(d),
      description: `credential repository served by plugin "${conn.id}" for consumer types ${consumerTypes.join(', ')}`,
    });
  }
  for (const d of capability.types.customCredentialTypes ?? []) {
    registerCredentialType(registry, d.type, { form: 'typed', fields: fieldsOf(d) }, d.aliases, { ...extras(d), description: `credential type declared by plugin "${conn.id}"` });
  }
}

/** The declared string properties of a custom credential type, or all its fields when the schema names none. */
function fieldsOf(d: DeclaredType): readonly string[] | 'all' {
  const props = d.schema?.properties;
  if (props && typeof props === 'object') {
    const names = Object.keys(props).filter((k) => k !== 'type');
    if (names.length > 0) return names;
  }
  return 'all';
}

/** Registers every `supportedSigningSpecTypes` entry of a `signingHandler` capability under kind `signer`. */
export function registerSigningCapability(registry: TypeRegistry, plugin: LoadedPlugin, capability: Capability): void {
  const conn = plugin.connection;
  if (capability.type !== 'signingHandler') {
    throw new OcmError(ErrorCode.INTERNAL, `registerSigningCapability: capability ${capability.type} of plugin "${conn.id}" is not a signingHandler`);
  }
  for (const d of capability.types.supportedSigningSpecTypes ?? []) {
    registry.register<SpecSigner>(SIGNER_KIND, {
      type: d.type,
      aliases: d.aliases,
      ...(d.schema ? { schema: d.schema } : {}),
      description: `signatures made and checked by plugin "${conn.id}"`,
      source: `plugin "${conn.id}"`,
      yields: true,
      impl: lazy<SpecSigner>(() => import('./signing.js').then((m) => m.pluginSigner(registry, conn)), ['signIdentity', 'sign', 'verifyIdentity', 'verify']),
    });
  }
}

/**
 * Capability type → what it registers. `credentialRepository`, `credentialPlugin` and
 * `signingHandler` are wired by their own adapters (credentials.ts, signing.ts).
 */
const REGISTRARS: Partial<Record<CapabilityType, Registrar>> = {
  componentVersionRepository: simple<RepositoryProvider>('repository', 'component version repository', (p) =>
    lazy(() => import('./repository.js').then((m) => m.repositoryProvider(p.connection)), ['consumerIdentity', 'open']),
  ),
  componentLister: simple<ComponentLister>('lister', 'component lister', (p) =>
    lazy(() => import('./lister.js').then((m) => m.componentLister(p.connection)), ['consumerIdentity'], ['listComponents']),
  ),
  resourceRepository: access('resources'),
  digestProcessorRepository: access('digests'),
  inputRepository: simple<InputMethod>('input', 'constructor input', (p) =>
    lazy(() => import('./input.js').then((m) => m.pluginInputMethod(p.connection)), ['consumerIdentity', 'process']),
  ),
  blobTransformer: simple<BlobTransformer>(BLOB_TRANSFORMER_KIND, 'blob transformer', (p) =>
    lazy(() => import('./transformer.js').then((m) => m.pluginBlobTransformer(p.connection)), ['consumerIdentity', 'transform']),
  ),
  credentialRepository: (registry, plugin, capability) => registerCredentialCapability(registry, plugin, capability),
  credentialPlugin: (registry, plugin, capability) => registerCredentialCapability(registry, plugin, capability),
  signingHandler: (registry, plugin, capability) => registerSigningCapability(registry, plugin, capability),
};

/** The names a plugin claims, per capability type: `capability:name/version` (lower case), for conflict checks. */
function claims(plugin: LoadedPlugin): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of plugin.info.capabilities.capabilities) {
    // Not the consumer identity types: several credential repositories may serve one (as in Go).
    for (const t of Object.entries(c.types).flatMap(([field, list]) => (field === 'supportedConsumerIdentityTypes' ? [] : list))) {
      for (const name of [t.type, ...t.aliases]) out.set(`${c.type}:${typeKey(name).toLowerCase()}`, `type "${name}" (${c.type})`);
    }
  }
  return out;
}

/** Registers every capability of every plugin; a plugin whose types conflict is skipped whole and reported. */
export function registerPluginTypes(registry: TypeRegistry, plugins: readonly LoadedPlugin[]): RegistrationProblem[] {
  // Built-ins hold their names whichever registers first (`yields`), so the built-in inputs
  // (yaml, tar-stream) are not loaded here: start-up with plugins installed stays cheap.
  registerBuiltins(registry);
  const problems: RegistrationProblem[] = [];
  const claimedBy = new Map<string, LoadedPlugin>();
  const accepted: LoadedPlugin[] = [];
  for (const plugin of plugins) {
    const unknown = plugin.info.capabilities.capabilities.find((c) => !REGISTRARS[c.type]);
    if (unknown) {
      problems.push({ id: plugin.info.id, error: `capability "${unknown.type}" is not supported by this host; plugin skipped` });
      continue;
    }
    const mine = claims(plugin);
    const conflict = [...mine].find(([key]) => claimedBy.has(key) && claimedBy.get(key) !== plugin);
    if (conflict) {
      const other = claimedBy.get(conflict[0])!;
      problems.push({ id: plugin.info.id, error: `${conflict[1]} is already provided by plugin "${other.info.id}" (${other.info.path}); plugin skipped` });
      continue;
    }
    for (const key of mine.keys()) claimedBy.set(key, plugin);
    accepted.push(plugin);
  }

  const ctx: RegistrationContext = { access: new Map() };
  for (const plugin of accepted) {
    for (const capability of plugin.info.capabilities.capabilities) {
      try {
        REGISTRARS[capability.type]!(registry, plugin, capability, ctx);
      } catch (e) {
        // Only a registration from elsewhere (another call) can still conflict here.
        if (!isOcmError(e)) throw e;
        problems.push({ id: plugin.info.id, error: e.message });
      }
    }
  }
  for (const { declared: t, plugins: p } of ctx.access.values()) {
    const owner = (p.resources ?? p.digests)!;
    const conns: AccessPlugins = {
      ...(p.resources ? { resources: p.resources.connection } : {}),
      ...(p.digests ? { digests: p.digests.connection } : {}),
    };
    const what = p.resources && p.digests ? (p.resources === p.digests ? 'access type (content and digests)' : `access type (digests by plugin "${p.digests.info.id}")`) : p.resources ? 'access type (content)' : 'access type (digests only)';
    try {
      const method = lazy<AccessMethod>(
        () => import('./resource.js').then((m) => m.pluginAccessMethod(t.type, conns)),
        ['consumerIdentity', 'open', ...(conns.digests ? ['artifactDigest'] : [])],
        [],
        conns.digests ? { anyNormalisation: true } : {},
      );
      registry.register<AccessMethod>('access', registration(owner, t, what, method));
    } catch (e) {
      if (!isOcmError(e)) throw e;
      problems.push({ id: owner.info.id, error: e.message });
    }
  }
  return problems;
}
