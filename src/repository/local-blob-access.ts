/**
 * The `localBlob` access method: the bytes live in the repository the component version was read
 * from, so reading them is a `getLocalBlob` call on that repository (which verifies digest and size).
 */
import type { TypedSpec } from '../descriptor/types.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import type { TypeRegistration, TypeRegistry } from '../runtime/type-registry.js';
import type { AccessContext, AccessMethod } from './access.js';
import type { LocalBlobContent } from './types.js';

export const LOCAL_BLOB_TYPE = 'LocalBlob/v1';

export const localBlobAccess: AccessMethod = {
  // The bytes come from the repository the caller already opened with its credentials.
  consumerIdentity(): undefined {
    return undefined;
  },
  async open(access: TypedSpec, ctx: AccessContext): Promise<LocalBlobContent> {
    if (!ctx.repository) {
      throw new OcmError(
        ErrorCode.INVALID_ARGUMENT,
        `localBlob access of ${ctx.component}:${ctx.version} can only be read through the repository the component version was read from`,
      );
    }
    if (typeof access.localReference !== 'string' || access.localReference === '') {
      throw new OcmError(ErrorCode.VALIDATION_FAILED, `localBlob access of ${ctx.component}:${ctx.version} has no localReference`);
    }
    return await ctx.repository.getLocalBlob(ctx.component, ctx.version, access, ctx.signal ? { signal: ctx.signal } : {});
  },
};

/** Module-level, so registering it again into the same registry is a no-op rather than a conflict. */
const registration: TypeRegistration<AccessMethod> = {
  type: LOCAL_BLOB_TYPE,
  aliases: ['localBlob'],
  source: 'built-in',
  legacyName: 'localBlob',
  schema: {
    type: 'object',
    required: ['localReference'],
    properties: { localReference: { type: 'string', minLength: 1 }, mediaType: { type: 'string' }, referenceName: { type: 'string' } },
  },
  description: 'a blob stored next to the component version in the same repository (localReference, mediaType)',
  impl: localBlobAccess,
};

export function register(registry: TypeRegistry): void {
  registry.register('access', registration);
}
