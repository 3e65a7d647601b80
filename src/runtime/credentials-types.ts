/**
 * The credential seam, defined at the bottom so that any layer can *receive* credentials
 * without knowing where they live (only `credentials/` knows that).
 */
import type { Identity } from './identity.js';

/**
 * Resolved credential properties, e.g. `{ username, password }`, `{ identityToken }`,
 * `{ accessToken }` (registry token), `{ privateKey }`. Never logged, never in errors.
 */
export type Credentials = Readonly<Record<string, string>>;

/** Resolves a consumer identity to credentials. `undefined` = none configured (anonymous); throws only on real failures. */
export interface CredentialResolver {
  resolve(identity: Identity, options?: { signal?: AbortSignal }): Promise<Credentials | undefined>;
}

/** A resolver that never has credentials. */
export const anonymous: CredentialResolver = {
  async resolve() {
    return undefined;
  },
};
