/**
 * Descriptor normalisation: `jsonNormalisation/v1` (entry format), `/v2`, `/v3` and `/v4alpha1`
 * (RFC 8785 JCS of the whitelisted descriptor). v3 and v4alpha1 are byte-identical; v2 adds the
 * legacy extra-identity defaulting. Pure functions over the typed model.
 */
import { createHash } from 'node:crypto';
import type { ComponentDescriptor } from '../../descriptor/types.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import { canonicalJson } from './jcs.js';
import { entryFormat } from './entry.js';
import { entryModel, jcsModel } from './rules.js';

export { canonicalJson } from './jcs.js';
export { entryFormat, goJsonString } from './entry.js';
export { signingLabels, providerObject, legacyDefaultResources, hasNoneAccess } from './rules.js';

export const JSON_NORMALISATION_V1 = 'jsonNormalisation/v1';
export const JSON_NORMALISATION_V2 = 'jsonNormalisation/v2';
export const JSON_NORMALISATION_V3 = 'jsonNormalisation/v3';
export const JSON_NORMALISATION_V4ALPHA1 = 'jsonNormalisation/v4alpha1';

/** Every descriptor normalisation this build verifies. */
export const NORMALISATIONS: readonly string[] = [JSON_NORMALISATION_V1, JSON_NORMALISATION_V2, JSON_NORMALISATION_V3, JSON_NORMALISATION_V4ALPHA1];

/** Default for new signatures: the one both Go generations verify (model §2.3). */
export const DEFAULT_NORMALISATION = JSON_NORMALISATION_V3;

export function isNormalisation(name: string): boolean {
  return NORMALISATIONS.includes(name);
}

export interface NormaliseOptions {
  /** `jsonNormalisation/v1` only: the historic form without forced `"extraIdentity":null`. */
  readonly historic?: boolean;
}

/** The normalised descriptor as a string (no trailing newline). UNSUPPORTED for unknown algorithms. */
export function normalise(cd: ComponentDescriptor, algorithm: string, options: NormaliseOptions = {}): string {
  switch (algorithm) {
    case JSON_NORMALISATION_V1:
      return entryFormat(entryModel(cd, options));
    case JSON_NORMALISATION_V2:
      return canonicalJson(jcsModel(cd, true));
    case JSON_NORMALISATION_V3:
    case JSON_NORMALISATION_V4ALPHA1:
      return canonicalJson(jcsModel(cd, false));
    default:
      throw new OcmError(ErrorCode.UNSUPPORTED, `unknown normalisation algorithm "${algorithm}": supported are ${NORMALISATIONS.join(', ')}`);
  }
}

/** Hash names as written (`SHA-256`, `SHA-512`); legacy `sha256`/`sha512` are accepted on read. */
export const HASH_SHA256 = 'SHA-256';
export const HASH_SHA512 = 'SHA-512';

/** Maps a descriptor hash name to Node's name; UNSUPPORTED otherwise. */
export function nodeHashName(hashAlgorithm: string): 'sha256' | 'sha512' {
  switch (hashAlgorithm) {
    case 'SHA-256':
    case 'sha256':
    case 'SHA256':
      return 'sha256';
    case 'SHA-512':
    case 'sha512':
    case 'SHA512':
      return 'sha512';
    default:
      throw new OcmError(ErrorCode.UNSUPPORTED, `unsupported hash algorithm "${hashAlgorithm}": use SHA-256 or SHA-512`);
  }
}

/** The canonical written spelling of a hash name (`sha256` → `SHA-256`). */
export function canonicalHashName(hashAlgorithm: string): string {
  return nodeHashName(hashAlgorithm) === 'sha256' ? HASH_SHA256 : HASH_SHA512;
}

export interface NormalisedDigest {
  /** The normalised bytes that were hashed. */
  readonly normalised: Buffer;
  /** Lower-case hex of the hash. */
  readonly value: string;
}

/** Normalises and hashes: `hex(hash(normalisedBytes))`. */
export function normalisedDigest(cd: ComponentDescriptor, algorithm: string, hashAlgorithm: string = HASH_SHA256, options: NormaliseOptions = {}): NormalisedDigest {
  const normalised = Buffer.from(normalise(cd, algorithm, options), 'utf8');
  return { normalised, value: createHash(nodeHashName(hashAlgorithm)).update(normalised).digest('hex') };
}
