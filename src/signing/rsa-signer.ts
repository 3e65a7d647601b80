/**
 * The built-in RSA signer as a spec signer (`RSASigningConfiguration/v1alpha1`, the `signer` of
 * `signing.config.ocm.software`), so `--signer-spec` and a config entry work the same for RSA and
 * plugin types. Keys come from the credentials of `{type: RSA/v1alpha1, algorithm, signature}`.
 */
import { ErrorCode, OcmError } from '../runtime/errors.js';
import type { TypedSpecLike } from '../runtime/type-registry.js';
import { keysFromCredentialData, signingConsumerIdentity } from './keys.js';
import { MEDIA_TYPE_PEM, MEDIA_TYPE_RSA, MEDIA_TYPE_RSA_PSS, RSASSA_PKCS1_V1_5, RSASSA_PSS, signHash, signatureFromPem, signatureToPem, verifyHash, type RsaAlgorithm } from './rsa.js';
import type { SpecSigner } from './spec-signer.js';

export const RSA_SIGNER_TYPE = 'RSASigningConfiguration/v1alpha1';

export const RSA_SIGNER_SCHEMA = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string' },
    signatureAlgorithm: { type: 'string', enum: [RSASSA_PKCS1_V1_5, RSASSA_PSS] },
    signatureEncodingPolicy: { type: 'string', enum: ['Plain', 'PEM'] },
  },
} as const;

const algorithmOf = (config: TypedSpecLike): RsaAlgorithm => (config.signatureAlgorithm === RSASSA_PSS ? RSASSA_PSS : RSASSA_PKCS1_V1_5);

/** The algorithm a stored RSA signature names (the PSS media type decides, as in v2). */
function signatureAlgorithm(s: { algorithm: string; mediaType: string }): RsaAlgorithm {
  if (s.mediaType === MEDIA_TYPE_RSA_PSS || /pss/i.test(s.algorithm)) return RSASSA_PSS;
  return RSASSA_PKCS1_V1_5;
}

export const rsaSpecSigner: SpecSigner = {
  async signIdentity({ config, name }) {
    return signingConsumerIdentity(algorithmOf(config), name);
  },
  async sign({ digest, config }, credentials) {
    const algorithm = algorithmOf(config);
    const key = credentials ? (await keysFromCredentialData(credentials)).privateKey : undefined;
    if (!key) {
      throw new OcmError(ErrorCode.INVALID_ARGUMENT, `no private key for ${RSA_SIGNER_TYPE}: configure RSACredentials/v1 for consumer {type: RSA/v1alpha1, algorithm: ${algorithm}, signature: <name>}`);
    }
    const raw = signHash(digest.hashAlgorithm, digest.value, key, algorithm);
    return config.signatureEncodingPolicy === 'PEM'
      ? { algorithm, value: signatureToPem(algorithm, raw), mediaType: MEDIA_TYPE_PEM }
      : { algorithm, value: raw.toString('hex'), mediaType: algorithm === RSASSA_PSS ? MEDIA_TYPE_RSA_PSS : MEDIA_TYPE_RSA };
  },
  async verifyIdentity({ signature }) {
    return signingConsumerIdentity(signatureAlgorithm(signature.signature), signature.name);
  },
  async verify({ signature }, credentials) {
    const s = signature.signature;
    const key = credentials ? (await keysFromCredentialData(credentials)).publicKey : undefined;
    if (!key) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `no public key for signature "${signature.name}": configure RSACredentials/v1 (publicKeyPEM) for consumer {type: RSA/v1alpha1, signature: ${signature.name}}`);
    const pem = s.mediaType === MEDIA_TYPE_PEM ? signatureFromPem(s.value) : undefined;
    const algorithm = pem?.algorithm ? signatureAlgorithm({ algorithm: pem.algorithm, mediaType: '' }) : signatureAlgorithm(s);
    if (!pem && !/^([0-9a-fA-F]{2})+$/.test(s.value)) throw new OcmError(ErrorCode.VERIFICATION_FAILED, 'the signature value is not hex-encoded');
    const raw = pem ? pem.signature : Buffer.from(s.value, 'hex');
    if (!verifyHash(signature.digest.hashAlgorithm, signature.digest.value, raw, key.key, algorithm)) {
      throw new OcmError(ErrorCode.VERIFICATION_FAILED, 'wrong key, or the signature value was changed');
    }
  },
};
