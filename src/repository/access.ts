/**
 * Access methods: how the bytes behind an access spec (`localBlob`, `ociArtifact`, ...) are read.
 * Registered in the type registry under kind `access`, with aliases (`localBlob` ≡ `LocalBlob/v1`).
 * A plugin adds an access type by registering another `AccessMethod`.
 *
 * Identity first, then credentials (OCM Go's pairing): a method says which consumer identity it
 * needs; the caller resolves that identity and hands the credentials in as plain data, so a
 * method never looks up secrets itself and can run in another process.
 */
import type { DigestSpec, Resource, TypedSpec } from '../descriptor/types.js';
import type { CredentialResolver, Credentials } from '../runtime/credentials-types.js';
import type { Identity } from '../runtime/identity.js';
import { defaultTypeRegistry, type TypeRegistry } from '../runtime/type-registry.js';
import { registerBuiltins } from './builtins.js';
import type { ComponentVersionRepository, LocalBlobContent } from './types.js';

export interface AccessContext {
  /** The repository the component version was read from (needed by `localBlob`). */
  readonly repository?: ComponentVersionRepository;
  readonly component: string;
  readonly version: string;
  /** Credentials for `consumerIdentity(access)`, resolved by the caller; undefined = anonymous. */
  readonly credentials?: Credentials;
  readonly plainHttp?: boolean;
  /**
   * The whole (v2) resource the access belongs to, when the caller has it: a plugin's resource
   * repository and digest processor are sent the resource, not just its access.
   */
  readonly resource?: Resource;
  readonly signal?: AbortSignal;
}

export interface AccessMethod {
  /** The consumer identity credentials for this access are looked up with; undefined if it needs none (a plugin's asks its process). */
  consumerIdentity(access: TypedSpec): Identity | undefined | Promise<Identity | undefined>;
  /**
   * Opens the artifact as one verified byte stream. For OCI artifacts (`ociArtifact`) this is an
   * OCI image layout tar (media type `application/vnd.ocm.software.oci.layout.v1+tar`).
   */
  open(access: TypedSpec, ctx: AccessContext): Promise<LocalBlobContent>;
}

/** Optional capability: compute the artifact digest without streaming the bytes (e.g. OCI manifest digest). */
export interface ArtifactDigester {
  /**
   * True when the digester answers for every normalisation with the digest spec it computed (a
   * plugin's digest processor); otherwise it is only asked for OCI artifact normalisations.
   */
  readonly anyNormalisation?: boolean;
  artifactDigest(access: TypedSpec, ctx: AccessContext, normalisationAlgorithm: string): Promise<DigestSpec | undefined>;
}

export function isArtifactDigester(m: unknown): m is ArtifactDigester {
  return typeof (m as ArtifactDigester | undefined)?.artifactDigest === 'function';
}

/**
 * The access method for `access.type`, after checking the spec against the type's schema.
 * UNSUPPORTED (naming known types) if none is registered, VALIDATION_FAILED for a bad spec.
 */
export function accessMethod(access: TypedSpec, registry: TypeRegistry = defaultTypeRegistry): AccessMethod {
  return registerBuiltins(registry).decode<AccessMethod>('access', access).impl;
}

/** Resolves the credentials `method` needs for `access` (undefined when it needs none or none are configured). */
export async function accessCredentials(
  method: AccessMethod,
  access: TypedSpec,
  resolver: CredentialResolver | undefined,
  options: { signal?: AbortSignal } = {},
): Promise<Credentials | undefined> {
  const identity = await method.consumerIdentity(access);
  if (!identity || !resolver) return undefined;
  return await resolver.resolve(identity, options.signal ? { signal: options.signal } : {});
}
