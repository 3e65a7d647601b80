/**
 * Identities: string maps. Used for element identities (name + extraIdentity) and for consumer
 * identities (type, hostname, port, path, scheme, ...). Matching rules for consumer identities
 * live in `credentials/`; this file only parses, prints and compares exactly.
 */
import { ErrorCode, OcmError } from './errors.js';

export type Identity = Readonly<Record<string, string>>;

/** Parses `k=v,k2=v2` (as given to `--identity`). Values may not contain `,`; keys must be non-empty. */
export function parseIdentity(text: string): Identity {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) {
      throw new OcmError(ErrorCode.INVALID_ARGUMENT, `identity "${text}": expected key=value pairs separated by ",", got "${part}"`);
    }
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** Canonical text form: keys sorted, JSON. Stable across runs; used as map key. */
export function identityKey(id: Identity): string {
  return JSON.stringify(Object.fromEntries(Object.entries(id).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** Human form `k=v,k2=v2` with keys sorted (never contains secrets: identities are not secret). */
export function formatIdentity(id: Identity): string {
  return Object.entries(id)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** True if every key of `subset` is present in `id` with the same value. */
export function identityContains(id: Identity, subset: Identity): boolean {
  return Object.entries(subset).every(([k, v]) => id[k] === v);
}
