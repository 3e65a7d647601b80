/**
 * The `OCIImageLayer/v1` access type (alias `ociBlob`): one blob of an OCI repository (`ref`,
 * `digest`, `mediaType`, `size`). Registered so that its names are known (the constructor writes
 * the legacy `ociBlob`, credentials are looked up for its registry); reading it is not supported
 * by this build yet and says so.
 */
import type { TypedSpec } from '../descriptor/types.js';
import { ociImageConsumerIdentity } from '../oci/remote/consumer-identity.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import type { Identity } from '../runtime/identity.js';
import type { TypeRegistration, TypeRegistry } from '../runtime/type-registry.js';
import type { AccessContext, AccessMethod } from './access.js';
import type { LocalBlobContent } from './types.js';

export const OCI_BLOB_TYPE = 'OCIImageLayer/v1';

export const ociBlobAccess: AccessMethod = {
  consumerIdentity(access: TypedSpec): Identity | undefined {
    return typeof access.ref === 'string' && access.ref !== '' ? ociImageConsumerIdentity(access.ref) : undefined;
  },
  async open(access: TypedSpec, ctx: AccessContext): Promise<LocalBlobContent> {
    throw new OcmError(
      ErrorCode.UNSUPPORTED,
      `${access.type} access of ${ctx.component}:${ctx.version} (${String(access.ref)}@${String(access.digest)}) cannot be read by this build: copy the blob with an OCI tool`,
    );
  },
};

/** Module-level, so registering it again into the same registry is a no-op rather than a conflict. */
const registration: TypeRegistration<AccessMethod> = {
  type: OCI_BLOB_TYPE,
  aliases: ['ociBlob'],
  source: 'built-in',
  legacyName: 'ociBlob',
  schema: {
    type: 'object',
    required: ['ref', 'digest'],
    properties: { ref: { type: 'string', minLength: 1 }, digest: { type: 'string', minLength: 1 }, mediaType: { type: 'string' }, size: { type: 'integer' } },
  },
  description: 'one blob in an OCI repository (ref, digest, mediaType, size); names only, not readable yet',
  impl: ociBlobAccess,
};

export function register(registry: TypeRegistry): void {
  registry.register('access', registration);
}
