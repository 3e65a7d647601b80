/**
 * Spec-driven signers (kind `signer`, keyed by the signer/verifier config type, e.g. a plugin's
 * `HMAC/v1alpha1`): the digest normalisation and hash stay ours, the signer only signs or checks
 * `{hashAlgorithm, normalisationAlgorithm, value}` (spec §3.5 signingHandler). Credentials for the
 * identity a signer names come from the caller's resolver, so keys never pass through options.
 */
import type { ComponentDescriptor, DigestSpec, Signature } from '../descriptor/types.js';
import type { CredentialResolver, Credentials } from '../runtime/credentials-types.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import type { Identity } from '../runtime/identity.js';
import type { TypeRegistry, TypedSpecLike } from '../runtime/type-registry.js';
import { DEFAULT_NORMALISATION, HASH_SHA256, canonicalHashName, normalisedDigest } from './normalise/index.js';
import { checkSignedDigest, cvName, requireDigests, signatureNamed, type VerifiedSignature } from './signature.js';
import { signingTypes } from './types.js';

import { SIGNER_KIND, type SpecSigner } from './signer-kind.js';

export { SIGNER_KIND, type SpecSigner } from './signer-kind.js';

export interface SpecSignOptions {
  readonly name: string;
  readonly spec: TypedSpecLike;
  readonly normalisation?: string;
  readonly hashAlgorithm?: string;
  readonly registry?: TypeRegistry;
  readonly credentials?: CredentialResolver;
  readonly signal?: AbortSignal;
}

/** The registered signer for `spec.type`, after checking the spec against its schema. */
export function specSigner(spec: TypedSpecLike, registry?: TypeRegistry): SpecSigner {
  return signingTypes(registry).decode<SpecSigner>(SIGNER_KIND, spec).impl;
}

async function credentialsFor(identity: Identity | undefined, resolver: CredentialResolver | undefined, signal: AbortSignal | undefined): Promise<Credentials | undefined> {
  if (!identity || !resolver) return undefined;
  return await resolver.resolve(identity, signal ? { signal } : {});
}

function normalisationName(types: TypeRegistry, name: string, context: string): string {
  const r = types.find('normalisation', name);
  if (r) return r.type;
  throw new OcmError(ErrorCode.UNSUPPORTED, `${context} uses normalisation "${name}": supported are ${types.list('normalisation').map((x) => x.type).join(', ')}`);
}

/** The `signatures[]` entry a spec signer produces for the descriptor as it is now (digests must be in place). */
export async function createSpecSignature(cd: ComponentDescriptor, options: SpecSignOptions): Promise<Signature> {
  const types = signingTypes(options.registry);
  const signer = specSigner(options.spec, types);
  const normalisationAlgorithm = normalisationName(types, options.normalisation ?? DEFAULT_NORMALISATION, `signature "${options.name}"`);
  const hashAlgorithm = canonicalHashName(options.hashAlgorithm ?? HASH_SHA256);
  requireDigests(cd, 'sign');
  const digest: DigestSpec = { hashAlgorithm, normalisationAlgorithm, value: normalisedDigest(cd, normalisationAlgorithm, hashAlgorithm, { registry: types }).value };
  const call = options.signal ? { signal: options.signal } : {};
  const identity = await signer.signIdentity({ digest, config: options.spec, name: options.name }, call);
  const credentials = await credentialsFor(identity, options.credentials, options.signal);
  const signature = await signer.sign({ digest, config: options.spec }, credentials, call);
  return { name: options.name, digest, signature };
}

export interface SpecVerifyOptions {
  readonly spec: TypedSpecLike;
  readonly registry?: TypeRegistry;
  readonly credentials?: CredentialResolver;
  readonly signal?: AbortSignal;
}

/**
 * Verifies signature `name` with a spec verifier over a descriptor whose digests have been checked:
 * the recorded digest must equal the recomputed one, then the verifier must accept the signature.
 */
export async function verifySpecSignature(cd: ComponentDescriptor, name: string, options: SpecVerifyOptions): Promise<VerifiedSignature> {
  const cv = cvName(cd);
  const sig = signatureNamed(cd, name);
  const types = signingTypes(options.registry);
  const verifier = specSigner(options.spec, types);
  normalisationName(types, sig.digest.normalisationAlgorithm, `signature "${name}" of ${cv}`);
  checkSignedDigest(cd, sig, types);
  const call = options.signal ? { signal: options.signal } : {};
  const identity = await verifier.verifyIdentity({ signature: sig, config: options.spec }, call);
  const credentials = await credentialsFor(identity, options.credentials, options.signal);
  try {
    await verifier.verify({ signature: sig, config: options.spec }, credentials, call);
  } catch (e) {
    if (e instanceof OcmError && e.code === ErrorCode.VERIFICATION_FAILED) {
      throw new OcmError(ErrorCode.VERIFICATION_FAILED, `signature "${name}" of ${cv} (${sig.signature.algorithm}) does not verify with ${options.spec.type}: ${e.message}`, {
        cause: e,
        details: { signature: name, field: 'signature.value' },
      });
    }
    throw e;
  }
  return { name, component: cv, algorithm: sig.signature.algorithm, normalisation: sig.digest.normalisationAlgorithm, digest: sig.digest.value };
}
