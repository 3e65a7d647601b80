/**
 * Access methods: how the bytes behind an access spec (`localBlob`, `ociArtifact`, ...) are read.
 * Registered in the type registry under kind `access`, with aliases (`localBlob` ≡ `LocalBlob/v1`).
 * A plugin adds an access type by registering another `AccessMethod`.
 */
import type { DigestSpec, TypedSpec } from '../descriptor/types.js';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import { defaultTypeRegistry, type TypeRegistry } from '../runtime/type-registry.js';
import type { ComponentVersionRepository, LocalBlobContent } from './types.js';

export interface AccessContext {
  /** The repository the component version was read from (needed by `localBlob`). */
  readonly repository?: ComponentVersionRepository;
  readonly component: string;
  readonly version: string;
  readonly credentials?: CredentialResolver;
  readonly plainHttp?: boolean;
  readonly signal?: AbortSignal;
}

export interface AccessMethod {
  /**
   * Opens the artifact as one verified byte stream. For OCI artifacts (`ociArtifact`) this is an
   * OCI image layout tar (media type `application/vnd.ocm.software.oci.layout.v1+tar`).
   */
  open(access: TypedSpec, ctx: AccessContext): Promise<LocalBlobContent>;
}

/** Optional capability: compute the artifact digest without streaming the bytes (e.g. OCI manifest digest). */
export interface ArtifactDigester {
  artifactDigest(access: TypedSpec, ctx: AccessContext, normalisationAlgorithm: string): Promise<DigestSpec | undefined>;
}

export function isArtifactDigester(m: unknown): m is ArtifactDigester {
  return typeof (m as ArtifactDigester | undefined)?.artifactDigest === 'function';
}

/** The access method for `access.type`; UNSUPPORTED (naming known types) if none is registered. */
export function accessMethod(access: TypedSpec, registry: TypeRegistry = defaultTypeRegistry): AccessMethod {
  return registry.get<AccessMethod>('access', access.type).impl;
}
