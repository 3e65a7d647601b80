/**
 * Credential kinds in the type registry (spec §1.4, §1.6). Kind `credential`: the items under a
 * consumer's `credentials:` — the built-in typed credentials with their fields (unknown fields
 * dropped, as Go's json.Unmarshal does), the universal `Credentials/v1` (= `DirectCredentials`)
 * with free `properties`, and credential plugins (indirect credentials). Kind
 * `credential-repository`: the `repositories:` entries — built-in `DockerConfig/v1`, and plugins.
 * Names are resolved only through the registry (`typeKey`: an unversioned name means `v1`;
 * non-`v1` types also register their unversioned name, as Go accepts it).
 */
import { TypeRegistry, defaultTypeRegistry, typeKey, type TypeRegistration } from '../runtime/type-registry.js';
import type { CredentialPlugin, RepositoryPlugin } from './ingest.js';

export const CREDENTIAL_KIND = 'credential';
export const CREDENTIAL_REPOSITORY_KIND = 'credential-repository';
export const DIRECT_CREDENTIALS_TYPE = 'Credentials/v1';
export const DOCKER_CONFIG_TYPE = 'DockerConfig/v1';

/** What a `credential` registration does with an entry. */
export type CredentialTypeImpl =
  | { readonly form: 'direct' }
  /** `fields: 'all'`: every string field but `type` (a plugin's custom credential type without declared properties). */
  | { readonly form: 'typed'; readonly fields: readonly string[] | 'all' }
  | { readonly form: 'plugin'; readonly plugin: CredentialPlugin };

/** What a `credential-repository` registration is. */
export type CredentialRepositoryImpl = { readonly form: 'docker' } | { readonly form: 'plugin'; readonly plugin: RepositoryPlugin };

const TYPED: readonly [string, readonly string[]][] = [
  ['OCICredentials/v1', ['username', 'password', 'accessToken', 'refreshToken']],
  ['HelmHTTPCredentials/v1', ['username', 'password', 'certFile', 'keyFile', 'keyring']],
  ['WgetCredentials/v1', ['username', 'password', 'identityToken', 'certificate', 'privateKey', 'certificateAuthority']],
  ['GitHubCredentials/v1', ['token']],
  ['RSACredentials/v1', ['privateKeyPEM', 'privateKeyPEMFile', 'publicKeyPEM', 'publicKeyPEMFile']],
  ['GPGCredentials/v1alpha1', ['privateKeyPGP', 'privateKeyPGPFile', 'publicKeyPGP', 'publicKeyPGPFile', 'passphrase']],
  ['OIDCIdentityToken/v1alpha1', ['token', 'tokenFile']],
  ['TrustedRoot/v1alpha1', ['trustedRootJSON', 'trustedRootJSONFile']],
];

/** The unversioned name as an extra alias when the version is not the implied `v1`. */
function withUnversioned(type: string, aliases: readonly string[] = []): string[] {
  const slash = type.lastIndexOf('/');
  const out = [...aliases];
  if (slash > 0 && typeKey(type.slice(0, slash)) !== typeKey(type)) out.push(type.slice(0, slash));
  return out;
}

/** What a plugin's registration adds: its schema, `source: plugin "<id>"`, `yields: true`. */
export type RegistrationExtras = Pick<TypeRegistration<unknown>, 'schema' | 'source' | 'yields' | 'description'>;

/**
 * Registers one credential type unless a non-yielding registration holds the name (a plugin's
 * yielding registration is taken over by a built-in; two plugins of one name conflict).
 */
export function registerCredentialType(registry: TypeRegistry, type: string, impl: CredentialTypeImpl, aliases?: readonly string[], extras: RegistrationExtras = {}): void {
  // A plugin's registration always goes to the registry: it records a shadowed name and reports two plugins' conflict.
  const held = registry.find(CREDENTIAL_KIND, type);
  if (!extras.yields && held && !held.yields) return;
  registry.register<CredentialTypeImpl>(CREDENTIAL_KIND, { type, aliases: withUnversioned(type, aliases), ...extras, impl });
}

/** Registers one credential repository type unless a non-yielding registration holds the name (as above). */
export function registerCredentialRepositoryType(
  registry: TypeRegistry,
  type: string,
  impl: CredentialRepositoryImpl,
  aliases?: readonly string[],
  extras: RegistrationExtras = {},
): void {
  // A plugin's registration always goes to the registry: it records a shadowed name and reports two plugins' conflict.
  const held = registry.find(CREDENTIAL_REPOSITORY_KIND, type);
  if (!extras.yields && held && !held.yields) return;
  registry.register<CredentialRepositoryImpl>(CREDENTIAL_REPOSITORY_KIND, { type, aliases: withUnversioned(type, aliases), ...extras, impl });
}

const done = new WeakSet<TypeRegistry>();

/** The built-in credential and credential-repository types, registered once per registry. */
export function registerCredentialBuiltins(registry: TypeRegistry = defaultTypeRegistry): TypeRegistry {
  if (done.has(registry)) return registry;
  done.add(registry);
  registerCredentialType(registry, DIRECT_CREDENTIALS_TYPE, { form: 'direct' }, ['DirectCredentials/v1']);
  for (const [type, fields] of TYPED) registerCredentialType(registry, type, { form: 'typed', fields });
  registerCredentialRepositoryType(registry, DOCKER_CONFIG_TYPE, { form: 'docker' });
  return registry;
}

/**
 * The registry a graph uses: `base` (built-ins added), or — when plugins are passed as options —
 * a private registry with those plugins first and `base`'s credential registrations after them,
 * so per-graph plugins never leak into a shared registry.
 */
export function credentialTypes(
  base: TypeRegistry = defaultTypeRegistry,
  plugins: { credentialPlugins?: Readonly<Record<string, CredentialPlugin>>; repositoryPlugins?: Readonly<Record<string, RepositoryPlugin>> } = {},
): TypeRegistry {
  registerCredentialBuiltins(base);
  const cp = Object.entries(plugins.credentialPlugins ?? {});
  const rp = Object.entries(plugins.repositoryPlugins ?? {});
  if (cp.length === 0 && rp.length === 0) return base;
  const own = new TypeRegistry();
  for (const [type, plugin] of cp) registerCredentialType(own, type, { form: 'plugin', plugin });
  for (const [type, plugin] of rp) registerCredentialRepositoryType(own, type, { form: 'plugin', plugin });
  for (const kind of [CREDENTIAL_KIND, CREDENTIAL_REPOSITORY_KIND]) {
    for (const r of base.list(kind)) {
      // copy only the names a plugin did not take
      const names = [r.type, ...(r.aliases ?? [])].filter((n) => !own.find(kind, n));
      if (names.length > 0) own.register(kind, { ...r, type: names[0]!, aliases: names.slice(1) } as TypeRegistration<unknown>);
    }
  }
  return own;
}

/** Every credential type a registry knows (for messages and `describe`). */
export function knownCredentialTypes(registry: TypeRegistry, kind: string = CREDENTIAL_KIND): string[] {
  return registry.list(kind).map((r) => r.type);
}

/** Every credential type this build understands without plugins. */
export function builtinCredentialTypes(): string[] {
  return knownCredentialTypes(registerCredentialBuiltins(new TypeRegistry()));
}
