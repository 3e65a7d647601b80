/**
 * Verifying a component version in its repository: every resource blob is re-read (streaming)
 * and checked against its digest, reference digests are recomputed from the referenced versions,
 * then the signature is checked over the normalised descriptor. Failures name what changed.
 */
import type { ComponentVersionRepository } from '../repository/types.js';
import { throwIfAborted } from '../runtime/errors.js';
import { createLimiter, DEFAULT_CONCURRENCY, digestComponentVersion, memoResolver, sameRepositoryResolver, type ComponentVersionResolver, type DigestCache, type DigestOptions } from './digests.js';
import type { TypedSpecLike } from '../runtime/type-registry.js';
import { verifySignature, type VerifiedSignature, type VerifierOptions } from './signature.js';
import { verifySpecSignature } from './spec-signer.js';

export interface VerifyComponentVersionOptions extends VerifierOptions, DigestOptions {
  readonly repository: ComponentVersionRepository;
  readonly component: string;
  readonly version: string;
  /** Signature name. */
  readonly signature: string;
  /** Also verify signature `signature` of every referenced component version. */
  readonly recursive?: boolean;
  readonly resolve?: ComponentVersionResolver;
  /** A verifier config (e.g. a plugin's `HMAC/v1alpha1`): the registered `signer` of its type checks the signature (no public key needed). */
  readonly verifierSpec?: TypedSpecLike;
}

export interface VerifyResult {
  /** Verified signatures, root first. */
  readonly verified: readonly VerifiedSignature[];
}

export async function verifyComponentVersion(options: VerifyComponentVersionOptions): Promise<VerifyResult> {
  const { repository, signal } = options;
  const resolve = memoResolver(options.resolve ?? sameRepositoryResolver(repository));
  const cache: DigestCache = new Map();
  const limiter = createLimiter(options.concurrency ?? DEFAULT_CONCURRENCY);
  const verified: VerifiedSignature[] = [];
  const seen = new Set<string>();

  const verifyOne = async (component: string, version: string): Promise<void> => {
    const key = `${component}:${version}`;
    if (seen.has(key)) return;
    seen.add(key);
    throwIfAborted(signal);
    const cv = await resolve(component, version, signal ? { signal } : {});
    const sig = (cv.descriptor.signatures ?? []).find((s) => s.name === options.signature);
    // Look the signature up first: a missing one is the clearest error.
    if (!sig) verifySignature(cv.descriptor, options.signature, options);
    const digested = await digestComponentVersion(cv, 'verify', {
      ...options,
      resolve,
      cache,
      limiter,
      normalisation: sig!.digest.normalisationAlgorithm,
      hashAlgorithm: sig!.digest.hashAlgorithm,
    });
    verified.push(
      options.verifierSpec ? await verifySpecSignature(digested, options.signature, { ...options, spec: options.verifierSpec }) : verifySignature(digested, options.signature, options),
    );
    if (options.recursive) {
      for (const ref of cv.descriptor.component.componentReferences ?? []) await verifyOne(ref.componentName, ref.version ?? '');
    }
  };

  await verifyOne(options.component, options.version);
  return { verified };
}
