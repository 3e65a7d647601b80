/**
 * Hash algorithms (kind `hash`): the descriptor names and the Node name behind each. Apart from
 * types.ts, so that rsa.ts can name hashes without importing the module that registers rsa.ts.
 */
import { ErrorCode, OcmError } from '../runtime/errors.js';
import { defaultTypeRegistry, type TypeRegistry } from '../runtime/type-registry.js';

/** Hash names as written (`SHA-256`, `SHA-512`); legacy `sha256`/`sha512` are accepted on read. */
export const HASH_SHA256 = 'SHA-256';
export const HASH_SHA512 = 'SHA-512';

/** A hash algorithm (kind `hash`): the Node name behind a descriptor name. */
export interface HashAlgorithm {
  readonly node: 'sha256' | 'sha512';
}

const SHA256 = { type: HASH_SHA256, aliases: ['sha256'], source: 'built-in', impl: { node: 'sha256' } } as const;
const SHA512 = { type: HASH_SHA512, aliases: ['sha512'], source: 'built-in', impl: { node: 'sha512' } } as const;
const done = new WeakSet<TypeRegistry>();

/** Idempotent per registry. */
export function registerHashTypes(registry: TypeRegistry = defaultTypeRegistry): TypeRegistry {
  if (done.has(registry)) return registry;
  registry.register<HashAlgorithm>('hash', SHA256);
  registry.register<HashAlgorithm>('hash', SHA512);
  done.add(registry);
  return registry;
}

/** Maps a descriptor hash name to Node's name; UNSUPPORTED otherwise. */
export function nodeHashName(hashAlgorithm: string, registry?: TypeRegistry): 'sha256' | 'sha512' {
  const r = registerHashTypes(registry).find<HashAlgorithm>('hash', hashAlgorithm);
  if (!r) throw new OcmError(ErrorCode.UNSUPPORTED, `unsupported hash algorithm "${hashAlgorithm}": use SHA-256 or SHA-512`);
  return r.impl.node;
}

/** The canonical written spelling of a hash name (`sha256` → `SHA-256`). */
export function canonicalHashName(hashAlgorithm: string): string {
  return nodeHashName(hashAlgorithm) === 'sha256' ? HASH_SHA256 : HASH_SHA512;
}
