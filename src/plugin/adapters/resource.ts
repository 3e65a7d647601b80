/**
 * A plugin's `resourceRepository` and/or `digestProcessorRepository` for one access type as one
 * `AccessMethod` (kind `access`): `open` = `POST /resource/get` → location → stream;
 * `artifactDigest` = `POST /resource/digest/process` when a digest processor serves the type
 * (possibly another plugin). Both are sent the whole v2 resource (`AccessContext.resource`).
 */
import type { DigestSpec, Resource, TypedSpec } from '../../descriptor/types.js';
import type { AccessContext, AccessMethod, ArtifactDigester } from '../../repository/access.js';
import type { LocalBlobContent } from '../../repository/types.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { PluginConnection } from '../types.js';
import { blobDigestOf, field, identityOf, localFileOf, pluginError, readLocation } from './wire.js';

export interface AccessPlugins {
  /** Serves `/resource/get` for the type. */
  readonly resources?: PluginConnection;
  /** Serves `/resource/digest/process` for the type. */
  readonly digests?: PluginConnection;
}

/** The resource sent to the plugin: the caller's, with this access; a minimal one without. */
function resourceFor(access: TypedSpec, ctx: AccessContext): Resource {
  if (ctx.resource) return { ...ctx.resource, access };
  return { name: '', version: ctx.version, type: '', relation: 'external', access } as Resource;
}

const callOpts = (ctx: AccessContext) => ({
  ...(ctx.credentials ? { credentials: ctx.credentials } : {}),
  noCredentials: 'omit' as const,
  ...(ctx.signal ? { signal: ctx.signal } : {}),
});

export function pluginAccessMethod(type: string, plugins: AccessPlugins): AccessMethod & Partial<ArtifactDigester> {
  const identityPlugin = plugins.resources ?? plugins.digests!;
  const method: AccessMethod & Partial<ArtifactDigester> = {
    consumerIdentity: (access) => identityOf(identityPlugin, access),
    async open(access: TypedSpec, ctx: AccessContext): Promise<LocalBlobContent> {
      const conn = plugins.resources;
      if (!conn) {
        throw new OcmError(
          ErrorCode.UNSUPPORTED,
          `access type "${type}": plugin "${plugins.digests!.id}" only computes digests; no installed plugin reads the content (resourceRepository)`,
        );
      }
      const resource = resourceFor(access, ctx);
      const answer = await conn.call<unknown>({ method: 'POST', path: '/resource/get', body: { resource }, ...callOpts(ctx) });
      const location = localFileOf(conn, typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>).location : undefined, '/resource/get');
      const digest = blobDigestOf(ctx.resource?.digest);
      const mediaType = typeof access.mediaType === 'string' ? access.mediaType : location.mediaType;
      const content = await readLocation(conn, location, {
        ...(digest ? { digest } : {}),
        what: `resource ${resource.name} of ${ctx.component}:${ctx.version} from plugin "${conn.id}"`,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      return { ...content, ...(mediaType ? { mediaType } : {}) };
    },
  };
  const digests = plugins.digests;
  if (digests) {
    Object.assign(method, {
      anyNormalisation: true,
      async artifactDigest(access: TypedSpec, ctx: AccessContext): Promise<DigestSpec | undefined> {
        const answer = await digests.call<unknown>({ method: 'POST', path: '/resource/digest/process', body: { resource: resourceFor(access, ctx) }, ...callOpts(ctx) });
        const d = field(digests, field(digests, answer, 'resource', '/resource/digest/process'), 'digest', '/resource/digest/process');
        if (typeof d.hashAlgorithm !== 'string' || typeof d.normalisationAlgorithm !== 'string' || typeof d.value !== 'string' || d.value === '') {
          throw pluginError(digests, '/resource/digest/process: the digest needs hashAlgorithm, normalisationAlgorithm and value');
        }
        return { hashAlgorithm: d.hashAlgorithm, normalisationAlgorithm: d.normalisationAlgorithm, value: d.value };
      },
    } satisfies ArtifactDigester);
  }
  return method;
}
