/**
 * One entry point from a repository spec to an open repository: the built-ins are registered,
 * the provider for `spec.type` is looked up in the type registry (kind `repository`), and the
 * provider opens it. A plugin-registered repository type is opened the same way.
 */
import type { TypedSpec } from '../descriptor/types.js';
import type { Identity } from '../runtime/identity.js';
import { defaultTypeRegistry, type TypeRegistry } from '../runtime/type-registry.js';
import { registerBuiltins } from './builtins.js';
import type { ComponentVersionRepository, OpenRepositoryOptions, RepositoryProvider } from './types.js';

export interface OpenOptions extends OpenRepositoryOptions {
  /** Registry to look the provider up in. Default: the process-wide registry with the built-ins. */
  readonly registry?: TypeRegistry;
}

/** The provider for `spec.type`, after checking the spec against the type's schema. */
function providerFor(spec: TypedSpec, registry: TypeRegistry): RepositoryProvider {
  return registerBuiltins(registry).decode<RepositoryProvider>('repository', spec).impl;
}

/**
 * Opens the repository `spec` describes. UNSUPPORTED (naming the known types) for an unknown
 * type, VALIDATION_FAILED naming the type and the field for a spec its schema rejects.
 */
export async function openRepository(spec: TypedSpec, options: OpenOptions = {}): Promise<ComponentVersionRepository> {
  const { registry = defaultTypeRegistry, ...rest } = options;
  const provider = providerFor(spec, registry);
  return await provider.open(spec, rest);
}

/** The consumer identity credentials for `spec` are looked up with (undefined for local repositories). */
export async function consumerIdentityFor(spec: TypedSpec, registry: TypeRegistry = defaultTypeRegistry): Promise<Identity | undefined> {
  return await providerFor(spec, registry).consumerIdentity(spec);
}
