/**
 * RSA signatures over a descriptor hash (model §2.5): RSASSA-PKCS1-V1_5 and RSASSA-PSS sign the
 * raw hash bytes as a pre-hashed message, like Go's `rsa.SignPKCS1v15(…, crypto.SHA256, hash)`.
 * Working on the hash (not the normalised text) lets callers verify a recorded digest value and
 * lets signing handlers receive only the digest. Keys: PKCS#1 / PKCS#8 / PKIX PEM, X.509 chains.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  privateDecrypt,
  privateEncrypt,
  publicDecrypt,
  publicEncrypt,
  randomBytes,
  timingSafeEqual,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import { nodeHashName } from './hashes.js';

export const RSASSA_PKCS1_V1_5 = 'RSASSA-PKCS1-V1_5';
export const RSASSA_PSS = 'RSASSA-PSS';
export const MEDIA_TYPE_RSA = 'application/vnd.ocm.signature.rsa';
export const MEDIA_TYPE_RSA_PSS = 'application/vnd.ocm.signature.rsa.pss';
export const MEDIA_TYPE_PEM = 'application/x-pem-file';

export type RsaAlgorithm = typeof RSASSA_PKCS1_V1_5 | typeof RSASSA_PSS;

/** The plain (hex) media type that goes with an algorithm; v2 picks the variant by it (trap 10). */
export function mediaTypeFor(algorithm: RsaAlgorithm): string {
  return algorithm === RSASSA_PSS ? MEDIA_TYPE_RSA_PSS : MEDIA_TYPE_RSA;
}

// DER DigestInfo prefixes (RFC 8017 §9.2 note 1).
const DIGEST_INFO: Record<'sha256' | 'sha512', Buffer> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};
const HASH_LEN = { sha256: 32, sha512: 64 } as const;

function hashBytes(hashAlgorithm: string, hex: string): { hash: 'sha256' | 'sha512'; bytes: Buffer } {
  const hash = nodeHashName(hashAlgorithm);
  if (!/^[0-9a-f]+$/i.test(hex) || hex.length !== HASH_LEN[hash] * 2) {
    throw new OcmError(ErrorCode.VALIDATION_FAILED, `digest value "${hex}" is not a ${hashAlgorithm} hash in hex`);
  }
  return { hash, bytes: Buffer.from(hex, 'hex') };
}

function assertRsa(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') {
    throw new OcmError(ErrorCode.KEY_ERROR, `${what} is a ${key.asymmetricKeyType ?? 'symmetric'} key; only RSA keys are supported`);
  }
}

/** Signs a hash (hex) with the private key; returns the raw signature bytes. */
export function signHash(hashAlgorithm: string, hashHex: string, privateKey: KeyObject, algorithm: RsaAlgorithm): Buffer {
  assertRsa(privateKey, 'the private key');
  const { hash, bytes } = hashBytes(hashAlgorithm, hashHex);
  try {
    if (algorithm === RSASSA_PKCS1_V1_5) {
      // Private-key "encryption" with PKCS#1 type-1 padding over DigestInfo ‖ hash = RSASSA-PKCS1-v1_5.
      return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([DIGEST_INFO[hash], bytes]));
    }
    const modBits = modulusBits(privateKey);
    const em = pssEncode(bytes, hash, modBits - 1);
    const k = Math.ceil(modBits / 8);
    return privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, leftPad(em, k));
  } catch (e) {
    if (e instanceof OcmError) throw e;
    throw new OcmError(ErrorCode.KEY_ERROR, `signing with the private key failed: ${(e as Error).message}`, { cause: e });
  }
}

/** True if `signature` is a valid signature of the hash under the public key (PSS: any salt length). */
export function verifyHash(hashAlgorithm: string, hashHex: string, signature: Buffer, publicKey: KeyObject, algorithm: RsaAlgorithm): boolean {
  assertRsa(publicKey, 'the public key');
  const { hash, bytes } = hashBytes(hashAlgorithm, hashHex);
  const modBits = modulusBits(publicKey);
  const k = Math.ceil(modBits / 8);
  if (signature.length !== k) return false;
  let m: Buffer;
  try {
    if (algorithm === RSASSA_PKCS1_V1_5) {
      const decoded = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
      const want = Buffer.concat([DIGEST_INFO[hash], bytes]);
      return decoded.length === want.length && timingSafeEqual(decoded, want);
    }
    m = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature);
  } catch {
    return false;
  }
  return pssVerify(bytes, m, hash, modBits - 1);
}

function modulusBits(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (!bits) throw new OcmError(ErrorCode.KEY_ERROR, 'cannot determine the RSA modulus length of the key');
  return bits;
}

function leftPad(b: Buffer, len: number): Buffer {
  return b.length >= len ? b : Buffer.concat([Buffer.alloc(len - b.length), b]);
}

function mgf1(seed: Buffer, len: number, hash: 'sha256' | 'sha512'): Buffer {
  const out: Buffer[] = [];
  let total = 0;
  for (let counter = 0; total < len; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    out.push(block);
    total += block.length;
  }
  return Buffer.concat(out).subarray(0, len);
}

// EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with the maximum salt, as Go's PSSSaltLengthAuto signs.
function pssEncode(mHash: Buffer, hash: 'sha256' | 'sha512', emBits: number): Buffer {
  const hLen = HASH_LEN[hash];
  const emLen = Math.ceil(emBits / 8);
  const sLen = emLen - hLen - 2;
  if (sLen < 0) throw new OcmError(ErrorCode.KEY_ERROR, 'the RSA key is too small for RSASSA-PSS with this hash');
  const salt = randomBytes(sLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - sLen - hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(h, emLen - hLen - 1, hash);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

// EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with the salt length detected from the padding.
function pssVerify(mHash: Buffer, m: Buffer, hash: 'sha256' | 'sha512', emBits: number): boolean {
  const hLen = HASH_LEN[hash];
  const emLen = Math.ceil(emBits / 8);
  // m has k bytes; the encoded message is its last emLen bytes, anything before must be zero.
  for (let i = 0; i < m.length - emLen; i++) if (m[i] !== 0) return false;
  const em = m.subarray(m.length - emLen);
  if (emLen < hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const maskedDb = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if ((maskedDb[0]! & ~topMask) !== 0) return false;
  const mask = mgf1(h, maskedDb.length, hash);
  for (let i = 0; i < maskedDb.length; i++) maskedDb[i]! ^= mask[i]!;
  maskedDb[0]! &= topMask;
  let i = 0;
  while (i < maskedDb.length && maskedDb[i] === 0) i++;
  if (i >= maskedDb.length || maskedDb[i] !== 1) return false;
  const salt = maskedDb.subarray(i + 1);
  const h2 = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  return timingSafeEqual(h, h2);
}

// ---------------------------------------------------------------------------------------------
// Keys and certificates

interface PemBlock {
  readonly type: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly bytes: Buffer;
  readonly text: string;
}

/** All PEM blocks of a text, in order. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (const m of text.matchAll(re)) {
    const body = m[2]!;
    const headers: Record<string, string> = {};
    let b64 = body;
    const sep = /\r?\n\r?\n/.exec(body);
    if (sep && /^[A-Za-z][A-Za-z0-9 -]*:/.test(body)) {
      for (const line of body.slice(0, sep.index).split(/\r?\n/)) {
        const c = line.indexOf(':');
        if (c > 0) headers[line.slice(0, c).trim()] = line.slice(c + 1).trim();
      }
      b64 = body.slice(sep.index + sep[0].length);
    }
    out.push({ type: m[1]!, headers, bytes: Buffer.from(b64.replace(/\s+/g, ''), 'base64'), text: m[0] });
  }
  return out;
}

/** Reads a private key (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 PEM). Never puts key material into errors. */
export function parsePrivateKey(pem: string | Buffer, source = 'private key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new OcmError(ErrorCode.KEY_ERROR, `${source}: not a PEM private key (expected "RSA PRIVATE KEY" or "PRIVATE KEY")`, { cause: scrub(e) });
  }
  assertRsa(key, source);
  return key;
}

/** Public verification material: the key, plus the certificate chain (leaf first) if it came from certificates. */
export interface PublicKeyMaterial {
  readonly key: KeyObject;
  readonly chain: readonly X509Certificate[];
}

/**
 * Reads a public key: PKCS#1 `RSA PUBLIC KEY`, PKIX `PUBLIC KEY`, an X.509 certificate chain
 * (leaf first), or a private key (its public half).
 */
export function parsePublicKey(pem: string | Buffer, source = 'public key'): PublicKeyMaterial {
  const text = pem.toString();
  const certs = parseCertificates(text, source);
  if (certs.length > 0) {
    const key = certs[0]!.publicKey;
    assertRsa(key, `${source} (certificate ${certs[0]!.subject.replace(/\n/g, ',')})`);
    return { key, chain: certs };
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch (e) {
    throw new OcmError(ErrorCode.KEY_ERROR, `${source}: not a PEM public key, certificate or private key`, { cause: scrub(e) });
  }
  assertRsa(key, source);
  return { key, chain: [] };
}

/** All `CERTIFICATE` blocks of a PEM text. */
export function parseCertificates(text: string, source = 'certificates'): X509Certificate[] {
  return pemBlocks(text)
    .filter((b) => b.type === 'CERTIFICATE')
    .map((b, i) => {
      try {
        return new X509Certificate(b.bytes);
      } catch (e) {
        throw new OcmError(ErrorCode.KEY_ERROR, `${source}: certificate #${i + 1} cannot be parsed`, { cause: e });
      }
    });
}

// Node's key errors carry no key bytes, but keep only the message to be safe.
function scrub(e: unknown): Error {
  return new Error((e as Error)?.message ?? 'invalid key');
}

/** A DN in a comparable form: attributes `TYPE=value`, type upper-cased, order-independent. */
export function normaliseDn(dn: string): string {
  return dn
    .split(/(?<!\\)[,\n+]/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? p : `${p.slice(0, eq).trim().toUpperCase()}=${p.slice(eq + 1).trim()}`;
    })
    .sort()
    .join(',');
}

/** RFC 2253 form of a Node DN (`C=DE\nO=x\nCN=y` → `CN=y,O=x,C=DE`), as v1 writes `issuer`. */
export function rfc2253(nodeDn: string): string {
  return nodeDn.split('\n').filter(Boolean).reverse().join(',');
}

/**
 * Validates a chain (leaf first) up to one of the trusted roots: every certificate is signed by
 * the next, the last by a root (or is a root), all valid now. KEY_ERROR / VERIFICATION_FAILED
 * naming the certificate otherwise.
 */
export function verifyChain(chain: readonly X509Certificate[], roots: readonly X509Certificate[], now = new Date()): void {
  if (chain.length === 0) throw new OcmError(ErrorCode.VERIFICATION_FAILED, 'no certificate chain to validate against the CA certificate');
  const name = (c: X509Certificate) => rfc2253(c.subject);
  for (const c of chain) {
    if (new Date(c.validFrom) > now || new Date(c.validTo) < now) {
      throw new OcmError(ErrorCode.VERIFICATION_FAILED, `certificate "${name(c)}" is not valid now (valid ${c.validFrom} to ${c.validTo})`);
    }
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i]!.checkIssued(chain[i + 1]!) || !chain[i]!.verify(chain[i + 1]!.publicKey)) {
      throw new OcmError(ErrorCode.VERIFICATION_FAILED, `certificate "${name(chain[i]!)}" is not issued by the next certificate "${name(chain[i + 1]!)}" of the chain`);
    }
  }
  const last = chain[chain.length - 1]!;
  const anchored = roots.some((r) => r.fingerprint256 === last.fingerprint256 || (last.checkIssued(r) && last.verify(r.publicKey)));
  if (!anchored) {
    throw new OcmError(ErrorCode.VERIFICATION_FAILED, `certificate chain of "${name(chain[0]!)}" does not lead to a trusted CA certificate (last: "${name(last)}", issuer "${rfc2253(last.issuer)}")`);
  }
}

/** PEM encoding of a signature as v1 writes it: a `SIGNATURE` block with its algorithm header, then the chain. */
export function signatureToPem(algorithm: string, signature: Buffer, chain: readonly X509Certificate[] = []): string {
  const b64 = signature.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  let out = `-----BEGIN SIGNATURE-----\nSignature Algorithm: ${algorithm}\n\n${b64}\n-----END SIGNATURE-----\n`;
  for (const c of chain) out += c.toString();
  return out;
}

/** Splits a PEM signature value into the signature bytes, its algorithm header and its certificate chain. */
export function signatureFromPem(text: string): { signature: Buffer; algorithm?: string; chain: X509Certificate[] } {
  const sig = pemBlocks(text).find((b) => b.type === 'SIGNATURE');
  if (!sig) throw new OcmError(ErrorCode.VERIFICATION_FAILED, 'the PEM signature value contains no SIGNATURE block');
  const algorithm = sig.headers['Signature Algorithm'];
  return { signature: sig.bytes, ...(algorithm ? { algorithm } : {}), chain: parseCertificates(text, 'signature certificate chain') };
}
