/**
 * Listing the components a repository holds (`ocm list components <repo>`). Kind `lister` in the
 * type registry, keyed by repository spec type: built-ins for CTF (artifact index) and OCI
 * registries (catalog), plugins through their `componentLister` capability.
 */
import type { TypedSpec } from '../descriptor/types.js';
import type { Credentials } from '../runtime/credentials-types.js';
import type { Identity } from '../runtime/identity.js';
import type { Logger } from '../runtime/logger.js';

export interface ListContext {
  /** Credentials for `consumerIdentity(spec)`, resolved by the caller; undefined = anonymous. */
  readonly credentials?: Credentials;
  readonly plainHttp?: boolean;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
}

export interface ComponentLister {
  /** The consumer identity credentials for listing are looked up with; undefined if none needed. */
  consumerIdentity(spec: TypedSpec): Identity | undefined | Promise<Identity | undefined>;
  /** Component names, each once, in the order the backend yields them (pages fetched lazily). */
  listComponents(spec: TypedSpec, ctx: ListContext): AsyncIterable<string>;
}
