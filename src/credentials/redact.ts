/**
 * Redaction for anything printed from a config or a credential map. Inside credentials every
 * value is secret unless its key is known to be harmless (a username, a file path, a public key);
 * elsewhere keys that look secret are redacted. Erring on the side of hiding is intended.
 */
import type { Credentials } from '../runtime/credentials-types.js';
import type { ConfigEntry, OcmConfig } from '../config/load.js';

export const REDACTED = '<redacted>';

/** Credential keys that are never secret (identifiers, file paths, public material). */
const PUBLIC_CREDENTIAL_KEYS = new Set([
  'type',
  'username',
  'certFile',
  'keyFile',
  'keyring',
  'privateKeyPEMFile',
  'publicKeyPEMFile',
  'publicKeyPEM',
  'private_key_pem_file',
  'public_key_pem_file',
  'public_key_pem',
  'privateKeyPGPFile',
  'publicKeyPGPFile',
  'publicKeyPGP',
  'tokenFile',
  'trustedRootJSONFile',
  'certificate',
  'certificateAuthority',
  'serverURL',
  'mountPath',
  'path',
  'secretId',
  'credentialsName',
]);

const SECRET_KEY_RE = /pass|secret|token|auth|private|credential|key|pem|pgp/i;

/** A copy of a credential map with secret values replaced. */
export function redactCredentials(creds: Credentials): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(creds)) out[k] = PUBLIC_CREDENTIAL_KEYS.has(k) ? v : REDACTED;
  return out;
}

function redactCredentialObject(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactCredentialObject);
  if (typeof v !== 'object' || v === null) return REDACTED;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'properties' && typeof x === 'object' && x !== null) out[k] = redactCredentialObject(x);
    else if (PUBLIC_CREDENTIAL_KEYS.has(k) && typeof x === 'string') out[k] = x;
    else out[k] = typeof x === 'object' && x !== null ? redactCredentialObject(x) : REDACTED;
  }
  return out;
}

function redactGeneric(v: unknown, secret = false): unknown {
  if (Array.isArray(v)) return v.map((x) => redactGeneric(x, secret));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'credentials') out[k] = redactCredentialObject(x);
      else if (k === 'dockerConfig') out[k] = x === undefined || x === '' ? x : REDACTED;
      else out[k] = redactGeneric(x, secret || (k !== 'type' && SECRET_KEY_RE.test(k) && !k.endsWith('File')));
    }
    return out;
  }
  return secret && v !== null && v !== undefined && v !== '' ? REDACTED : v;
}

/** A copy of one entry's value with secrets replaced. */
export function redactEntry(entry: ConfigEntry): Record<string, unknown> {
  return redactGeneric(entry.value) as Record<string, unknown>;
}

/** The effective config as one generic document, secrets replaced (for `ocm get config`). */
export function redact(config: OcmConfig): { type: string; configurations: Record<string, unknown>[] } {
  return { type: 'generic.config.ocm.software/v1', configurations: config.entries.map(redactEntry) };
}
