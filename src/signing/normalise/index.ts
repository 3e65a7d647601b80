/**
 * Descriptor normalisation: `jsonNormalisation/v1` (entry format), `/v2`, `/v3` and `/v4alpha1`
 * (RFC 8785 JCS of the whitelisted descriptor). v3 and v4alpha1 are byte-identical; v2 adds the
 * legacy extra-identity defaulting. Pure functions over the typed model.
 */
import { createHash } from 'node:crypto';
import type { ComponentDescriptor } from '../../descriptor/types.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { TypeRegistry } from '../../runtime/type-registry.js';
import { signingTypes, type Normaliser } from '../types.js';

export { canonicalJson } from './jcs.js';
export { entryFormat, goJsonString } from './entry.js';
export { signingLabels, providerObject, legacyDefaultResources, hasNoneAccess } from './rules.js';

export const JSON_NORMALISATION_V1 = 'jsonNormalisation/v1';
export const JSON_NORMALISATION_V2 = 'jsonNormalisation/v2';
export const JSON_NORMALISATION_V3 = 'jsonNormalisation/v3';
export const JSON_NORMALISATION_V4ALPHA1 = 'jsonNormalisation/v4alpha1';

/** The built-in descriptor normalisations (their registrations are in ../types.ts). */
export const NORMALISATIONS: readonly string[] = [JSON_NORMALISATION_V1, JSON_NORMALISATION_V2, JSON_NORMALISATION_V3, JSON_NORMALISATION_V4ALPHA1];

/** Default for new signatures: the one both Go generations verify (model §2.3). */
export const DEFAULT_NORMALISATION = JSON_NORMALISATION_V3;

/** True if `name` is a registered normalisation (any accepted spelling). */
export function isNormalisation(name: string, registry?: TypeRegistry): boolean {
  return signingTypes(registry).find('normalisation', name) !== undefined;
}

export interface NormaliseOptions {
  /** `jsonNormalisation/v1` only: the historic form without forced `"extraIdentity":null`. */
  readonly historic?: boolean;
  /** Where normalisations and hashes are looked up (default: the process-wide registry). */
  readonly registry?: TypeRegistry;
}

/** The normalised descriptor as a string (no trailing newline). UNSUPPORTED for unknown algorithms. */
export function normalise(cd: ComponentDescriptor, algorithm: string, options: NormaliseOptions = {}): string {
  const types = signingTypes(options.registry);
  const r = types.find<Normaliser>('normalisation', algorithm);
  if (!r) {
    const known = types.list('normalisation').map((x) => x.type);
    throw new OcmError(ErrorCode.UNSUPPORTED, `unknown normalisation algorithm "${algorithm}": supported are ${known.join(', ')}`);
  }
  return r.impl(cd, options.historic ? { historic: true } : {});
}

export { HASH_SHA256, HASH_SHA512, nodeHashName, canonicalHashName } from '../hashes.js';
import { HASH_SHA256, nodeHashName } from '../hashes.js';

export interface NormalisedDigest {
  /** The normalised bytes that were hashed. */
  readonly normalised: Buffer;
  /** Lower-case hex of the hash. */
  readonly value: string;
}

/** Normalises and hashes: `hex(hash(normalisedBytes))`. */
export function normalisedDigest(cd: ComponentDescriptor, algorithm: string, hashAlgorithm: string = HASH_SHA256, options: NormaliseOptions = {}): NormalisedDigest {
  const normalised = Buffer.from(normalise(cd, algorithm, options), 'utf8');
  return { normalised, value: createHash(nodeHashName(hashAlgorithm, options.registry)).update(normalised).digest('hex') };
}
