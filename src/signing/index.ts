/** Signing and verification of component versions: normalisation, digests, RSA signatures. */
export {
  normalise,
  normalisedDigest,
  canonicalJson,
  entryFormat,
  isNormalisation,
  nodeHashName,
  canonicalHashName,
  NORMALISATIONS,
  DEFAULT_NORMALISATION,
  JSON_NORMALISATION_V1,
  JSON_NORMALISATION_V2,
  JSON_NORMALISATION_V3,
  JSON_NORMALISATION_V4ALPHA1,
  HASH_SHA256,
  HASH_SHA512,
} from './normalise/index.js';
export type { NormaliseOptions, NormalisedDigest } from './normalise/index.js';
export {
  RSASSA_PKCS1_V1_5,
  RSASSA_PSS,
  MEDIA_TYPE_RSA,
  MEDIA_TYPE_RSA_PSS,
  MEDIA_TYPE_PEM,
  mediaTypeFor,
  signHash,
  verifyHash,
  parsePrivateKey,
  parsePublicKey,
  parseCertificates,
  verifyChain,
  signatureToPem,
  signatureFromPem,
} from './rsa.js';
export type { RsaAlgorithm, PublicKeyMaterial } from './rsa.js';
export { createSignature, withSignature, verifySignature, describeElement } from './signature.js';
export type { SignatureOptions, VerifierOptions, VerifiedSignature } from './signature.js';
export {
  computeResourceDigest,
  digestResources,
  digestComponentVersion,
  requireDigests,
  sameRepositoryResolver,
  memoResolver,
  DEFAULT_CONCURRENCY,
  defaultArtifactNormalisation,
  GENERIC_BLOB_DIGEST_V1,
  OCI_ARTIFACT_DIGEST_V1,
  NO_DIGEST,
  EXCLUDE_FROM_SIGNATURE,
} from './digests.js';
export type { ComponentVersionResolver, LocatedComponentVersion, DigestOptions, GraphOptions, DigestMode } from './digests.js';
export { artifactSetDigest, isOciArtifactMediaType } from './artifact-set.js';
export { signComponentVersion } from './sign.js';
export type { SignComponentVersionOptions, SignResult } from './sign.js';
export { verifyComponentVersion } from './verify.js';
export type { VerifyComponentVersionOptions, VerifyResult } from './verify.js';
export { signingConsumerIdentity, keysFromCredentials, keysFromCredentialData, RSA_CONSUMER_TYPE } from './keys.js';
export { specSigner, createSpecSignature, verifySpecSignature, SIGNER_KIND } from './spec-signer.js';
export type { SpecSigner, SpecSignOptions, SpecVerifyOptions } from './spec-signer.js';
export { rsaSpecSigner, RSA_SIGNER_TYPE } from './rsa-signer.js';
export { signerConfigFor, SIGNING_CONFIG_TYPE, type SignerConfig } from './signer-config.js';
export { registerSigningTypes, signingTypes, parseAlgorithm } from './types.js';
export type { SigningHandler, HashAlgorithm, Normaliser, DigestHandler } from './types.js';
export type { CredentialKeys } from './keys.js';
