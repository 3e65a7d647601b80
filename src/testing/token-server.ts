/**
 * Test-only Docker/distribution token server (test-peers.md §3): ES256 JWTs with an `x5c` header
 * (self-signed certificate that is also the registry's `rootcertbundle`), a string `aud`, every
 * repeated `scope` parameter honoured, GET with Basic auth and the OAuth2 POST form
 * (`grant_type=password|refresh_token`). Each user has an action policy so a pull-only user exists.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listenOnLoopback } from './loopback.js';

const execFileP = promisify(execFile);

export interface TokenUser {
  username: string;
  password: string;
  /** Repository actions this user may get (default: pull, push, delete). */
  actions?: string[];
}

/** Decides which of the requested actions a subject (undefined = anonymous) gets for a resource. */
export type TokenPolicy = (subject: string | undefined, type: string, name: string, requested: string[]) => string[];

export interface TokenServerOptions {
  service?: string;
  issuer?: string;
  users?: TokenUser[];
  /** Actions anonymous callers get on repositories (default none). */
  anonymousActions?: string[];
  /** Overrides the per-user policy entirely. */
  policy?: TokenPolicy;
  /** Token lifetime in seconds (default 300). */
  expiresIn?: number;
}

export interface TokenRequestRecord {
  method: 'GET' | 'POST';
  account?: string;
  grantType?: string;
  scopes: string[];
  authenticated: boolean;
}

export interface TokenServer {
  /** The realm URL, `http://127.0.0.1:PORT/token`. */
  realm: string;
  service: string;
  issuer: string;
  /** PEM file holding the signing certificate (the registry's rootcertbundle). */
  bundlePath: string;
  /** Every token request received, in order (for assertions about scopes). */
  requests: TokenRequestRecord[];
  stop(): Promise<void>;
}

interface Access {
  type: string;
  name: string;
  actions: string[];
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

/** Parses `type[(class)]:name:actions`; name may contain `host:port`, so split at first and last colon. */
function parseScope(s: string): Access | undefined {
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first < 0 || last <= first) return undefined;
  const type = s.slice(0, first).replace(/\(.*\)$/, '');
  return { type, name: s.slice(first + 1, last), actions: s.slice(last + 1).split(',').filter(Boolean) };
}

async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > limit) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const service = options.service ?? 'test-registry';
  const issuer = options.issuer ?? 'test-issuer';
  const users = options.users ?? [];
  const expiresIn = options.expiresIn ?? 300;
  const dir = await mkdtemp(join(tmpdir(), 'ocm-ts-token-'));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyPath = join(dir, 'key.pem');
  const bundlePath = join(dir, 'bundle.pem');
  await writeFile(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  // Node cannot create certificates; openssl is in the base image.
  await execFileP('openssl', ['req', '-x509', '-new', '-key', keyPath, '-out', bundlePath, '-days', '2', '-subj', '/CN=test-token-issuer']);
  const cert = new X509Certificate(await readFile(bundlePath));
  const x5c = cert.raw.toString('base64');

  const policy: TokenPolicy =
    options.policy ??
    ((subject, type, _name, requested) => {
      if (type !== 'repository') return [];
      const allowed = subject === undefined ? options.anonymousActions ?? [] : users.find((u) => u.username === subject)?.actions ?? ['pull', 'push', 'delete'];
      if (allowed.includes('*')) return requested;
      return requested.filter((a) => allowed.includes(a));
    });

  const refreshTokens = new Map<string, string>();
  const requests: TokenRequestRecord[] = [];

  function issue(subject: string | undefined, scopes: string[]): string {
    const now = Math.floor(Date.now() / 1000);
    const access: Access[] = [];
    for (const s of scopes) {
      const a = parseScope(s);
      if (!a) continue;
      const granted = policy(subject, a.type, a.name, a.actions);
      access.push({ type: a.type, name: a.name, actions: granted });
    }
    const header = { typ: 'JWT', alg: 'ES256', x5c: [x5c] };
    const claims = { iss: issuer, sub: subject ?? '', aud: service, exp: now + expiresIn, nbf: now - 5, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64url(sig)}`;
  }

  function checkUser(username: string | undefined, password: string | undefined): boolean {
    return users.some((u) => u.username === username && u.password === password);
  }

  function deny(res: ServerResponse, status = 401): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
  }

  function reply(res: ServerResponse, subject: string | undefined, scopes: string[], refresh: boolean): void {
    const token = issue(subject, scopes);
    const body: Record<string, unknown> = { token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString(), scope: scopes.join(' ') };
    if (refresh && subject !== undefined) {
      const rt = randomBytes(16).toString('hex');
      refreshTokens.set(rt, subject);
      body.refresh_token = rt;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/token') return deny(res, 404);
    if (req.method === 'GET') {
      const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
      const auth = req.headers.authorization;
      let subject: string | undefined;
      if (auth?.startsWith('Basic ')) {
        const dec = Buffer.from(auth.slice(6), 'base64').toString('utf8');
        const i = dec.indexOf(':');
        const u = dec.slice(0, i);
        if (!checkUser(u, dec.slice(i + 1))) {
          requests.push({ method: 'GET', account: url.searchParams.get('account') ?? undefined, scopes, authenticated: false });
          return deny(res);
        }
        subject = u;
      }
      requests.push({ method: 'GET', account: url.searchParams.get('account') ?? undefined, scopes, authenticated: subject !== undefined });
      return reply(res, subject, scopes, url.searchParams.get('offline_token') === 'true');
    }
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      const grantType = form.get('grant_type') ?? undefined;
      let subject: string | undefined;
      if (grantType === 'password') {
        if (checkUser(form.get('username') ?? undefined, form.get('password') ?? undefined)) subject = form.get('username') ?? undefined;
      } else if (grantType === 'refresh_token') {
        subject = refreshTokens.get(form.get('refresh_token') ?? '');
      }
      requests.push({ method: 'POST', grantType, scopes, authenticated: subject !== undefined });
      if (subject === undefined) return deny(res);
      const offline = form.get('access_type') === 'offline' || grantType === 'refresh_token';
      // For refresh_token grants the same refresh token is returned (C.3).
      if (grantType === 'refresh_token') {
        const token = issue(subject, scopes);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: token, scope: scopes.join(' '), expires_in: expiresIn, refresh_token: form.get('refresh_token') }));
        return;
      }
      return reply(res, subject, scopes, offline);
    }
    return deny(res, 405);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) deny(res, 400);
      else res.destroy();
    });
  });
  const port = await listenOnLoopback(server);
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    bundlePath,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Decodes a JWT's claims (no verification); for assertions in tests. */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export { parseScope };
