/**
 * The `signer` kind and its interface, apart from the signing machinery (normalisation, RSA), so
 * registering a plugin's signer costs no signing code at start-up.
 */
import type { DigestSpec, Signature, SignatureSpec } from '../descriptor/types.js';
import type { Credentials } from '../runtime/credentials-types.js';
import type { Identity } from '../runtime/identity.js';
import type { TypedSpecLike } from '../runtime/type-registry.js';

// Declared with the other kind names at the bottom layer, so registering a plugin signer loads nothing more.
export { SIGNER_KIND } from '../runtime/type-registry.js';

interface Call {
  readonly signal?: AbortSignal;
}

/** A signer/verifier selected by its config's type (kind `signer`). Identities may be undefined (no credentials needed). */
export interface SpecSigner {
  signIdentity(req: { digest: DigestSpec; config: TypedSpecLike; name: string }, options?: Call): Promise<Identity | undefined>;
  sign(req: { digest: DigestSpec; config: TypedSpecLike }, credentials: Credentials | undefined, options?: Call): Promise<SignatureSpec>;
  verifyIdentity(req: { signature: Signature; config: TypedSpecLike }, options?: Call): Promise<Identity | undefined>;
  /** Resolves when the signature is valid; VERIFICATION_FAILED (with the signer's reason) when it is not. */
  verify(req: { signature: Signature; config: TypedSpecLike }, credentials: Credentials | undefined, options?: Call): Promise<void>;
}

