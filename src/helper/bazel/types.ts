/**
 * Contracts of `ocm-credential-helper` (the Bazel / EngFlow credential-helper protocol, spec
 * `registry-auth-helpers-proxy.md` §A): what a `get` resolves to and how the caching agent keys
 * it. `resolve.ts` answers a request from the central credentials (slow path, loaded lazily);
 * `cache-key.ts` and the agent client (fast path) must not import it.
 */
import type { Session } from '../../session/session.js';

/** The request read from stdin. Extra fields are tolerated (the spec allows them). */
export interface CredentialHelperRequest {
  uri: string;
  [extra: string]: unknown;
}

/** The response printed on stdout: header name → values; `expires` RFC 3339 UTC when known. */
export interface CredentialHelperResponse {
  headers: Record<string, string[]>;
  expires?: string;
}

/**
 * How widely an answer may be reused by the cache: per (registry, repository, actions) for OCI
 * registries (Bazel asks once per blob URI), per exact URI for other HTTP downloads, or never.
 */
export type CacheScope = 'repository' | 'uri' | 'none';

export interface Resolution {
  response: CredentialHelperResponse;
  /** Epoch ms after which the answer must not be served (already includes the safety margin). */
  expiresAt?: number;
  cacheScope: CacheScope;
  /**
   * Secret-free remarks for stderr (e.g. "no credentials for github.com; the download goes out
   * anonymously"): the library stays silent, the bin decides whether to print them.
   */
  notes?: string[];
}

export interface ResolveOptions {
  /** Environment (GHCR_TOKEN/GH_TOKEN/GITHUB_TOKEN, CREDENTIAL_HELPER_GUESS_OCI_REGISTRY, HOME, ...). */
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The credential session (config discovery, credential graph, docker config fallback). */
  session: Session;
  signal?: AbortSignal;
  /** Clock, for tests (default Date.now). */
  now?: () => number;
}

/** One line per step of `setup-uri <url>`: which config entry would answer and why, never a secret. */
export interface UriExplanation {
  uri: string;
  lines: string[];
}
