/**
 * Where signing keys come from besides files: the credential system (consumer identity
 * `{type: RSA/v1alpha1, algorithm, signature}` with `RSACredentials/v1` properties, creds §1.5).
 * The signer selection of `signing.config.ocm.software` is in signer-config.ts.
 */
import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import type { CredentialResolver, Credentials } from '../runtime/credentials-types.js';
import type { Identity } from '../runtime/identity.js';
import { fromFsError } from '../runtime/errors.js';
import { parsePrivateKey, parsePublicKey, type PublicKeyMaterial, type RsaAlgorithm } from './rsa.js';

export const RSA_CONSUMER_TYPE = 'RSA/v1alpha1';

/** The consumer identity the Go v2 CLI looks RSA keys up with. */
export function signingConsumerIdentity(algorithm: RsaAlgorithm, signature: string): Identity {
  return { type: RSA_CONSUMER_TYPE, algorithm, signature };
}

// camelCase keys first; the snake_case spellings are v2's deprecated RSA-only fallbacks.
const PRIVATE = [['privateKeyPEM', 'private_key_pem'], ['privateKeyPEMFile', 'private_key_pem_file']] as const;
const PUBLIC = [['publicKeyPEM', 'public_key_pem'], ['publicKeyPEMFile', 'public_key_pem_file']] as const;

function prop(c: Credentials, keys: readonly string[]): string | undefined {
  for (const k of keys) if (typeof c[k] === 'string' && c[k] !== '') return c[k];
  return undefined;
}

async function pemFrom(c: Credentials, keys: typeof PRIVATE | typeof PUBLIC): Promise<{ pem: string; source: string } | undefined> {
  const inline = prop(c, keys[0]);
  if (inline) return { pem: inline, source: `credential property ${keys[0][0]}` };
  const file = prop(c, keys[1]);
  if (!file) return undefined;
  try {
    return { pem: await readFile(file, 'utf8'), source: file };
  } catch (e) {
    throw fromFsError(e, `key file ${file} (from credential property ${keys[1][0]})`);
  }
}

export interface CredentialKeys {
  readonly privateKey?: KeyObject;
  readonly publicKey?: PublicKeyMaterial;
}

/** Keys configured for `identity`; empty when no credentials match. Secrets never reach messages. */
export async function keysFromCredentials(resolver: CredentialResolver, identity: Identity, options: { signal?: AbortSignal } = {}): Promise<CredentialKeys> {
  const creds = await resolver.resolve(identity, options.signal ? { signal: options.signal } : {});
  return creds ? await keysFromCredentialData(creds) : {};
}

/** The keys in credentials already resolved for a signing identity (`RSACredentials/v1` properties). */
export async function keysFromCredentialData(creds: Credentials): Promise<CredentialKeys> {
  const priv = await pemFrom(creds, PRIVATE);
  const pub = await pemFrom(creds, PUBLIC);
  return {
    ...(priv ? { privateKey: parsePrivateKey(priv.pem, priv.source) } : {}),
    ...(pub ? { publicKey: parsePublicKey(pub.pem, pub.source) } : {}),
  };
}
