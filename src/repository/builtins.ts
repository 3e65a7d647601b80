/**
 * Registers the built-in repository and access types into a registry, the same way a plugin
 * registers its types. Entry points of this layer (`openRepository`, `accessMethod`) call it on
 * the registry they are given, so a fresh registry works without further setup.
 */
import { defaultTypeRegistry, TypeRegistry } from '../runtime/type-registry.js';
import { register as ctf } from './ctf-provider.js';
import { register as oci } from './oci-provider.js';
import { register as localBlob } from './local-blob-access.js';
import { register as ociArtifact } from './oci-artifact-access.js';
import { register as ociBlob } from './oci-blob-access.js';
import { register as ctfLister } from './listers/ctf.js';
import { register as ociLister } from './listers/oci.js';

const done = new WeakSet<TypeRegistry>();

/** Idempotent per registry. ALREADY_EXISTS if something else already holds a built-in name. */
export function registerBuiltins(registry: TypeRegistry = defaultTypeRegistry): TypeRegistry {
  if (done.has(registry)) return registry;
  ctf(registry);
  oci(registry);
  localBlob(registry);
  ociArtifact(registry);
  ociBlob(registry);
  ctfLister(registry);
  ociLister(registry);
  done.add(registry);
  return registry;
}

/**
 * A fresh registry for one context (a CLI invocation, a session), independent of every other
 * registry, with the built-in repository and access types registered. Signing and input types
 * are added by their layers on first use (`registerSigningTypes`, `registerBuiltinInputs`), so
 * commands that never sign load no signing code.
 */
export function createTypeRegistry(): TypeRegistry {
  return registerBuiltins(new TypeRegistry());
}
