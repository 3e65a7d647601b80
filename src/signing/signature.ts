/**
 * Descriptor-level signing and signature verification: pure functions over a descriptor whose
 * resource and reference digests are already in place (digests.ts fills them in). Normalise →
 * hash → RSA over the hash; verification recomputes the digest, then checks the RSA signature,
 * the certificate chain and the issuer.
 */
import { createPublicKey, type X509Certificate, type KeyObject } from 'node:crypto';
import type { ComponentDescriptor, Signature } from '../descriptor/types.js';
import { ErrorCode, NotFoundError, OcmError } from '../runtime/errors.js';
import type { TypeRegistry } from '../runtime/type-registry.js';
import { DEFAULT_NORMALISATION, HASH_SHA256, JSON_NORMALISATION_V1, canonicalHashName, normalisedDigest } from './normalise/index.js';
import {
  MEDIA_TYPE_PEM,
  RSASSA_PKCS1_V1_5,
  RSASSA_PSS,
  normaliseDn,
  rfc2253,
  signatureFromPem,
  signatureToPem,
  verifyChain,
  type PublicKeyMaterial,
  type RsaAlgorithm,
} from './rsa.js';
import { parseAlgorithm, signingTypes, type SigningHandler } from './types.js';

export interface SignatureOptions {
  /** Signature name (unique per component version). */
  readonly name: string;
  readonly privateKey: KeyObject;
  /** Default RSASSA-PKCS1-V1_5 (verifies in both Go generations). */
  readonly algorithm?: RsaAlgorithm;
  /** Default SHA-256. */
  readonly hashAlgorithm?: string;
  /** Default jsonNormalisation/v3. */
  readonly normalisation?: string;
  /** Where signing handlers, hashes and normalisations are looked up (default: the process-wide registry). */
  readonly registry?: TypeRegistry;
  /** Issuer DN written into the signature; must name the leaf certificate's subject or issuer. */
  readonly issuer?: string;
  /** Signer certificate chain, leaf first: the signature is then written PEM-encoded with the chain. */
  readonly certificateChain?: readonly X509Certificate[];
  /** `plain` (hex, default) or `pem` (a SIGNATURE block, plus the chain if any). A chain implies `pem`. */
  readonly encoding?: 'plain' | 'pem';
}

export function cvName(cd: ComponentDescriptor): string {
  return `${cd.component.name}:${cd.component.version}`;
}

/** `name` plus extra identity, for messages: `"image" (os=linux)`. */
export function describeElement(e: { name: string; version?: string; extraIdentity?: Readonly<Record<string, string>> }): string {
  const extra = Object.entries(e.extraIdentity ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`);
  return `"${e.name}"${extra.length ? ` (${extra.join(',')})` : ''}`;
}

/**
 * Every resource (except `none` access) and every reference must carry a digest, else the
 * signature would not cover that content. `verify`: VERIFICATION_FAILED; `sign`: VALIDATION_FAILED.
 */
export function requireDigests(cd: ComponentDescriptor, purpose: 'sign' | 'verify' = 'verify'): void {
  const key = cvName(cd);
  const fail = (what: string, field: string, details: Record<string, unknown>) => {
    const tail = purpose === 'verify' ? 'so it is not covered by the signature' : 'compute digests first (signComponentVersion or digestComponentVersion do)';
    return new OcmError(purpose === 'verify' ? ErrorCode.VERIFICATION_FAILED : ErrorCode.VALIDATION_FAILED, `${what} of ${key} has no digest (${field}), ${tail}`, {
      details: { ...details, field },
    });
  };
  (cd.component.resources ?? []).forEach((r, i) => {
    const t = r.access?.type;
    if (t === 'none' || t === 'None' || r.digest) return;
    throw fail(`resource ${describeElement(r)}`, `resources[${i}].digest`, { resource: r.name });
  });
  (cd.component.componentReferences ?? []).forEach((ref, i) => {
    if (ref.digest) return;
    throw fail(`reference ${describeElement(ref)} (${ref.componentName}:${ref.version})`, `componentReferences[${i}].digest`, { reference: ref.name });
  });
}

/** Builds the `signatures[]` entry for the descriptor as it is now. */
export function createSignature(cd: ComponentDescriptor, options: SignatureOptions): Signature {
  const types = signingTypes(options.registry);
  const normalisation = normalisationName(types, options.normalisation ?? DEFAULT_NORMALISATION, (known) => `unknown normalisation "${options.normalisation}": supported are ${known}`);
  const hashAlgorithm = canonicalHashName(options.hashAlgorithm ?? HASH_SHA256);
  const algorithm = options.algorithm ?? RSASSA_PKCS1_V1_5;
  const handler = types.get<SigningHandler>('signing', algorithm).impl;
  requireDigests(cd, 'sign');
  const { value } = normalisedDigest(cd, normalisation, hashAlgorithm, { registry: types });
  const chain = options.certificateChain ?? [];
  if (chain.length > 0) {
    const leafKey = chain[0]!.publicKey.export({ format: 'der', type: 'spki' });
    if (!leafKey.equals(publicDer(options.privateKey))) {
      throw new OcmError(ErrorCode.KEY_ERROR, `the private key does not belong to the certificate "${rfc2253(chain[0]!.subject)}"`);
    }
  }
  if (options.issuer !== undefined && chain.length > 0) checkIssuer(options.issuer, chain[0]!, options.name);
  const raw = handler.sign(hashAlgorithm, value, options.privateKey);
  const signature =
    chain.length > 0 || options.encoding === 'pem'
      ? { algorithm: handler.algorithm, value: signatureToPem(handler.algorithm, raw, chain), mediaType: MEDIA_TYPE_PEM }
      : { algorithm: handler.algorithm, value: raw.toString('hex'), mediaType: handler.mediaType };
  return {
    name: options.name,
    digest: { hashAlgorithm, normalisationAlgorithm: normalisation, value },
    signature: options.issuer !== undefined ? { ...signature, issuer: options.issuer } : signature,
  };
}

/** The canonical name of a registered normalisation; UNSUPPORTED (listing the known ones) otherwise. */
function normalisationName(types: TypeRegistry, name: string, message: (known: string) => string): string {
  const r = types.find('normalisation', name);
  if (r) return r.type;
  throw new OcmError(ErrorCode.UNSUPPORTED, message(types.list('normalisation').map((x) => x.type).join(', ')));
}

function publicDer(key: KeyObject): Buffer {
  // createPublicKey derives the public half of a private KeyObject.
  return createPublicKey(key).export({ format: 'der', type: 'spki' });
}

/** The descriptor with `sig` added; a signature of the same name is replaced only with `force`. */
export function withSignature(cd: ComponentDescriptor, sig: Signature, options: { force?: boolean } = {}): ComponentDescriptor {
  const existing = cd.signatures ?? [];
  if (existing.some((s) => s.name === sig.name) && !options.force) {
    throw new OcmError(ErrorCode.ALREADY_EXISTS, `${cvName(cd)} already has a signature "${sig.name}": use --force to replace it, or choose another --signature name`);
  }
  const kept = existing.filter((s) => s.name !== sig.name);
  return { ...cd, signatures: [...kept, sig] };
}

export interface VerifierOptions {
  /** The public key (or certificate chain / private key) to check against. */
  readonly publicKey?: PublicKeyMaterial;
  /** Trusted CA certificates: the signer's chain must lead to one of them. */
  readonly caCerts?: readonly X509Certificate[];
  readonly now?: Date;
  /** Where signing handlers, hashes and normalisations are looked up (default: the process-wide registry). */
  readonly registry?: TypeRegistry;
}

export interface VerifiedSignature {
  readonly name: string;
  readonly component: string;
  readonly algorithm: string;
  readonly normalisation: string;
  readonly digest: string;
  /** The leaf certificate's subject, when a chain was validated. */
  readonly signer?: string;
}

/** Signature `name` of `cd`; NOT_FOUND listing the signatures it has. */
export function signatureNamed(cd: ComponentDescriptor, name: string): Signature {
  const sig = (cd.signatures ?? []).find((s) => s.name === name);
  if (sig) return sig;
  const names = (cd.signatures ?? []).map((s) => `"${s.name}"`).join(', ') || 'none';
  throw new NotFoundError(`${cvName(cd)} has no signature "${name}" (signatures: ${names})`);
}

/**
 * The digest a signature covers must equal the one the descriptor gives now (whoever checks the
 * signature value): VERIFICATION_FAILED naming both, with `tail` appended to the message.
 */
export function checkSignedDigest(cd: ComponentDescriptor, sig: Signature, types: TypeRegistry, tail = ''): void {
  const { normalisationAlgorithm: norm, hashAlgorithm, value: recorded } = sig.digest;
  let found = normalisedDigest(cd, norm, hashAlgorithm, { registry: types }).value;
  // Very old v1 signatures predate the forced "extraIdentity":null (model §2.3.3): best effort.
  if (found !== recorded && types.same('normalisation', norm, JSON_NORMALISATION_V1)) {
    const historic = normalisedDigest(cd, norm, hashAlgorithm, { historic: true, registry: types }).value;
    if (historic === recorded) found = historic;
  }
  if (found === recorded) return;
  throw new OcmError(
    ErrorCode.VERIFICATION_FAILED,
    `${cvName(cd)} was modified after signing: signature "${sig.name}" covers ${norm} digest ${recorded}, the descriptor now gives ${found} ` +
      `(a signed field changed: name, version, provider, creationTime, signing labels, or a resource, source or reference)${tail}`,
    { details: { signature: sig.name, field: 'descriptor', expected: recorded, actual: found } },
  );
}

/**
 * Verifies signature `name` of a descriptor whose digests have been checked. VERIFICATION_FAILED
 * with a message that says what does not match.
 */
export function verifySignature(cd: ComponentDescriptor, name: string, options: VerifierOptions): VerifiedSignature {
  const cv = cvName(cd);
  const sig = signatureNamed(cd, name);
  const { normalisationAlgorithm: norm, hashAlgorithm, value: recorded } = sig.digest;
  const types = signingTypes(options.registry);
  normalisationName(types, norm, (known) => `signature "${name}" of ${cv} uses normalisation "${norm}": supported are ${known}`);
  const { algorithm, raw, chain } = decodeSignatureValue(sig, cv, types);
  const key = chooseKey(sig, chain, options, cv);
  const signatureOk = types.get<SigningHandler>('signing', algorithm).impl.verify(hashAlgorithm, recorded, raw, key.key);

  checkSignedDigest(cd, sig, types, signatureOk ? '' : '; the signature value does not verify either');
  if (!signatureOk) {
    throw new OcmError(
      ErrorCode.VERIFICATION_FAILED,
      `signature "${name}" of ${cv} (${algorithm}) does not verify with the given ${key.chain.length > 0 ? 'certificate' : 'public key'}: wrong key, or the signature value was changed`,
      { details: { signature: name, field: 'signature.value' } },
    );
  }
  return {
    name,
    component: cv,
    algorithm,
    normalisation: norm,
    digest: recorded,
    ...(key.chain.length > 0 ? { signer: rfc2253(key.chain[0]!.subject) } : {}),
  };
}

function decodeSignatureValue(sig: Signature, cv: string, types: TypeRegistry): { algorithm: RsaAlgorithm; raw: Buffer; chain: X509Certificate[] } {
  const s = sig.signature;
  const unsupported = () =>
    new OcmError(ErrorCode.UNSUPPORTED, `signature "${sig.name}" of ${cv} uses ${s.algorithm} (${s.mediaType}): only RSA signatures (${RSASSA_PKCS1_V1_5}, ${RSASSA_PSS}) are supported`);
  if (s.mediaType === MEDIA_TYPE_PEM) {
    const pem = signatureFromPem(s.value);
    return { algorithm: safeAlgorithm(pem.algorithm ?? s.algorithm, unsupported, types), raw: pem.signature, chain: pem.chain };
  }
  // The plain media type names the variant (v2 picks it by media type, trap 10); the PKCS #1 v1.5
  // type is also written by v1 for PSS signatures, so there the algorithm field decides.
  const handlers = types.list('signing').map((r) => r.impl as SigningHandler);
  const byMediaType = handlers.find((h) => h.mediaType === s.mediaType);
  if (!byMediaType) throw unsupported();
  const algorithm = byMediaType.algorithm === RSASSA_PKCS1_V1_5 ? safeAlgorithm(s.algorithm, unsupported, types) : byMediaType.algorithm;
  if (!/^([0-9a-fA-F]{2})+$/.test(s.value)) {
    throw new OcmError(ErrorCode.VERIFICATION_FAILED, `signature "${sig.name}" of ${cv}: the value is not hex-encoded`, { details: { field: 'signature.value' } });
  }
  return { algorithm, raw: Buffer.from(s.value, 'hex'), chain: [] };
}

function safeAlgorithm(text: string, unsupported: () => OcmError, types: TypeRegistry): RsaAlgorithm {
  try {
    return parseAlgorithm(text, types);
  } catch {
    throw unsupported();
  }
}

function chooseKey(sig: Signature, embedded: X509Certificate[], options: VerifierOptions, cv: string): PublicKeyMaterial {
  const roots = options.caCerts ?? [];
  const chain = embedded.length > 0 ? embedded : (options.publicKey?.chain ?? []);
  if (roots.length > 0) {
    if (chain.length === 0) {
      throw new OcmError(ErrorCode.VERIFICATION_FAILED, `signature "${sig.name}" of ${cv} carries no certificate chain to check against the CA certificate: verify it with a public key`);
    }
    verifyChain(chain, roots, options.now);
  } else if (!options.publicKey) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `verifying signature "${sig.name}" of ${cv} needs a public key or a CA certificate`);
  }
  if (sig.signature.issuer !== undefined && chain.length > 0) checkIssuer(sig.signature.issuer, chain[0]!, sig.name);
  if (chain.length > 0 && (roots.length > 0 || embedded.length === 0)) return { key: chain[0]!.publicKey, chain };
  return options.publicKey!;
}

/** v1 writes the leaf's subject DN as issuer, v2 compares with the leaf's issuer DN: accept either. */
function checkIssuer(issuer: string, leaf: X509Certificate, name: string): void {
  const want = normaliseDn(issuer);
  if (want === normaliseDn(leaf.subject) || want === normaliseDn(leaf.issuer)) return;
  throw new OcmError(
    ErrorCode.VERIFICATION_FAILED,
    `signature "${name}": issuer "${issuer}" matches neither the signer certificate's subject "${rfc2253(leaf.subject)}" nor its issuer "${rfc2253(leaf.issuer)}"`,
    { details: { field: 'signature.issuer', expected: issuer, actual: rfc2253(leaf.subject) } },
  );
}
