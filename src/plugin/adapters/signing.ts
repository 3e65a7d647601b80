/**
 * `signingHandler` capabilities as `signer` registrations (spec §3.5): one per declared signer or
 * verifier config type. The host keeps normalisation and hashing; the plugin signs or checks the
 * digest. Like Go, signing calls send `Authorization: {}` when no credentials were found.
 */
import type { Signature, SignatureSpec } from '../../descriptor/types.js';
import type { Credentials } from '../../runtime/credentials-types.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { Identity } from '../../runtime/identity.js';
import { SIGNER_KIND, type TypeRegistry, type TypedSpecLike } from '../../runtime/type-registry.js';
import type { SpecSigner } from '../../signing/signer-kind.js';
import type { PluginCall, PluginConnection } from '../types.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function badAnswer(conn: PluginConnection, path: string, what: string): OcmError {
  return new OcmError(ErrorCode.PLUGIN_ERROR, `plugin "${conn.id}" answered ${path} with ${what}`, { details: { plugin: conn.id, endpoint: path } });
}

/** `{"identity": {...}}` → the identity; an absent or empty one means the signer needs no credentials. */
function identityOf(answer: unknown, conn: PluginConnection, path: string): Identity | undefined {
  const id = isRecord(answer) ? answer.identity : undefined;
  if (id === undefined || id === null) return undefined;
  if (!isRecord(id)) throw badAnswer(conn, path, 'an identity that is not a JSON object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(id)) {
    if (typeof v !== 'string') throw badAnswer(conn, path, `an identity whose attribute "${k}" is not a string`);
    out[k] = v;
  }
  if (Object.keys(out).length === 0) return undefined;
  if (!out.type) throw badAnswer(conn, path, 'an identity without "type"');
  return out;
}

function signatureOf(answer: unknown, conn: PluginConnection): SignatureSpec {
  const s = isRecord(answer) ? answer.signature : undefined;
  if (!isRecord(s)) throw badAnswer(conn, '/sign', 'no "signature" object');
  for (const f of ['algorithm', 'value', 'mediaType'] as const) {
    if (typeof s[f] !== 'string' || s[f] === '') throw badAnswer(conn, '/sign', `a signature without "${f}"`);
  }
  if (s.issuer !== undefined && s.issuer !== null && typeof s.issuer !== 'string') throw badAnswer(conn, '/sign', 'a signature whose "issuer" is not a string');
  return {
    algorithm: s.algorithm as string,
    value: s.value as string,
    mediaType: s.mediaType as string,
    ...(typeof s.issuer === 'string' && s.issuer !== '' ? { issuer: s.issuer } : {}),
  };
}

/** The signature as the wire carries it (issuer only when set). */
function wireSignature(sig: Signature): Signature {
  return { name: sig.name, digest: sig.digest, signature: sig.signature };
}

/** The signer of a `signingHandler` type (loaded on first use; registered by ./index.ts). */
export function pluginSigner(registry: TypeRegistry, conn: PluginConnection): SpecSigner {
  const post = (path: string, body: unknown, config: TypedSpecLike, extra: Partial<PluginCall> = {}) => {
    // The plugin's declared schema is checked in our process: a bad config never reaches the plugin.
    registry.validate(SIGNER_KIND, config);
    return conn.call({ method: 'POST', path, body, ...extra });
  };
  const auth = (credentials: Credentials | undefined, signal: AbortSignal | undefined): Partial<PluginCall> => ({
    ...(credentials ? { credentials } : {}),
    noCredentials: 'empty-object',
    ...(signal ? { signal } : {}),
  });
  return {
    async signIdentity({ digest, config, name }, options = {}) {
      return identityOf(await post('/sign/identity', { digest, config, name }, config, options.signal ? { signal: options.signal } : {}), conn, '/sign/identity');
    },
    async sign({ digest, config }, credentials, options = {}) {
      return signatureOf(await post('/sign', { digest, config }, config, auth(credentials, options.signal)), conn);
    },
    async verifyIdentity({ signature, config }, options = {}) {
      const body = { signature: wireSignature(signature), config };
      return identityOf(await post('/verify/identity', body, config, options.signal ? { signal: options.signal } : {}), conn, '/verify/identity');
    },
    async verify({ signature, config }, credentials, options = {}) {
      try {
        await post('/verify', { signature: wireSignature(signature), config }, config, auth(credentials, options.signal));
      } catch (e) {
        // A plugin's non-200 answer to /verify is its verdict (Go: any error fails verification);
        // errors without a status (crash, timeout, bad config) stay what they are.
        if (e instanceof OcmError && e.code === ErrorCode.PLUGIN_ERROR && typeof e.details.status === 'number') {
          throw new OcmError(ErrorCode.VERIFICATION_FAILED, e.message, { cause: e, details: { plugin: conn.id, status: e.details.status } });
        }
        throw e;
      }
    },
  };
}
