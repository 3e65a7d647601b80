/**
 * Components of a CTF: the repositories under `component-descriptors/` in its artifact index
 * (no manifest is read). The archive is opened read-only and closed again.
 */
import { openCtf } from '../../ctf/index.js';
import type { TypedSpec } from '../../descriptor/types.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { TypeRegistry } from '../../runtime/type-registry.js';
import { CTF_REPOSITORY_TYPE } from '../ctf-provider.js';
import type { ComponentLister, ListContext } from '../lister.js';
import { COMPONENT_DESCRIPTORS } from '../oci-mapping/tags.js';

export const ctfLister: ComponentLister = {
  consumerIdentity: () => undefined,
  async *listComponents(spec: TypedSpec, ctx: ListContext): AsyncIterable<string> {
    const filePath = spec.filePath;
    if (typeof filePath !== 'string' || filePath === '') throw new OcmError(ErrorCode.INVALID_ARGUMENT, `repository spec of type ${spec.type} needs a filePath`);
    const store = await openCtf(filePath, { readOnly: true, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    let names: string[];
    try {
      names = await store.listRepositories(ctx.signal ? { signal: ctx.signal } : {});
    } finally {
      await store.close();
    }
    const prefix = `${COMPONENT_DESCRIPTORS}/`;
    const seen = new Set<string>();
    for (const n of names) {
      if (!n.startsWith(prefix) || n.length === prefix.length) continue;
      const name = n.slice(prefix.length);
      if (seen.has(name)) continue;
      seen.add(name);
      yield name;
    }
  },
};

/** Registers the CTF lister under the CTF repository type's names and schema (the repository type must be registered). */
export function register(registry: TypeRegistry): void {
  const repo = registry.get('repository', CTF_REPOSITORY_TYPE);
  registry.register('lister', {
    type: repo.type,
    ...(repo.aliases ? { aliases: repo.aliases } : {}),
    ...(repo.schema ? { schema: repo.schema } : {}),
    source: 'built-in',
    description: 'components of a CTF, from its artifact index (component-descriptors/<name>)',
    impl: ctfLister,
  });
}
