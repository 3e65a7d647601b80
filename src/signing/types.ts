/**
 * The signing layer's built-in types, registered in the type registry like any plugin's:
 *
 *   signing        RSASSA-PKCS1-V1_5, RSASSA-PSS (signers/verifiers over a descriptor hash)
 *   signer         RSASigningConfiguration/v1alpha1 (spec-driven signers, keyed by config type; plugins add theirs)
 *   hash           SHA-256, SHA-512
 *   normalisation  jsonNormalisation/v1, /v2, /v3, /v4alpha1
 *   digest         genericBlobDigest/v1, ociArtifactDigest/v1 (artifact digest handlers)
 *
 * Every accepted spelling of these names is declared here and nowhere else; the rest of the
 * layer asks the registry (`signingTypes(registry).find(kind, name)`).
 */
import type { KeyObject } from 'node:crypto';
import type { ComponentDescriptor } from '../descriptor/types.js';
import type { Credentials } from '../runtime/credentials-types.js';
import type { Identity } from '../runtime/identity.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import { registerHashTypes } from './hashes.js';
import { defaultTypeRegistry, type TypeRegistration, type TypeRegistry } from '../runtime/type-registry.js';
import { keysFromCredentialData, signingConsumerIdentity, type CredentialKeys } from './keys.js';
import { canonicalJson } from './normalise/jcs.js';
import { entryFormat } from './normalise/entry.js';
import { entryModel, jcsModel } from './normalise/rules.js';
import { RSA_SIGNER_SCHEMA, RSA_SIGNER_TYPE, rsaSpecSigner } from './rsa-signer.js';
import type { SpecSigner } from './spec-signer.js';
import { MEDIA_TYPE_RSA, MEDIA_TYPE_RSA_PSS, RSASSA_PKCS1_V1_5, RSASSA_PSS, signHash, verifyHash, type RsaAlgorithm } from './rsa.js';

/** A signer/verifier for one signature algorithm (kind `signing`). */
export interface SigningHandler {
  readonly algorithm: RsaAlgorithm;
  /** Media type of a plain (hex) signature value. */
  readonly mediaType: string;
  /** The identity its keys are looked up with: `{type: RSA/v1alpha1, algorithm, signature: <name>}`. */
  consumerIdentity(spec: { readonly signature: string }): Identity;
  /** The keys in credentials resolved for that identity (given as data; files named there are read). */
  keys(credentials: Credentials): Promise<CredentialKeys>;
  sign(hashAlgorithm: string, hashHex: string, privateKey: KeyObject): Buffer;
  verify(hashAlgorithm: string, hashHex: string, signature: Buffer, publicKey: KeyObject): boolean;
}

export type { HashAlgorithm } from './hashes.js';

/** A descriptor normalisation (kind `normalisation`). */
export type Normaliser = (cd: ComponentDescriptor, options: { readonly historic?: boolean }) => string;

/** An artifact digest handler (kind `digest`): `oci` digests the manifest, `blob` the raw bytes. */
export interface DigestHandler {
  readonly artifact: 'blob' | 'oci';
}

const rsa = (algorithm: RsaAlgorithm, mediaType: string): SigningHandler => ({
  algorithm,
  mediaType,
  consumerIdentity: (spec) => signingConsumerIdentity(algorithm, spec.signature),
  keys: keysFromCredentialData,
  sign: (h, hex, key) => signHash(h, hex, key, algorithm),
  verify: (h, hex, sig, key) => verifyHash(h, hex, sig, key, algorithm),
});

const done = new WeakSet<TypeRegistry>();
let builtins: [string, TypeRegistration<unknown>][] | undefined;

/**
 * The registrations, built once on first use (start-up: most commands never sign)
 * and shared, so registering them again into a registry is a no-op, not a conflict.
 */
function builtinRegistrations(): [string, TypeRegistration<unknown>][] {
  if (builtins) return builtins;
  const list: [string, TypeRegistration<unknown>][] = [];
  const add = <T>(kind: string, r: TypeRegistration<T>) => list.push([kind, { ...r, source: 'built-in' } as TypeRegistration<unknown>]);
  // Names match case-insensitively; parseAlgorithm also reads `_` as `-`.
  add<SigningHandler>('signing', {
    type: RSASSA_PKCS1_V1_5,
    aliases: ['RSASSA-PKCS1-V1-5', 'PKCS1V15', 'PKCS1-V1-5', 'RSA'],
    description: 'RSA PKCS #1 v1.5 signature over the descriptor hash (verifies in Go v1 and v2)',
    impl: rsa(RSASSA_PKCS1_V1_5, MEDIA_TYPE_RSA),
  });
  add<SigningHandler>('signing', {
    type: RSASSA_PSS,
    aliases: ['PSS', 'RSA-PSS'],
    description: 'RSA PSS signature over the descriptor hash',
    impl: rsa(RSASSA_PSS, MEDIA_TYPE_RSA_PSS),
  });
  add<SpecSigner>('signer', {
    type: RSA_SIGNER_TYPE,
    aliases: ['RSASigningConfiguration'],
    schema: RSA_SIGNER_SCHEMA,
    description: 'RSA signatures with keys from the credentials of {type: RSA/v1alpha1, algorithm, signature}',
    impl: rsaSpecSigner,
  });
  add<Normaliser>('normalisation', {
    type: 'jsonNormalisation/v1',
    description: 'the v1 entry format',
    impl: (cd, options) => entryFormat(entryModel(cd, options)),
  });
  add<Normaliser>('normalisation', {
    type: 'jsonNormalisation/v2',
    description: 'JCS with legacy extra-identity defaulting',
    impl: (cd) => canonicalJson(jcsModel(cd, true)),
  });
  add<Normaliser>('normalisation', { type: 'jsonNormalisation/v3', description: 'JCS of the signed fields', impl: (cd) => canonicalJson(jcsModel(cd, false)) });
  add<Normaliser>('normalisation', {
    type: 'jsonNormalisation/v4alpha1',
    description: 'byte-identical to jsonNormalisation/v3',
    impl: (cd) => canonicalJson(jcsModel(cd, false)),
  });
  add<DigestHandler>('digest', { type: 'genericBlobDigest/v1', description: 'hash of the raw blob bytes', impl: { artifact: 'blob' } });
  add<DigestHandler>('digest', {
    type: 'ociArtifactDigest/v1',
    aliases: ['ociArtefactDigest/v1'],
    description: 'digest of the OCI manifest (or index) of an artifact',
    impl: { artifact: 'oci' },
  });
  return (builtins = list);
}

/** Idempotent per registry. ALREADY_EXISTS (naming both) if something else already holds a built-in name. */
export function registerSigningTypes(registry: TypeRegistry = defaultTypeRegistry): TypeRegistry {
  if (done.has(registry)) return registry;
  registerHashTypes(registry);
  for (const [kind, r] of builtinRegistrations()) registry.register(kind, r);
  done.add(registry);
  return registry;
}

/** `registry` (default: the process-wide one) with the signing built-ins registered. */
export function signingTypes(registry: TypeRegistry = defaultTypeRegistry): TypeRegistry {
  return registerSigningTypes(registry);
}

/**
 * `RSASSA-PKCS1-V1_5` / `RSASSA-PSS` or another name their `signing` registrations accept
 * (case-insensitive, `_` read as `-`: `pss`, `pkcs1v15`); INVALID_ARGUMENT otherwise.
 */
export function parseAlgorithm(text: string, registry?: TypeRegistry): RsaAlgorithm {
  const r = signingTypes(registry).find<SigningHandler>('signing', text.trim().replace(/_/g, '-'));
  if (r) return r.impl.algorithm;
  throw new OcmError(ErrorCode.INVALID_ARGUMENT, `unknown signature algorithm "${text}": use ${RSASSA_PKCS1_V1_5} or ${RSASSA_PSS}`);
}
