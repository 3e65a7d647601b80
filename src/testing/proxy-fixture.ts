/**
 * Test-only building blocks for the registry proxy: connectors for test registries, a small
 * `AccessControl` (tokens in memory, globs like the real one's: `*` one segment, `**` any depth),
 * a real session whose credentials come from an in-memory `.ocmconfig` (or a switchable resolver
 * for rotation tests), and a `startProxy` wrapper bound to 127.0.0.1:0.
 */
import { configFromDocuments } from '../config/load.js';
import type { Credentials } from '../runtime/credentials-types.js';
import type { Identity } from '../runtime/identity.js';
import { createSession, type Session } from '../session/session.js';
import { startProxy } from '../proxy/server.js';
import type { AccessControl, AccessRule, Connector, ProxyPrincipal, ProxyServerOptions, ProxyState, RunningProxy } from '../proxy/types.js';

export function testConnector(name: string, upstreamUrl: string, extra: Partial<Connector> = {}): Connector {
  const u = new URL(upstreamUrl);
  return {
    name,
    address: upstreamUrl,
    upstream: { scheme: u.protocol === 'https:' ? 'https' : 'http', host: u.host },
    upstreamIdentity: { type: 'OCIRegistry', hostname: u.hostname, ...(u.port ? { port: u.port } : {}) },
    access: [{ clients: ['*', 'anonymous'], repositories: ['**'], actions: ['pull', 'push', 'delete'] }],
    ...extra,
  };
}

function globToRegExp(glob: string): RegExp {
  const re = glob
    .split(/(\*\*|\*)/)
    .map((p) => (p === '**' ? '.*' : p === '*' ? '[^/]*' : p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`);
}

/** Clients by name → token; no clients = no client auth (anonymous everywhere the rules allow). */
export function testAccess(clients: Record<string, string> = {}): AccessControl {
  const byToken = new Map(Object.entries(clients).map(([name, token]) => [token, name]));
  const authRequired = byToken.size > 0;
  return {
    authRequired,
    authenticate(authorization: string | undefined): ProxyPrincipal | undefined {
      if (!authorization) return { kind: 'anonymous' };
      let token: string | undefined;
      const basic = /^Basic\s+(.+)$/i.exec(authorization);
      if (basic) {
        const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
        token = decoded.slice(decoded.indexOf(':') + 1);
      }
      const bearer = /^Bearer\s+(.+)$/i.exec(authorization);
      if (bearer) token = bearer[1];
      const name = token ? byToken.get(token) : undefined;
      return name ? { kind: 'client', name } : undefined;
    },
    authorize(who: ProxyPrincipal, connector: Connector, repository: string, action): boolean {
      const me = who.kind === 'client' ? who.name : 'anonymous';
      if (who.kind === 'anonymous' && authRequired) return false;
      return connector.access.some(
        (r: AccessRule) =>
          r.actions.includes(action) &&
          r.clients.some((c) => c === me || (c === '*' && who.kind === 'client') || (c === 'anonymous' && !authRequired && who.kind === 'anonymous')) &&
          r.repositories.some((g) => globToRegExp(g).test(repository)),
      );
    },
    challenge: () => 'Basic realm="ocm-proxy"',
  };
}

/** A mutable state source: tests swap `state` to simulate a reload. */
export function testState(connectors: Connector[], access: AccessControl = testAccess()): { state: ProxyState; current(): ProxyState } {
  const src = {
    state: { connectors: new Map(connectors.map((c) => [c.name, c])), access } as ProxyState,
    current: () => src.state,
  };
  return src;
}

/** A real session with `Credentials/v1` entries for `OCIRegistry` identities of the given `host:port`s. */
export function sessionWithCredentials(creds: Record<string, { username: string; password: string }>): Session {
  const consumers = Object.entries(creds).map(([hostPort, c]) => {
    const [hostname, port] = hostPort.split(':');
    return {
      identity: { type: 'OCIRegistry', hostname, ...(port ? { port } : {}) },
      credentials: [{ type: 'Credentials/v1', properties: { username: c.username, password: c.password } }],
    };
  });
  return createSession({ config: configFromDocuments([{ type: 'credentials.config.ocm.software', consumers }], 'test.ocmconfig'), env: {} });
}

/** A session whose credentials come from a function (for rotation tests). */
export function sessionFrom(resolve: (identity: Identity) => Credentials | undefined): Session {
  const base = createSession({ config: configFromDocuments([], 'empty'), env: {} });
  return Object.assign(Object.create(base) as Session, { credentials: { resolve: async (id: Identity) => resolve(id) } });
}

export async function startTestProxy(options: Omit<ProxyServerOptions, 'listen'> & { listen?: string }): Promise<RunningProxy & { url: string }> {
  const p = await startProxy({ listen: '127.0.0.1:0', ...options });
  return Object.assign(p, { url: `http://${p.address}` });
}
