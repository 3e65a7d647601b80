/**
 * The `OCIRepository/v1` repository type (aliases `OCIRepository`, `OCI`, `OCIRegistry`; names
 * match case-insensitively): an OCI registry opened as a component version repository
 * through the same OCM mapping the CTF uses, so both yield identical manifests.
 */
import type { TypedSpec } from '../descriptor/types.js';
import type { RepositoryStore } from '../oci/content/types.js';
import { ociConsumerIdentity } from '../oci/remote/consumer-identity.js';
import { RegistryClient, type RegistryClientOptions } from '../oci/remote/client.js';
import { parseOciReference } from '../oci/remote/reference.js';
import type { Credentials, CredentialResolver } from '../runtime/credentials-types.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import type { Identity } from '../runtime/identity.js';
import type { TypeRegistration, TypeRegistry } from '../runtime/type-registry.js';
import { OciComponentRepository } from './oci-mapping/index.js';
import type { ComponentVersionRepository, OpenRepositoryOptions, RepositoryProvider } from './types.js';

export const OCI_REPOSITORY_TYPE = 'OCIRepository/v1';

function specParts(spec: TypedSpec): { baseUrl: string; subPath?: string } {
  const baseUrl = spec.baseUrl;
  if (typeof baseUrl !== 'string' || baseUrl === '') {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `repository spec of type ${spec.type} needs a baseUrl (e.g. ghcr.io/acme or http://127.0.0.1:5000)`);
  }
  const subPath = spec.subPath;
  if (subPath !== undefined && typeof subPath !== 'string') {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `repository spec of type ${spec.type}: subPath must be a string`);
  }
  return subPath ? { baseUrl, subPath } : { baseUrl };
}

/**
 * A credential function that asks the resolver once for `identity` and remembers the answer; it
 * carries the identity so that auth errors can name what was looked up.
 */
export function credentialsFor(resolver: CredentialResolver | undefined, identity: Identity): NonNullable<RegistryClientOptions['credentials']> {
  if (!resolver) return Object.assign(async () => undefined, { identity });
  let cached: Promise<Credentials | undefined> | undefined;
  const fn = (_target: unknown, options?: { signal?: AbortSignal }): Promise<Credentials | undefined> => {
    cached ??= resolver.resolve(identity, options?.signal ? { signal: options.signal } : {});
    return cached;
  };
  return Object.assign(fn, { identity });
}

/** Opens the registry behind an `OCIRepository` spec as a RepositoryStore plus the effective subPath. */
export function openOciStore(
  spec: TypedSpec,
  options: OpenRepositoryOptions = {},
): { store: RepositoryStore & { close(): Promise<void> }; subPath: string; client: RegistryClient; host: string } {
  const parts = specParts(spec);
  const ref = parseOciReference(parts.baseUrl, options.plainHttp ? { plainHttp: true } : {});
  const subPath = (parts.subPath ?? ref.path).replace(/^\/+|\/+$/g, '');
  const client = new RegistryClient({
    credentials: credentialsFor(options.credentials, ociConsumerIdentity(parts)),
    ...(options.plainHttp ? { plainHttp: true } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const inner = client.store(`${ref.scheme}://${ref.host}`);
  const store = { ...inner, repository: inner.repository, close: () => client.close() };
  return { store, subPath, client, host: ref.host };
}

export const ociRepositoryProvider: RepositoryProvider = {
  consumerIdentity(spec: TypedSpec): Identity {
    return ociConsumerIdentity(specParts(spec));
  },
  async open(spec: TypedSpec, options: OpenRepositoryOptions = {}): Promise<ComponentVersionRepository> {
    const { store, subPath, host } = openOciStore(spec, options);
    const location = { id: `oci:${host}`, registryHost: host, description: subPath ? `${host}/${subPath}` : host };
    return new OciComponentRepository(store, { ...(subPath ? { subPath } : {}), closeStore: true, location });
  },
};

/** Module-level, so registering it again into the same registry is a no-op rather than a conflict. */
const registration: TypeRegistration<RepositoryProvider> = {
  type: OCI_REPOSITORY_TYPE,
  aliases: ['OCIRepository', 'OCI', 'OCIRegistry'],
  source: 'built-in',
  schema: {
    type: 'object',
    required: ['baseUrl'],
    properties: { baseUrl: { type: 'string', minLength: 1 }, subPath: { type: 'string' } },
  },
  description: 'OCI registry (baseUrl: [http(s)://]host[:port][/path], subPath?)',
  impl: ociRepositoryProvider,
};

export function register(registry: TypeRegistry): void {
  registry.register('repository', registration);
}
