/**
 * Components of an OCI registry: the registry catalog (`/v2/_catalog`, paged and bounded), names
 * under `[<subPath>/]component-descriptors/`. Credentials are the ones resolved for the
 * repository's consumer identity, sent only to the registry's origin.
 */
import type { TypedSpec } from '../../descriptor/types.js';
import { listCatalog, type CatalogOptions } from '../../oci/remote/catalog.js';
import { RegistryClient } from '../../oci/remote/client.js';
import { parseOciReference } from '../../oci/remote/reference.js';
import type { Identity } from '../../runtime/identity.js';
import type { TypeRegistry } from '../../runtime/type-registry.js';
import type { ComponentLister, ListContext } from '../lister.js';
import { COMPONENT_DESCRIPTORS } from '../oci-mapping/tags.js';
import { OCI_REPOSITORY_TYPE, ociRepositoryProvider } from '../oci-provider.js';

/** A lister with paging settings (tests use a small page size; the registered one uses the defaults). */
export function ociLister(paging: Pick<CatalogOptions, 'pageSize' | 'maxPages' | 'timeoutMs'> = {}): ComponentLister {
  return {
    consumerIdentity: (spec: TypedSpec): Identity => (ociRepositoryProvider.consumerIdentity(spec) as Identity),
    async *listComponents(spec: TypedSpec, ctx: ListContext): AsyncIterable<string> {
      const identity = (ociRepositoryProvider.consumerIdentity(spec) as Identity); // also checks baseUrl and subPath
      const ref = parseOciReference(spec.baseUrl as string, ctx.plainHttp ? { plainHttp: true } : {});
      const subPath = (typeof spec.subPath === 'string' && spec.subPath ? spec.subPath : ref.path).replace(/^\/+|\/+$/g, '');
      const creds = ctx.credentials;
      const client = new RegistryClient({
        credentials: Object.assign(async () => creds, { identity }),
        ...(ctx.plainHttp ? { plainHttp: true } : {}),
        ...(ctx.logger ? { logger: ctx.logger } : {}),
      });
      const prefix = `${subPath ? `${subPath}/` : ''}${COMPONENT_DESCRIPTORS}/`;
      const seen = new Set<string>();
      try {
        for await (const repo of listCatalog(client, `${ref.scheme}://${ref.host}`, { ...paging, ...(ctx.signal ? { signal: ctx.signal } : {}) })) {
          if (!repo.startsWith(prefix) || repo.length === prefix.length) continue;
          const name = repo.slice(prefix.length);
          if (seen.has(name)) continue;
          seen.add(name);
          yield name;
        }
      } finally {
        await client.close();
      }
    },
  };
}

/** Registers the OCI lister under the OCI repository type's names and schema (the repository type must be registered). */
export function register(registry: TypeRegistry): void {
  const repo = registry.get('repository', OCI_REPOSITORY_TYPE);
  registry.register('lister', {
    type: repo.type,
    ...(repo.aliases ? { aliases: repo.aliases } : {}),
    ...(repo.schema ? { schema: repo.schema } : {}),
    source: 'built-in',
    description: 'components of an OCI registry, from its catalog (/v2/_catalog; many registries refuse it)',
    impl: ociLister(),
  });
}
