/**
 * Registry authentication as a layer over the transport: anonymous, Basic, Bearer tokens from
 * the challenge's realm (GET with repeated `scope`, or the OAuth2 POST for refresh/identity
 * tokens and when asked, falling back to GET on 404), ready-made registry tokens. Tokens are
 * cached per realm+service+scope set (so a pull token is never used for a push) and per
 * credential source. A 401 `insufficient_scope` triggers one re-challenge.
 */
import { Limits, readAllBounded } from '../../digest/digest.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { Credentials } from '../../runtime/credentials-types.js';
import { formatIdentity, type Identity } from '../../runtime/identity.js';
import { errorSummary, header, headerAll, redact, type HttpTransport } from './http.js';
import { parseJsonAnswer } from './answers.js';
import { sameOrigin } from './origin.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses WWW-Authenticate values (RFC 7235 auth-params; quoted strings with escapes; several challenges). */
export function parseChallenges(values: readonly string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const value of values) {
    let i = 0;
    const s = value;
    let current: Challenge | undefined;
    while (i < s.length) {
      while (i < s.length && (s[i] === ' ' || s[i] === ',' || s[i] === '\t')) i++;
      const m = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/.exec(s.slice(i));
      if (!m) break;
      const token = m[0];
      i += token.length;
      let j = i;
      while (j < s.length && s[j] === ' ') j++;
      if (s[j] === '=') {
        // auth-param of the current challenge
        j++;
        while (j < s.length && s[j] === ' ') j++;
        let v = '';
        if (s[j] === '"') {
          j++;
          while (j < s.length && s[j] !== '"') {
            if (s[j] === '\\' && j + 1 < s.length) j++;
            v += s[j];
            j++;
          }
          j++;
        } else {
          const vm = /^[^,\s]*/.exec(s.slice(j));
          v = vm?.[0] ?? '';
          j += v.length;
        }
        if (current) current.params[token.toLowerCase()] = v;
        i = j;
      } else {
        current = { scheme: token.toLowerCase(), params: {} };
        out.push(current);
      }
    }
  }
  return out;
}

/** What a request needs: `repository:<name>:<actions>` scopes. */
export function repositoryScope(name: string, actions: readonly string[]): string {
  return `repository:${name}:${actions.join(',')}`;
}

/** A token server's answer (or a configured registry token, which has no known lifetime). */
export interface TokenGrant {
  token: string;
  /** Seconds, as the server sent it (absent: unknown; the spec's default is 60). */
  expiresIn?: number;
  /** RFC 3339 as the server sent it (absent: count from receipt). */
  issuedAt?: string;
  refreshToken?: string;
  /** True when `token` is a configured registry token used as it is. */
  registryToken?: boolean;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

interface HostAuthState {
  scheme?: 'basic' | 'bearer';
  realm?: string;
  service?: string;
}

export interface AuthTarget {
  /** `host[:port]` */
  host: string;
  scheme: 'http' | 'https';
  /** Repository path (for credential lookup by path). */
  repository?: string;
}

/**
 * Supplies credentials for a registry host (+ repository); undefined = anonymous. `identity`, when
 * set, is the consumer identity the function looks up; auth errors name it (never the secret).
 */
export type CredentialFunction = ((target: AuthTarget, options?: { signal?: AbortSignal }) => Promise<Credentials | undefined>) & {
  readonly identity?: Identity;
};

export interface AuthorizeOptions {
  signal?: AbortSignal;
  /** Use the OAuth2 password grant (POST) for username/password; falls back to GET on 404. */
  oauth2?: boolean;
}

export class Authenticator {
  readonly #transport: HttpTransport;
  readonly #credentials: CredentialFunction;
  readonly #hosts = new Map<string, HostAuthState>();
  readonly #tokens = new Map<string, CachedToken>();
  readonly #refreshTokens = new Map<string, string>();
  readonly #oauth2: boolean;
  readonly #identity: Identity | undefined;

  constructor(transport: HttpTransport, credentials: CredentialFunction, options: { oauth2?: boolean; identity?: Identity } = {}) {
    this.#transport = transport;
    this.#credentials = credentials;
    this.#oauth2 = options.oauth2 ?? false;
    this.#identity = options.identity ?? credentials.identity;
  }

  /** The Authorization header to send preemptively, if the host's scheme is already known. */
  async headerFor(target: AuthTarget, scopes: readonly string[], signal?: AbortSignal): Promise<string | undefined> {
    const st = this.#hosts.get(target.host);
    if (!st?.scheme) return undefined;
    if (st.scheme === 'basic') return this.#basic(target, signal);
    return this.#bearer(target, st, scopes, false, signal);
  }

  /**
   * Handles a 401: records the challenge and returns the header to retry with, or throws
   * UNAUTHORIZED / FORBIDDEN when retrying cannot help.
   */
  async onUnauthorized(
    target: AuthTarget,
    wwwAuthenticate: readonly string[],
    scopes: readonly string[],
    sentAuthorization: string | undefined,
    signal?: AbortSignal,
  ): Promise<string> {
    const challenges = parseChallenges(wwwAuthenticate);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer?.params.realm) {
      const st: HostAuthState = { scheme: 'bearer', realm: bearer.params.realm, service: bearer.params.service };
      this.#hosts.set(target.host, st);
      const wanted = mergeScopes([...scopes, ...(bearer.params.scope ?? '').split(' ').filter(Boolean)]);
      // A rejected or under-scoped token: fetch a fresh one (the caller bounds the rounds).
      if (sentAuthorization?.startsWith('Bearer ')) return this.#bearer(target, st, wanted, true, signal);
      return this.#bearer(target, st, wanted, false, signal);
    }
    if (basic) {
      this.#hosts.set(target.host, { scheme: 'basic' });
      const h = await this.#basic(target, signal);
      if (!h) throw this.#unauthorized(target, 'none');
      if (h === sentAuthorization) throw this.#unauthorized(target, 'rejected');
      return h;
    }
    throw this.#unauthorized(target, 'unsupported');
  }

  /** The final error after the bounded auth rounds still end in 401. */
  async finalError(target: AuthTarget, wwwAuthenticate: readonly string[], scopes: readonly string[], signal?: AbortSignal): Promise<OcmError> {
    const c = parseChallenges(wwwAuthenticate).find((x) => x.scheme === 'bearer');
    const creds = await this.#credentials(target, { signal });
    if (!creds) return this.#unauthorized(target, 'none');
    if (c?.params.error === 'insufficient_scope') return this.#forbidden(target, mergeScopes(scopes));
    return this.#unauthorized(target, 'rejected');
  }

  /** `identity k=v,...` and the command that shows what it resolves to; the target when no identity is known. */
  #lookup(target: AuthTarget): { what: string; check: string } {
    const id = this.#identity;
    if (!id) return { what: `${target.host}${target.repository ? `/${target.repository}` : ''}`, check: 'check the credentials configured for this registry' };
    const ref = `${id.scheme ? `${id.scheme}://` : ''}${target.host}${id.path ? `/${id.path}` : ''}`;
    return { what: `identity ${formatIdentity(id)}`, check: `check them with: ocm get credentials --for ${ref}` };
  }

  #unauthorized(target: AuthTarget, why: 'none' | 'rejected' | 'unsupported'): OcmError {
    const { what, check } = this.#lookup(target);
    const message =
      why === 'none'
        ? `registry ${target.host} requires authentication and no credentials were found for ${what} (configure them in .ocmconfig; ${check})`
        : why === 'rejected'
          ? `registry ${target.host} rejected the credentials for ${what} (wrong username or password? ${check})`
          : `registry ${target.host} requires authentication with no supported challenge (${what})`;
    return new OcmError(ErrorCode.UNAUTHORIZED, message, { details: { host: target.host, ...(this.#identity ? { identity: formatIdentity(this.#identity) } : {}) } });
  }

  #forbidden(target: AuthTarget, scopes: readonly string[]): OcmError {
    const { what, check } = this.#lookup(target);
    return new OcmError(
      ErrorCode.FORBIDDEN,
      `registry ${target.host}: the credentials for ${what} do not grant ${scopes.join(' ')}; ask for push rights or use other credentials (${check})`,
      { details: { host: target.host, scopes, ...(this.#identity ? { identity: formatIdentity(this.#identity) } : {}) } },
    );
  }

  /**
   * One token request for a known Bearer challenge, outside the client's token cache (for the
   * credential helpers, which hand the token to another program): the stored credentials go to
   * the realm under the same rules as `onUnauthorized` (§F.2: no HTTPS → plain-HTTP downgrade), a
   * refresh/identity token uses the OAuth2 POST, `oauth2` also the password grant (GET on 404). A
   * registry token (`accessToken`) is returned as it is, without a request.
   */
  async exchangeToken(
    target: AuthTarget,
    challenge: { realm: string; service?: string },
    scopes: readonly string[],
    options: { signal?: AbortSignal; oauth2?: boolean } = {},
  ): Promise<TokenGrant> {
    const creds = await this.#credentials(target, { signal: options.signal });
    if (creds?.accessToken) return { token: creds.accessToken, registryToken: true };
    const st: HostAuthState = { scheme: 'bearer', realm: challenge.realm, service: challenge.service };
    return this.#fetchToken(st, creds, mergeScopes(scopes), target, options.signal, options.oauth2);
  }

  /** Forgets cached tokens that a 401 showed to be stale. */
  invalidate(target: AuthTarget, scopes: readonly string[]): void {
    const st = this.#hosts.get(target.host);
    if (st) this.#tokens.delete(this.#tokenKey(st, target, mergeScopes(scopes)));
  }

  async #basic(target: AuthTarget, signal?: AbortSignal): Promise<string | undefined> {
    const c = await this.#credentials(target, { signal });
    if (c?.username !== undefined && c.password !== undefined) {
      return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
    }
    if (c?.auth) return `Basic ${c.auth}`;
    return undefined;
  }

  #tokenKey(st: HostAuthState, target: AuthTarget, scopes: readonly string[]): string {
    return JSON.stringify([target.host, target.repository ?? '', st.realm, st.service, [...scopes].sort()]);
  }

  async #bearer(target: AuthTarget, st: HostAuthState, scopes: readonly string[], force: boolean, signal?: AbortSignal): Promise<string> {
    const merged = mergeScopes(scopes);
    const key = this.#tokenKey(st, target, merged);
    const cached = this.#tokens.get(key);
    if (!force && cached && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
    const creds = await this.#credentials(target, { signal });
    if (creds?.accessToken) return `Bearer ${creds.accessToken}`;
    const { token, expiresIn, refreshToken } = await this.#fetchToken(st, creds, merged, target, signal);
    if (refreshToken) this.#refreshTokens.set(`${st.realm}|${st.service}`, refreshToken);
    // Clamp below 60 s up to 60 s (distribution's client does the same); renew 10 s early.
    const life = Math.max(60, expiresIn ?? 60) * 1000 - 10_000;
    this.#tokens.set(key, { token, expiresAt: Date.now() + life });
    return `Bearer ${token}`;
  }

  async #fetchToken(
    st: HostAuthState,
    creds: Credentials | undefined,
    scopes: readonly string[],
    target: AuthTarget,
    signal?: AbortSignal,
    oauth2 = this.#oauth2,
  ): Promise<TokenGrant> {
    const realm = st.realm!;
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new OcmError(ErrorCode.REGISTRY_ERROR, `registry ${target.host} sent an invalid token realm (not a URL); is this a registry?`);
    }
    if (realmUrl.protocol !== 'https:' && realmUrl.protocol !== 'http:') {
      throw new OcmError(ErrorCode.REGISTRY_ERROR, `token realm ${redact(realm)} has unsupported scheme`);
    }
    // The registry's credentials go to its token realm, also on another origin: that is how token
    // auth works (Docker Hub: registry-1.docker.io -> auth.docker.io) and what docker/distribution
    // and containerd do. What we refuse is a downgrade (spec §F.2): an HTTPS registry whose realm is
    // plain HTTP would put the password on the wire in clear. The realm comes from a registry we
    // already chose to trust with these credentials; a 401 from any other origin is never taken as
    // a challenge (RegistryClient.send), so only the registry itself can name the realm.
    if (creds && realmUrl.protocol === 'http:' && target.scheme === 'https' && !sameOrigin(realmUrl, `${target.scheme}://${target.host}`)) {
      throw new OcmError(
        ErrorCode.REGISTRY_ERROR,
        `registry ${target.host} (HTTPS) named a plain-HTTP token realm ${redact(realm)}; refusing to send credentials there unencrypted`,
        { details: { host: target.host } },
      );
    }
    const refresh = creds?.identityToken ?? creds?.refreshToken ?? this.#refreshTokens.get(`${st.realm}|${st.service}`);
    const usePost = refresh !== undefined || (oauth2 && creds?.username !== undefined);
    if (usePost) {
      const form = new URLSearchParams();
      if (refresh !== undefined) {
        form.set('grant_type', 'refresh_token');
        form.set('refresh_token', refresh);
      } else {
        form.set('grant_type', 'password');
        form.set('username', creds!.username!);
        form.set('password', creds!.password ?? '');
        form.set('access_type', 'offline');
      }
      if (st.service) form.set('service', st.service);
      form.set('client_id', 'ocm-ts');
      if (scopes.length) form.set('scope', scopes.join(' '));
      const res = await this.#transport.send({
        method: 'POST',
        url: realm,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
        secretBody: true,
        signal,
      });
      if (res.status !== 404) return this.#tokenResponse(res, realm, target);
      await res.body.dump().catch(() => undefined);
      // 404: the token server has no OAuth2 endpoint; fall back to GET.
    }
    const u = new URL(realm);
    if (st.service) u.searchParams.set('service', st.service);
    for (const s of scopes) u.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (creds?.username !== undefined && creds.password !== undefined) {
      u.searchParams.set('account', creds.username);
      headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    const res = await this.#transport.send({ method: 'GET', url: u.href, headers, signal });
    return this.#tokenResponse(res, realm, target);
  }

  async #tokenResponse(
    res: Awaited<ReturnType<HttpTransport['send']>>,
    realm: string,
    target: AuthTarget,
  ): Promise<TokenGrant> {
    if (res.status === 401 || res.status === 403) {
      await errorSummary(res);
      const { what, check } = this.#lookup(target);
      throw new OcmError(
        ErrorCode.UNAUTHORIZED,
        `token server ${redact(realm)} of registry ${target.host} rejected the credentials for ${what} (wrong username or password? ${check})`,
        { details: { status: res.status, host: target.host, ...(this.#identity ? { identity: formatIdentity(this.#identity) } : {}) } },
      );
    }
    if (res.status !== 200) {
      const { text } = await errorSummary(res);
      throw new OcmError(ErrorCode.REGISTRY_ERROR, `token server ${redact(realm)} answered ${res.status}${text ? `: ${text}` : ''}`, {
        details: { status: res.status },
      });
    }
    const raw = await readAllBounded(res.body, Limits.tokenResponse, 'token response');
    const parsed = parseJsonAnswer<{ token?: string; access_token?: string; expires_in?: number; issued_at?: string; refresh_token?: string }>(
      res,
      raw,
      `a token (token server of registry ${target.host})`,
      'is the token realm right?',
    );
    const token = parsed.token ?? parsed.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new OcmError(ErrorCode.REGISTRY_ERROR, `token server ${redact(realm)} sent no token`);
    }
    return {
      token,
      expiresIn: typeof parsed.expires_in === 'number' ? parsed.expires_in : undefined,
      ...(typeof parsed.issued_at === 'string' ? { issuedAt: parsed.issued_at } : {}),
      refreshToken: parsed.refresh_token,
    };
  }
}

/** Merges scopes for the same resource (`repository:x:pull` + `repository:x:push` → `repository:x:pull,push`). */
export function mergeScopes(scopes: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const s of scopes) {
    const last = s.lastIndexOf(':');
    if (last <= 0) continue;
    const res = s.slice(0, last);
    const set = byResource.get(res) ?? new Set<string>();
    for (const a of s.slice(last + 1).split(',')) if (a) set.add(a);
    byResource.set(res, set);
  }
  return [...byResource.entries()].map(([r, a]) => `${r}:${[...a].sort().join(',')}`).sort();
}

export { header, headerAll };
