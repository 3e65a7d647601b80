/**
 * Signature checks before an install: the registry's and the plugin's component versions must each
 * carry a signature that verifies with a configured key — `--public-key` files, the `RSA/v1alpha1`
 * credentials of the signature (creds §1.5), or a non-RSA signer of `signing.config.ocm.software/v1alpha1`
 * (e.g. a plugin's). Verifying re-reads every blob, so a tampered plugin is caught here too.
 */
import type { ConfigEntry } from '../../config/load.js';
import type { ComponentVersionRepository } from '../../repository/types.js';
import type { CredentialResolver } from '../../runtime/credentials-types.js';
import { ErrorCode, OcmError, isOcmError } from '../../runtime/errors.js';
import type { TypeRegistry } from '../../runtime/type-registry.js';
import { keysFromCredentials, signingConsumerIdentity } from '../../signing/keys.js';
import { MEDIA_TYPE_RSA_PSS, RSASSA_PSS, type PublicKeyMaterial, type RsaAlgorithm } from '../../signing/rsa.js';
import { signerConfigFor } from '../../signing/signer-config.js';
import { parseAlgorithm } from '../../signing/types.js';
import { verifyComponentVersion } from '../../signing/verify.js';

export interface PluginVerification {
  /** Trusted public keys (e.g. from `--public-key`). */
  readonly publicKeys?: readonly PublicKeyMaterial[];
  /** Where `RSA/v1alpha1` signature keys are looked up (creds §1.5). */
  readonly credentials?: CredentialResolver;
  /** `.ocmconfig` entries: `signing.config.ocm.software/v1alpha1` may name a non-RSA verifier. */
  readonly configEntries?: readonly ConfigEntry[];
  /** Install without checking signatures (the caller asked for it explicitly). */
  readonly insecureSkipVerify?: boolean;
  readonly types?: TypeRegistry;
  readonly plainHttp?: boolean;
}

const SKIP_HINT = 'pass --insecure-skip-verify to install it unverified';

function algorithmOf(mediaType: string, algorithm: string): RsaAlgorithm | undefined {
  if (mediaType === MEDIA_TYPE_RSA_PSS) return RSASSA_PSS;
  try {
    return parseAlgorithm(algorithm);
  } catch {
    return undefined;
  }
}

/**
 * Resolves when one signature of `component:version` verifies with a trusted key; VERIFICATION_FAILED
 * (one line, naming `what` and how to fix it) when it is unsigned, no key is configured or none verifies.
 */
export async function verifyTrusted(
  repo: ComponentVersionRepository,
  component: string,
  version: string,
  what: string,
  v: PluginVerification,
  signal?: AbortSignal,
): Promise<void> {
  if (v.insecureSkipVerify) return;
  const so = signal ? { signal } : {};
  const cd = await repo.getComponentVersion(component, version, so);
  const sigs = cd.signatures ?? [];
  const cv = `${what} ${component}:${version}`;
  if (sigs.length === 0) throw new OcmError(ErrorCode.VERIFICATION_FAILED, `${cv} is not signed; refusing to install it (sign it, or ${SKIP_HINT})`);
  const common = {
    repository: repo,
    component,
    version,
    ...(v.types ? { registry: v.types } : {}),
    ...(v.credentials ? { credentials: v.credentials } : {}),
    ...(v.plainHttp ? { plainHttp: true } : {}),
    ...so,
  };
  let tried = 0;
  let failure: string | undefined;
  for (const sig of sigs) {
    const attempts: (() => Promise<unknown>)[] = [];
    const spec = v.configEntries ? signerConfigFor(v.configEntries, sig.name, v.types).spec : undefined;
    if (spec) attempts.push(() => verifyComponentVersion({ ...common, signature: sig.name, verifierSpec: spec }));
    const keys = [...(v.publicKeys ?? [])];
    const alg = algorithmOf(sig.signature.mediaType, sig.signature.algorithm);
    if (alg && v.credentials) {
      const fromCreds = (await keysFromCredentials(v.credentials, signingConsumerIdentity(alg, sig.name), so)).publicKey;
      if (fromCreds) keys.push(fromCreds);
    }
    for (const key of keys) attempts.push(() => verifyComponentVersion({ ...common, signature: sig.name, publicKey: key }));
    for (const attempt of attempts) {
      tried++;
      try {
        await attempt();
        return;
      } catch (e) {
        // Changed content fails with any key: say so directly.
        if (isOcmError(e, ErrorCode.DIGEST_MISMATCH)) throw new OcmError(ErrorCode.DIGEST_MISMATCH, `${cv}: ${e.message}; refusing to install it`, { cause: e });
        if (!isOcmError(e)) throw e;
        failure ??= `signature "${sig.name}": ${e.message}`;
      }
    }
  }
  if (tried === 0) {
    throw new OcmError(
      ErrorCode.VERIFICATION_FAILED,
      `no key to verify ${cv} (signatures: ${sigs.map((s) => s.name).join(', ')}): pass --public-key FILE, or configure RSACredentials/v1 for consumer {type: RSA/v1alpha1, algorithm: ${[...new Set(sigs.map((s) => algorithmOf(s.signature.mediaType, s.signature.algorithm) ?? s.signature.algorithm))].join('|')}, signature: <name>}; or ${SKIP_HINT}`,
    );
  }
  throw new OcmError(ErrorCode.VERIFICATION_FAILED, `${cv} does not verify with the trusted keys (${failure}); refusing to install it`);
}
