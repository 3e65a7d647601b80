/**
 * Registers the built-in repository and access types into a registry, the same way a plugin
 * registers its types. Called once by `openRepository` (and by the CLI) before first use.
 */
import { defaultTypeRegistry, type TypeRegistry } from '../runtime/type-registry.js';
import { register as ctf } from './ctf-provider.js';
import { register as oci } from './oci-provider.js';
import { register as localBlob } from './local-blob-access.js';
import { register as ociArtifact } from './oci-artifact-access.js';

const done = new WeakSet<TypeRegistry>();

export function registerBuiltins(registry: TypeRegistry = defaultTypeRegistry): TypeRegistry {
  if (done.has(registry)) return registry;
  done.add(registry);
  ctf(registry);
  oci(registry);
  localBlob(registry);
  ociArtifact(registry);
  return registry;
}
