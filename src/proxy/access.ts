/**
 * Client access control of the registry proxy (spec §D.5, §F.4): who is asking (per-client
 * tokens, hashed at rest) and what they may do (per-connector rules on repository globs).
 *
 * Tokens are 32 random bytes (`ocm proxy token create`), so a plain SHA-256 at rest is enough:
 * there is nothing to brute-force, and a slow KDF (scrypt) would cost tens of milliseconds on
 * every one of the many requests a single pull makes. The username of Basic auth is ignored: the
 * token alone names the client (kubelet and other clients send placeholder users).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccessControl, AccessRule, Connector, ProxyAction, ProxyPrincipal } from './types.js';

/** A configured client: its name and the SHA-256 of its token. */
export interface ProxyClient {
  name: string;
  /** 32 bytes: SHA-256 of the token (UTF-8). */
  tokenSha256: Buffer;
}

export const TOKEN_HASH_RE = /^sha256:([0-9a-f]{64})$/;
/** Longest `Authorization` value we decode (a token is 43 characters; this bounds hostile input). */
const MAX_AUTHORIZATION = 4096;

/** A fresh client token: 32 random bytes, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The at-rest form of a token: `sha256:<hex>`. */
export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/** Parses `sha256:<hex>` into its 32 bytes, or undefined when malformed. */
export function parseTokenHash(text: string): Buffer | undefined {
  const m = TOKEN_HASH_RE.exec(text);
  return m ? Buffer.from(m[1]!, 'hex') : undefined;
}

/** Rules used when a connector has no `access`: pull for every client, or everything for loopback users in open mode. */
export function defaultAccess(openMode: boolean): AccessRule[] {
  return openMode
    ? [{ clients: ['anonymous'], repositories: ['**'], actions: ['pull', 'push', 'delete'] }]
    : [{ clients: ['*'], repositories: ['**'], actions: ['pull'] }];
}

// One OCI path component (distribution-spec); the whole name is components joined by `/`.
const COMPONENT_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;

/** Whether `repository` is a valid OCI repository name (lower case, no empty or dot segments). */
export function isRepositoryName(repository: string): boolean {
  if (repository.length === 0 || repository.length > 255) return false;
  return repository.split('/').every((c) => COMPONENT_RE.test(c));
}

/** Why a repository glob is malformed, or undefined when it is fine. */
export function repositoryGlobProblem(glob: string): string | undefined {
  if (glob === '') return 'is empty';
  for (const seg of glob.split('/')) {
    if (seg === '') return 'has an empty path segment';
    if (seg === '**') continue;
    if (seg.includes('**')) return 'uses ** inside a segment (** must be a whole segment)';
    if (!/^[a-z0-9*._-]+$/.test(seg)) return 'may hold only lower-case letters, digits, . _ - and the wildcards * and **';
    if (seg === '.' || seg === '..') return 'has a . or .. segment';
  }
  return undefined;
}

function segmentMatches(pattern: string, segment: string): boolean {
  if (!pattern.includes('*')) return pattern === segment;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
  return re.test(segment);
}

/**
 * Whether `repository` matches `glob`: `*` within a segment matches any characters but `/`, a
 * whole `**` segment matches zero or more segments, everything else is exact (case-sensitive).
 * An invalid repository name (`..`, empty segments, upper case) never matches.
 */
export function matchRepository(glob: string, repository: string): boolean {
  if (!isRepositoryName(repository)) return false;
  const p = glob.split('/');
  const s = repository.split('/');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === s.length;
    if (p[i] === '**') {
      for (let k = j; k <= s.length; k++) if (match(i + 1, k)) return true;
      return false;
    }
    return j < s.length && segmentMatches(p[i]!, s[j]!) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

function principalMatches(rule: AccessRule, who: ProxyPrincipal): boolean {
  if (who.kind === 'anonymous') return rule.clients.includes('anonymous');
  return rule.clients.includes('*') || rule.clients.includes(who.name);
}

/** The token a request presents: Basic password, or a Bearer token; null = no credentials; undefined = malformed. */
export function presentedToken(authorization: string | undefined): string | null | undefined {
  if (authorization === undefined || authorization.trim() === '') return null;
  if (authorization.length > MAX_AUTHORIZATION) return undefined;
  const m = /^(\S+)\s+(\S+)\s*$/.exec(authorization);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'bearer') return m[2]!;
  if (scheme !== 'basic') return undefined;
  const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const token = decoded.slice(colon + 1);
  return token === '' ? undefined : token;
}

export interface AccessControlOptions {
  clients: readonly ProxyClient[];
  /** Whether any connector rule names `anonymous` (then the proxy must stay on loopback). */
  anonymousGranted?: boolean;
  /**
   * Open mode: client authentication is not configured at all (default: no clients). A configured
   * but empty client list (every client revoked) is not open: it admits nobody.
   */
  open?: boolean;
}

/** Token authentication + per-connector rules. `authRequired` = not open and no rule grants anonymous access. */
export function createAccessControl(options: AccessControlOptions): AccessControl {
  const clients = options.clients.map((c) => ({ name: c.name, hash: c.tokenSha256 }));
  const open = options.open ?? clients.length === 0;
  const authRequired = !open && !options.anonymousGranted;
  return {
    authRequired,
    authenticate(authorization) {
      // Open mode (no clients): whatever a loopback client sends (podman may send stale Basic) is ignored.
      if (open) return { kind: 'anonymous' };
      const token = presentedToken(authorization);
      if (token === null) return { kind: 'anonymous' };
      if (token === undefined) return undefined;
      const hash = createHash('sha256').update(token, 'utf8').digest();
      // Compare against every client, without an early exit: timing says nothing about which one.
      let found: string | undefined;
      for (const c of clients) if (timingSafeEqual(hash, c.hash) && found === undefined) found = c.name;
      return found === undefined ? undefined : { kind: 'client', name: found };
    },
    authorize(who: ProxyPrincipal, connector: Connector, repository: string, action: ProxyAction) {
      return connector.access.some((r) => r.actions.includes(action) && principalMatches(r, who) && r.repositories.some((g) => matchRepository(g, repository)));
    },
    challenge() {
      return 'Basic realm="ocm-proxy"';
    },
  };
}
