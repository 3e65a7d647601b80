/**
 * OCI registries for `ocm-credential-helper` (spec §A.6, §C.1–C.4, improved where §A.8 says so):
 * credentials for `{type: OCIRegistry, scheme, hostname, port?, path: <repo>}` from the credential
 * graph (consumers, its DockerConfig repositories), else the default docker config, then the
 * tweag lookup chain on top, then GHCR_TOKEN/GH_TOKEN/GITHUB_TOKEN for ghcr.io. The registry's
 * `/v2/` decides the scheme: 200 → anonymous, Basic → `Authorization: Basic` directly, Bearer →
 * one token request through the OCI client's `Authenticator` (same realm rules, bounded reads).
 */
import { HttpTransport, headerAll } from '../../oci/remote/http.js';
import { Authenticator, parseChallenges, repositoryScope, type AuthTarget, type TokenGrant } from '../../oci/remote/auth.js';
import { OCI_REGISTRY_IDENTITY_TYPE } from '../../oci/remote/consumer-identity.js';
import { openDockerConfig, dockerKeyFor } from '../../credentials/docker-config.js';
import { DOCKER_CONFIG_TYPE } from '../../credentials/typed.js';
import type { Credentials } from '../../runtime/credentials-types.js';
import { formatIdentity, type Identity } from '../../runtime/identity.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { Resolution, ResolveOptions } from './types.js';
import type { HelperUri } from './uri.js';
import { evaluateLookupChain, type OciHelperConfig } from './tweag-config.js';

/** The headers tweag's OCI helper emits next to Authorization (Bazel's downloader sends no Accept). */
export const OCI_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
];
export const OCI_API_VERSION = 'registry/2.0';

/** Answers whose lifetime we do not know (Basic, anonymous, GitHub): re-read the config this often. */
export const UNKNOWN_LIFETIME_MS = 5 * 60_000;
/** Subtracted from a token's lifetime so it is never handed out just before it dies. */
export const SAFETY_MARGIN_MS = 30_000;
/** Guards recursion: docker-credential-ocm in a docker config would call back into us. */
export const DEPTH_ENV = 'OCM_CREDENTIAL_HELPER_DEPTH';
const GHCR_TOKEN_VARS = ['GHCR_TOKEN', 'GH_TOKEN', 'GITHUB_TOKEN'];

export interface OciTarget {
  uri: HelperUri;
  repository: string;
  /** Where the request was allowed from (for messages), e.g. `default registry list`. */
  allowedBy: string;
  /** A tweag `urls[]` entry's OCI config, when one matched. */
  config?: OciHelperConfig;
}

/** RFC 3339 UTC without milliseconds. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * When a token stops being handed out: issued_at (else receipt) + max(expires_in, 60) s minus the
 * safety margin, whole seconds. An issued_at further than one lifetime from our clock is clock skew
 * or nonsense: then we count from receipt, which the token server's own clock cannot contradict.
 */
export function tokenExpiresAt(grant: Pick<TokenGrant, 'expiresIn' | 'issuedAt'>, now: number): number {
  const lifeMs = Math.max(60, grant.expiresIn && grant.expiresIn > 0 ? grant.expiresIn : 60) * 1000;
  let base = now;
  if (grant.issuedAt) {
    const t = Date.parse(grant.issuedAt);
    if (!Number.isNaN(t) && Math.abs(t - now) < lifeMs) base = t;
  }
  return Math.floor((base + lifeMs - SAFETY_MARGIN_MS) / 1000) * 1000;
}

export function ociIdentity(t: Pick<OciTarget, 'uri' | 'repository'>): Identity {
  const id: Record<string, string> = { type: OCI_REGISTRY_IDENTITY_TYPE, scheme: t.uri.scheme, hostname: t.uri.hostname };
  if (t.uri.port) id.port = t.uri.port;
  if (t.repository) id.path = t.repository;
  return id;
}

/** One line telling the user what to put into .ocmconfig for this identity. */
export function consumerExample(id: Identity, props = '{username: <user>, password: <password>}'): string {
  const parts = [`type: ${id.type}`, `hostname: ${id.hostname}`, ...(id.port ? [`port: "${id.port}"`] : [])];
  return `consumers: [{identity: {${parts.join(', ')}}, credentials: [{type: Credentials/v1, properties: ${props}}]}]`;
}

export function helperDepth(env: NodeJS.ProcessEnv): number {
  const n = Number(env[DEPTH_ENV] ?? '0');
  return Number.isInteger(n) && n > 0 ? n : 0;
}

export interface FoundCredentials {
  credentials?: Credentials;
  /** Secret-free: which source answered (or was consulted last). */
  source: string;
}

/**
 * Credentials for the target, in order: credential graph; default docker config when the graph has
 * no DockerConfig repository; tweag lookup chain (field by field on top); ghcr.io env tokens.
 */
export async function ociCredentials(t: OciTarget, opts: ResolveOptions): Promise<FoundCredentials> {
  const id = ociIdentity(t);
  const graph = await opts.session.credentialGraph();
  const ex = await graph.explain(id, opts.signal ? { signal: opts.signal } : {});
  let creds: Record<string, string> | undefined = ex.credentials ? { ...ex.credentials } : undefined;
  let source =
    ex.outcome === 'consumer' && ex.matched
      ? `.ocmconfig consumer ${formatIdentity(ex.matched.identity)} (${ex.matched.where})`
      : ex.outcome === 'repository'
        ? `credential repository: ${ex.repositories.find((r) => r.result === 'found')?.detail ?? 'docker config'}`
        : ex.matched
          ? `.ocmconfig consumer ${formatIdentity(ex.matched.identity)} without credentials (anonymous)`
          : 'no .ocmconfig consumer';
  const hasDockerRepo = ex.repositories.some((r) => r.type.split('/')[0] === DOCKER_CONFIG_TYPE.split('/')[0]);
  if (!creds && !ex.matched && !hasDockerRepo && t.config?.parseDockerConfig !== false) {
    const fb = await dockerFallback(id, opts);
    if (fb.credentials) creds = { ...fb.credentials };
    source = fb.credentials ? fb.source : `${source}; ${fb.source}`;
  }
  if (t.config && t.config.lookupChain.length > 0) {
    const chain = evaluateLookupChain(t.config.lookupChain, opts.env, `the lookup_chain of ${t.allowedBy}`);
    if (Object.keys(chain).length > 0) {
      creds = { ...(creds ?? {}) };
      if (chain.username !== undefined) creds.username = chain.username;
      if (chain.password !== undefined) creds.password = chain.password;
      if (chain.identitytoken !== undefined) creds.refreshToken = chain.identitytoken;
      if (chain.registrytoken !== undefined) creds.accessToken = chain.registrytoken;
      source = `lookup_chain of ${t.allowedBy}`;
    }
  }
  if (!creds && t.uri.hostname === 'ghcr.io' && t.uri.port === '') {
    const name = GHCR_TOKEN_VARS.find((v) => opts.env[v]);
    if (name) {
      creds = { username: opts.env.GITHUB_ACTOR || 'unset', password: opts.env[name]! };
      source = `environment variable ${name}`;
    }
  }
  return { ...(creds ? { credentials: normalise(creds) } : {}), source };
}

/** docker's `<token>` username means the secret is an identity (refresh) token; docker-config names → ours. */
function normalise(c: Record<string, string>): Credentials {
  const out = { ...c };
  if (out.identityToken !== undefined && out.refreshToken === undefined) out.refreshToken = out.identityToken;
  if (out.username === '<token>' && out.password) {
    out.refreshToken = out.password;
    delete out.username;
    delete out.password;
  }
  return out;
}

/**
 * The default docker config, as the graph's auto-configuration would use it, also when an
 * .ocmconfig exists (tweag users expect `docker login` to work). Never runs docker-credential-ocm
 * (that is us) and no helper at all when we were started by a helper (depth ≥ 1).
 */
async function dockerFallback(id: Identity, opts: ResolveOptions): Promise<FoundCredentials> {
  const depth = helperDepth(opts.env);
  const env = { ...opts.env, [DEPTH_ENV]: String(depth + 1) };
  const store = await openDockerConfig({}, env, {});
  if (!store) return { source: 'no docker config' };
  const key = dockerKeyFor(id)!;
  const helpers = store.config.credHelpers;
  const helper = helpers && Object.hasOwn(helpers, key) ? helpers[key] : store.config.credsStore;
  if (helper) {
    if (helper === 'ocm') return { source: `docker config ${store.source} names docker-credential-ocm for ${key} (skipped: that is .ocmconfig itself)` };
    if (depth > 0) return { source: `docker config ${store.source}: docker-credential-${helper} skipped (already inside a credential helper)` };
  }
  const r = await store.lookup(id, opts.signal);
  return { ...(r.credentials ? { credentials: r.credentials } : {}), source: r.via };
}

/** Probes `/v2/` and produces the answer. `actions`: `['pull']` or `['pull','push']`. */
export async function resolveOci(t: OciTarget, actions: readonly string[], opts: ResolveOptions): Promise<Resolution> {
  const now = opts.now ?? Date.now;
  const id = ociIdentity(t);
  const found = await ociCredentials(t, opts);
  const target: AuthTarget = { host: t.uri.host, scheme: t.uri.scheme, ...(t.repository ? { repository: t.repository } : {}) };
  // Bazel gives a helper 10 s: two attempts, not the client's minute of retries.
  const transport = new HttpTransport({ retry: { maxAttempts: 2, maxElapsedMs: 5_000 } });
  try {
    const base = `${t.uri.scheme}://${t.uri.host}`;
    const probe = await transport.send({ method: 'GET', url: `${base}/v2/`, ...(opts.signal ? { signal: opts.signal } : {}) });
    const www = headerAll(probe.headers, 'www-authenticate');
    await probe.body.dump().catch(() => undefined);
    const extra = { Accept: [...OCI_ACCEPT], 'Docker-Distribution-API-Version': [OCI_API_VERSION] };
    const short = (headers: Record<string, string[]>): Resolution => {
      const at = Math.floor((now() + UNKNOWN_LIFETIME_MS) / 1000) * 1000;
      return { response: { headers, expires: rfc3339(at) }, expiresAt: at, cacheScope: 'repository' };
    };
    if (probe.status === 200) return short(extra);
    if (probe.status !== 401) {
      throw new OcmError(ErrorCode.REGISTRY_ERROR, `registry ${t.uri.host} answered ${probe.status} to GET /v2/; is ${base} an OCI registry?`, { details: { host: t.uri.host, status: probe.status } });
    }
    const challenges = parseChallenges(www);
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    if (!bearer) {
      if (!challenges.some((c) => c.scheme === 'basic')) {
        throw new OcmError(ErrorCode.REGISTRY_ERROR, `registry ${t.uri.host} requires authentication with no supported challenge (expected Basic or Bearer)`);
      }
      const c = found.credentials;
      const basic = c?.username !== undefined && c.password !== undefined ? Buffer.from(`${c.username}:${c.password}`).toString('base64') : c?.auth;
      if (!basic) {
        throw new OcmError(
          ErrorCode.UNAUTHORIZED,
          `registry ${t.uri.host} requires a username and password and none were found for identity ${formatIdentity(id)} (${found.source}); add to .ocmconfig: ${consumerExample(id)}`,
          { details: { host: t.uri.host, identity: formatIdentity(id) } },
        );
      }
      return short({ Authorization: [`Basic ${basic}`], ...extra });
    }
    const method = t.config?.tokenExchangeMethod ?? 'auto';
    const credentialFn = Object.assign(async () => found.credentials, { identity: id });
    const auth = new Authenticator(transport, credentialFn, { identity: id });
    const scopes = t.repository ? [repositoryScope(t.repository, actions)] : [];
    const grant = await auth.exchangeToken(target, { realm: bearer.params.realm!, ...(bearer.params.service ? { service: bearer.params.service } : {}) }, scopes, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      oauth2: method === 'oauth2',
    });
    const headers = { Authorization: [`Bearer ${grant.token}`], ...extra };
    // A configured registry token has no known lifetime: no expires, never cached by us.
    if (grant.registryToken) return { response: { headers }, cacheScope: 'none' };
    const at = tokenExpiresAt(grant, now());
    if (at <= now()) return { response: { headers }, cacheScope: 'none' };
    return { response: { headers, expires: rfc3339(at) }, expiresAt: at, cacheScope: 'repository' };
  } finally {
    await transport.close();
  }
}
