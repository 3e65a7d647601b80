import type { CredentialResolver } from '../runtime/credentials-types.js';
import { anonymous } from '../runtime/credentials-types.js';
import type { GlobalOptions } from './global-options.js';

/**
 * The credential resolver for this CLI invocation (from `.ocmconfig` discovery or `--config`).
 * Placeholder until the credential system lands: anonymous.
 */
export async function credentialResolverFor(_globals: GlobalOptions): Promise<CredentialResolver> {
  return anonymous;
}
