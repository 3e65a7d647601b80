/**
 * The `OCIImage/v1` access method (aliases `ociArtifact`, `ociRegistry`, `ociImage`): an OCI
 * artifact in a registry, named by `imageReference` (`host[:port]/repo[:tag][@digest]`). Opening it
 * yields an OCI image layout tar of the whole artifact graph (every blob verified on the way);
 * its artifact digest (`ociArtifactDigest/v1`) is the manifest digest the reference resolves to.
 */
import type { DigestSpec, TypedSpec } from '../descriptor/types.js';
import { MediaType } from '../oci/content/media-types.js';
import type { OciDescriptor } from '../oci/content/types.js';
import { ociLayoutTar } from '../oci/layout/index.js';
import { RegistryClient } from '../oci/remote/client.js';
import { ociImageConsumerIdentity } from '../oci/remote/consumer-identity.js';
import { parseImageReference, wireHost, type ImageReference } from '../oci/remote/reference.js';
import type { RemoteRepository } from '../oci/remote/repository.js';
import { DigestMismatchError, ErrorCode, OcmError } from '../runtime/errors.js';
import type { TypeRegistration, TypeRegistry } from '../runtime/type-registry.js';
import type { AccessContext, AccessMethod, ArtifactDigester } from './access.js';
import type { Identity } from '../runtime/identity.js';
import type { LocalBlobContent } from './types.js';

export const OCI_IMAGE_TYPE = 'OCIImage/v1';

function imageReference(access: TypedSpec, ctx: AccessContext): ImageReference {
  const ref = access.imageReference;
  if (typeof ref !== 'string' || ref === '') {
    throw new OcmError(ErrorCode.VALIDATION_FAILED, `ociArtifact access of ${ctx.component}:${ctx.version} has no imageReference`);
  }
  return parseImageReference(ref, ctx.plainHttp ? { plainHttp: true } : {});
}

function connect(access: TypedSpec, ctx: AccessContext): { client: RegistryClient; repo: RemoteRepository; ref: ImageReference } {
  const ref = imageReference(access, ctx);
  const identity = ociImageConsumerIdentity(access.imageReference as string);
  const credentials = ctx.credentials;
  const client = new RegistryClient({
    // Resolved by the caller for consumerIdentity(access); the identity names the lookup in auth errors.
    credentials: Object.assign(async () => credentials, { identity }),
    ...(ctx.plainHttp ? { plainHttp: true } : {}),
  });
  const repo = client.repository(`${ref.scheme}://${wireHost(ref.host)}`, ref.repository);
  return { client, repo, ref };
}

/** Resolves the reference; with both tag and digest, the digest wins and must match what the tag names. */
async function resolveRoot(repo: RemoteRepository, ref: ImageReference, signal?: AbortSignal): Promise<OciDescriptor> {
  const opts = signal ? { signal } : {};
  const root = await repo.resolve(ref.digest ?? ref.tag!, opts);
  if (ref.digest && root.digest !== ref.digest) throw new DigestMismatchError(`image ${repo.reference}`, ref.digest, root.digest);
  return root;
}

export const ociArtifactAccess: AccessMethod & ArtifactDigester = {
  /** The registry host of the image (`{type: OCIRegistry, hostname, port?, scheme?}`), never a path. */
  consumerIdentity(access: TypedSpec): Identity | undefined {
    return typeof access.imageReference === 'string' && access.imageReference !== '' ? ociImageConsumerIdentity(access.imageReference) : undefined;
  },

  async open(access: TypedSpec, ctx: AccessContext): Promise<LocalBlobContent> {
    const { client, repo, ref } = connect(access, ctx);
    try {
      const root = await resolveRoot(repo, ref, ctx.signal);
      const stream = ociLayoutTar(repo, root, { ...(ref.tag ? { refName: ref.tag } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) });
      stream.once('close', () => void client.close().catch(() => undefined));
      return { stream, mediaType: MediaType.ociLayout };
    } catch (e) {
      await client.close().catch(() => undefined);
      throw e;
    }
  },

  async artifactDigest(access: TypedSpec, ctx: AccessContext, normalisationAlgorithm: string): Promise<DigestSpec | undefined> {
    const { client, repo, ref } = connect(access, ctx);
    try {
      const root = await resolveRoot(repo, ref, ctx.signal);
      const [alg, hex] = root.digest.split(':') as [string, string];
      return { hashAlgorithm: alg === 'sha512' ? 'SHA-512' : 'SHA-256', normalisationAlgorithm, value: hex };
    } finally {
      await client.close().catch(() => undefined);
    }
  },
};

/** Module-level, so registering it again into the same registry is a no-op rather than a conflict. */
const registration: TypeRegistration<AccessMethod> = {
  type: OCI_IMAGE_TYPE,
  aliases: ['ociArtifact', 'ociRegistry', 'ociImage'],
  source: 'built-in',
  legacyName: 'ociArtifact',
  schema: {
    type: 'object',
    required: ['imageReference'],
    properties: { imageReference: { type: 'string', minLength: 1 } },
  },
  description: 'an OCI artifact in a registry (imageReference: host[:port]/repository[:tag][@digest]); read as an OCI image layout tar',
  impl: ociArtifactAccess,
};

export function register(registry: TypeRegistry): void {
  registry.register('access', registration);
}
