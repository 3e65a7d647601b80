/**
 * Contracts of the auth-injecting OCI registry proxy (`ocm proxy serve`; spec
 * `registry-auth-helpers-proxy.md` §C, §D.7, §F): connectors (upstreams) from
 * `connectors.config.ocm.software/v1alpha1`, client access control, and the server's options.
 * `config.ts`/`access.ts` produce a `ProxyState`; `server.ts` serves it and takes a fresh snapshot
 * per request, so a reload (SIGHUP, file change) affects the next request, never one in flight.
 */
import type { Identity } from '../runtime/identity.js';
import type { Logger } from '../runtime/logger.js';
import type { Session } from '../session/session.js';

export const CONNECTORS_CONFIG_TYPE = 'connectors.config.ocm.software/v1alpha1';

export type ProxyAction = 'pull' | 'push' | 'delete';

export interface AccessRule {
  /** Client names; `*` = any authenticated client; `anonymous` = unauthenticated (loopback-only proxies). */
  clients: string[];
  /** Repository globs relative to the upstream (`*` one path segment, `**` any depth). */
  repositories: string[];
  actions: ProxyAction[];
}

export interface Connector {
  /** Path prefix and key: `<proxy>/<name>/<repo>` (a lower-case OCI path component). */
  name: string;
  /** Upstream root, e.g. `https://ghcr.io` or `http://127.0.0.1:5000` (scheme explicit or defaulted as the OCI client does). */
  address: string;
  /** Parsed upstream: scheme and `host[:port]`. */
  upstream: { scheme: 'http' | 'https'; host: string };
  description?: string;
  /**
   * Consumer identity whose credentials are injected upstream (default: the upstream's
   * `OCIRegistry` identity, built like the OCI client builds it); `null` = anonymous upstream.
   */
  upstreamIdentity: Identity | null;
  /** A dedicated `host:port` serving this connector in the root namespace (`/v2/<repo>/...`). */
  listen?: string;
  access: AccessRule[];
}

/** Who is asking: a configured client, or anonymous (allowed only when no client auth is configured or a rule names `anonymous`). */
export type ProxyPrincipal = { kind: 'client'; name: string } | { kind: 'anonymous' };

export interface AccessControl {
  /** Whether any client authentication is configured (else the proxy must stay on loopback). */
  readonly authRequired: boolean;
  /** Checks a request's `Authorization` (Basic: password = token, or Bearer token); undefined = credentials given but wrong. */
  authenticate(authorization: string | undefined): ProxyPrincipal | undefined;
  /** Whether `who` may do `action` on `repository` (upstream-relative) through `connector`. */
  authorize(who: ProxyPrincipal, connector: Connector, repository: string, action: ProxyAction): boolean;
  /** The `WWW-Authenticate` value for a 401. */
  challenge(): string;
}

/** One consistent snapshot of configuration. */
export interface ProxyState {
  readonly connectors: ReadonlyMap<string, Connector>;
  readonly access: AccessControl;
}

export interface ProxyStateSource {
  /** The state to use for the request that starts now. */
  current(): ProxyState;
}

export interface ProxyServerOptions {
  state: ProxyStateSource;
  /** Credentials for upstreams: resolved per request by `Connector.upstreamIdentity` (rotation = next request). */
  session: Session;
  /** `host:port` of the shared listener (default `127.0.0.1:5050`; port 0 = any free port). */
  listen?: string;
  tls?: { cert: Buffer; key: Buffer };
  logger?: Logger;
  /** Access log sink: one JSON object per request, secrets already redacted (default: none). */
  accessLog?: (entry: Record<string, unknown>) => void;
  signal?: AbortSignal;
}

export interface RunningProxy {
  /** `host:port` actually bound for the shared listener. */
  readonly address: string;
  /** Dedicated listeners by connector name (`host:port` actually bound). */
  readonly connectorAddresses: ReadonlyMap<string, string>;
  /** Stops accepting, lets requests in flight finish (up to `graceMs`, default 30 s), then closes. */
  close(options?: { graceMs?: number }): Promise<void>;
}
