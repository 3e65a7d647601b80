/**
 * Credential entries (the items under a consumer's `credentials:`), spec §1.4: the built-in typed
 * credentials with their fields (unknown fields dropped, as Go's json.Unmarshal does), and the
 * universal `Credentials/v1` (= `DirectCredentials`) with free `properties`.
 */
import { sameType } from '../config/load.js';

const TYPED: readonly [string, readonly string[]][] = [
  ['OCICredentials/v1', ['username', 'password', 'accessToken', 'refreshToken']],
  ['HelmHTTPCredentials/v1', ['username', 'password', 'certFile', 'keyFile', 'keyring']],
  ['WgetCredentials/v1', ['username', 'password', 'identityToken', 'certificate', 'privateKey', 'certificateAuthority']],
  ['GitHubCredentials/v1', ['token']],
  ['RSACredentials/v1', ['privateKeyPEM', 'privateKeyPEMFile', 'publicKeyPEM', 'publicKeyPEMFile']],
  ['GPGCredentials/v1alpha1', ['privateKeyPGP', 'privateKeyPGPFile', 'publicKeyPGP', 'publicKeyPGPFile', 'passphrase']],
  ['OIDCIdentityToken/v1alpha1', ['token', 'tokenFile']],
  ['TrustedRoot/v1alpha1', ['trustedRootJSON', 'trustedRootJSONFile']],
];

const DIRECT = ['Credentials/v1', 'DirectCredentials/v1'];

/** The canonical name of a built-in typed credential type, or undefined. */
export function typedCredentialType(type: string): string | undefined {
  return TYPED.find(([t]) => sameType(type, t))?.[0];
}

export function isDirectCredentialType(type: string): boolean {
  return DIRECT.some((t) => sameType(type, t));
}

/** The string fields of a typed credential that its type defines. */
export function typedCredentialFields(type: string, value: Readonly<Record<string, unknown>>): Record<string, string> {
  const fields = TYPED.find(([t]) => sameType(type, t))?.[1] ?? [];
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = value[f];
    if (typeof v === 'string' && v !== '') out[f] = v;
  }
  return out;
}

/** Every credential type this build understands without plugins (for messages and `describe`). */
export function builtinCredentialTypes(): string[] {
  return [...DIRECT, ...TYPED.map(([t]) => t)];
}
