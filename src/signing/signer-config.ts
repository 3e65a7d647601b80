/**
 * The signer selection of `signing.config.ocm.software/v1alpha1` (creds §1.7). Apart from keys.ts
 * because it names algorithms through the signing registry (types.ts), which itself uses keys.ts.
 */
import { ErrorCode, OcmError } from '../runtime/errors.js';
import type { TypeRegistry, TypedSpecLike } from '../runtime/type-registry.js';
import type { RsaAlgorithm } from './rsa.js';
import { parseAlgorithm, signingTypes } from './types.js';

export const SIGNING_CONFIG_TYPE = 'signing.config.ocm.software/v1alpha1';

export interface SignerConfig {
  readonly algorithm?: RsaAlgorithm;
  readonly encoding?: 'plain' | 'pem';
  /** A signer of another registered `signer` type (a plugin's): the whole `signer` object, used as the signer spec. */
  readonly spec?: TypedSpecLike;
}

/**
 * The signer for signature `name` from `signing.config.ocm.software` entries (later entries win;
 * an entry with `signature: name` beats one without).
 */
export function signerConfigFor(
  entries: readonly { readonly type: string; readonly value: Readonly<Record<string, unknown>> }[],
  name: string,
  registry?: TypeRegistry,
): SignerConfig {
  const signing = entries.filter((e) => /^signing\.config\.ocm\.software(\/v1alpha1)?$/.test(e.type));
  const specific = signing.filter((e) => e.value.signature === name);
  const general = signing.filter((e) => e.value.signature === undefined);
  const entry = (specific.length > 0 ? specific : general).at(-1);
  if (!entry) return {};
  const signer = entry.value.signer as Record<string, unknown> | undefined;
  if (!signer || typeof signer !== 'object') return {};
  const type = String(signer.type ?? '');
  if (!/^RSASigningConfiguration(\/v1alpha1)?$/.test(type)) {
    const types = signingTypes(registry);
    if (type !== '' && types.find('signer', type)) return { spec: signer as TypedSpecLike };
    const known = types.list('signer').map((r) => r.type).join(', ');
    throw new OcmError(ErrorCode.UNSUPPORTED, `signing config: signer type "${type}" is not supported (known: ${known}; install the plugin that provides it)`);
  }
  const alg = signer.signatureAlgorithm;
  const enc = signer.signatureEncodingPolicy;
  if (enc !== undefined && enc !== 'Plain' && enc !== 'PEM') {
    throw new OcmError(ErrorCode.CONFIG_ERROR, `signing config: signatureEncodingPolicy "${String(enc)}" is invalid (use Plain or PEM)`);
  }
  return {
    ...(typeof alg === 'string' && alg !== '' ? { algorithm: parseAlgorithm(alg) } : {}),
    ...(enc ? { encoding: enc === 'PEM' ? 'pem' : 'plain' } : {}),
  } as SignerConfig;
}
