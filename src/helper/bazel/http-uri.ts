/**
 * Plain HTTP(S) downloads (http_archive from an artifact server, GitHub release assets): consumer
 * `{type: HTTP, scheme, hostname, port?, path}` with `Credentials/v1` (`username`/`password` →
 * Basic, `token` → Bearer), and for GitHub hosts GH_TOKEN / GITHUB_TOKEN. Lifetimes are unknown,
 * so answers live 5 minutes and are cached per exact URI (a path-scoped consumer may differ per path).
 */
import type { Credentials } from '../../runtime/credentials-types.js';
import { formatIdentity, type Identity } from '../../runtime/identity.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { Resolution, ResolveOptions } from './types.js';
import { GITHUB_HOSTS, type HelperUri } from './uri.js';
import { rfc3339, UNKNOWN_LIFETIME_MS } from './oci.js';

export const HTTP_IDENTITY_TYPE = 'HTTP';
export const GITHUB_TOKEN_VARS = ['GH_TOKEN', 'GITHUB_TOKEN'];

export function httpIdentity(u: HelperUri): Identity {
  const id: Record<string, string> = { type: HTTP_IDENTITY_TYPE, scheme: u.scheme, hostname: u.hostname };
  if (u.port) id.port = u.port;
  const path = u.url.pathname.replace(/^\//, '');
  if (path) id.path = path;
  return id;
}

export function isGitHubHost(u: HelperUri): boolean {
  return u.port === '' && u.scheme === 'https' && GITHUB_HOSTS.includes(u.hostname);
}

/** The Authorization value for `Credentials/v1` properties, or undefined when they hold neither form. */
export function authorizationFor(c: Credentials, id: Identity): string | undefined {
  const token = c.token ?? c.accessToken;
  if (token) return `Bearer ${token}`;
  if (c.username !== undefined && c.password !== undefined) return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  if (c.username !== undefined || c.password !== undefined) {
    throw new OcmError(ErrorCode.CONFIG_ERROR, `the credentials for identity ${formatIdentity(id)} have a ${c.username !== undefined ? 'username but no password' : 'password but no username'}; set both (or "token")`);
  }
  return undefined;
}

/** GitHub: Bearer, except raw.githubusercontent.com, which wants Basic for Actions tokens (tweag #79). */
export function gitHubAuthorization(u: HelperUri, token: string): string {
  if (u.hostname === 'raw.githubusercontent.com') return `Basic ${Buffer.from(`token:${token}`).toString('base64')}`;
  return `Bearer ${token}`;
}

export interface HttpFound {
  authorization?: string;
  source: string;
  /** A matching consumer was configured (even without credentials). */
  configured: boolean;
}

export async function httpCredentials(u: HelperUri, opts: ResolveOptions): Promise<HttpFound> {
  const id = httpIdentity(u);
  const graph = await opts.session.credentialGraph();
  const ex = await graph.explain(id, opts.signal ? { signal: opts.signal } : {});
  if (ex.matched) {
    const where = `.ocmconfig consumer ${formatIdentity(ex.matched.identity)} (${ex.matched.where})`;
    const authorization = ex.credentials ? authorizationFor(ex.credentials, id) : undefined;
    return { ...(authorization ? { authorization } : {}), source: authorization ? where : `${where} without credentials (anonymous)`, configured: true };
  }
  if (ex.credentials) {
    const authorization = authorizationFor(ex.credentials, id);
    if (authorization) return { authorization, source: 'a credential repository', configured: true };
  }
  if (isGitHubHost(u)) {
    const name = GITHUB_TOKEN_VARS.find((v) => opts.env[v]);
    if (name) return { authorization: gitHubAuthorization(u, opts.env[name]!), source: `environment variable ${name}`, configured: true };
    return { source: `no .ocmconfig consumer and none of ${GITHUB_TOKEN_VARS.join(', ')} set`, configured: false };
  }
  return { source: 'no .ocmconfig consumer', configured: false };
}

export async function resolveHttp(u: HelperUri, opts: ResolveOptions): Promise<Resolution> {
  const now = opts.now ?? Date.now;
  const found = await httpCredentials(u, opts);
  const at = Math.floor((now() + UNKNOWN_LIFETIME_MS) / 1000) * 1000;
  const headers: Record<string, string[]> = found.authorization ? { Authorization: [found.authorization] } : {};
  const r: Resolution = { response: { headers, expires: rfc3339(at) }, expiresAt: at, cacheScope: 'uri' };
  if (!found.authorization) {
    r.notes = [`no credentials for ${u.host} (${found.source}); the download goes out anonymously`];
  }
  return r;
}
