/**
 * `get` and `list` of docker-credential-ocm, answered by the central credentials: the consumer
 * `{type: OCIRegistry, hostname, port?}` (what users write for the Go CLI; no path, because the
 * docker protocol names only the registry), then the graph's own fallbacks (DockerConfig/v1).
 * Loaded only for `get`/`list`, so `version` and usage errors never pay for the credential graph.
 */
import type { Credentials } from '../../runtime/credentials-types.js';
import type { Identity } from '../../runtime/identity.js';
import { createSession, type Session } from '../../session/session.js';
import { CREDENTIALS_CONFIG_TYPE, configEntriesOfType } from '../../config/load.js';
import { DOCKER_HUB_HOSTS, hostKey, parseServerUrl, type ServerAddress } from './server-url.js';

export interface HelperContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal?: AbortSignal;
}

/** The docker answer shape (field names exactly as docker-credential-helpers spells them). */
export interface DockerCredentials {
  ServerURL: string;
  Username: string;
  Secret: string;
}

/** Docker's marker: Secret is an identity (OAuth2 refresh) token, not a password. */
export const TOKEN_USERNAME = '<token>';

export function sessionFor(ctx: HelperContext): Session {
  return createSession({ env: ctx.env, cwd: ctx.cwd, ...(ctx.signal ? { signal: ctx.signal } : {}) });
}

/** The lookup identities for a server, in order: Hub tries every name users write for it, `docker.io` first. */
export function lookupIdentities(a: ServerAddress): Identity[] {
  const hosts = a.hub ? DOCKER_HUB_HOSTS : [a.hostname];
  return hosts.map((hostname): Identity => (a.port ? { type: 'OCIRegistry', hostname, port: a.port } : { type: 'OCIRegistry', hostname }));
}

/**
 * Credentials → docker's pair. An identity token becomes `<token>`; username + password stay as
 * they are. A bare registry (access) token cannot be expressed in this protocol (docker would send
 * it as a password), so it counts as "not found" rather than being passed off as something else.
 */
export function toDockerPair(c: Credentials | undefined): { Username: string; Secret: string } | undefined {
  if (!c) return undefined;
  if (c.username && c.password) return { Username: c.username, Secret: c.password };
  const identityToken = c.refreshToken ?? c.identityToken ?? c.identitytoken;
  if (identityToken) return { Username: TOKEN_USERNAME, Secret: identityToken };
  return undefined;
}

/** `get`: undefined means "not found". */
export async function getCredentials(serverUrl: string, ctx: HelperContext, session: Session = sessionFor(ctx)): Promise<DockerCredentials | undefined> {
  const address = parseServerUrl(serverUrl);
  for (const identity of lookupIdentities(address)) {
    const pair = toDockerPair(await session.credentials.resolve(identity, ctx.signal ? { signal: ctx.signal } : undefined));
    if (pair) return { ServerURL: serverUrl, ...pair };
  }
  return undefined;
}

/** The list key docker clients expect for a registry: Hub under its v1 URL, others as `host[:port]`. */
export function listKey(a: ServerAddress): string {
  return a.hub ? 'https://index.docker.io/v1/' : hostKey(a);
}

/** Every OCIRegistry identity configured in .ocmconfig consumers (secret-free), in config order. */
export async function configuredRegistries(session: Session): Promise<ServerAddress[]> {
  const config = await session.config();
  const seen = new Set<string>();
  const out: ServerAddress[] = [];
  for (const entry of configEntriesOfType(config, CREDENTIALS_CONFIG_TYPE)) {
    const consumers = Array.isArray(entry.value.consumers) ? entry.value.consumers : [];
    for (const c of consumers) {
      if (typeof c !== 'object' || c === null) continue;
      const rec = c as Record<string, unknown>;
      const ids = [...(Array.isArray(rec.identities) ? rec.identities : []), rec.identity];
      for (const id of ids) {
        if (typeof id !== 'object' || id === null) continue;
        const i = id as Record<string, unknown>;
        if (typeof i.type !== 'string' || !/^OCIRegistry(\/v1)?$/.test(i.type) || typeof i.hostname !== 'string') continue;
        const port = typeof i.port === 'string' || typeof i.port === 'number' ? String(i.port) : undefined;
        let a: ServerAddress;
        try {
          a = parseServerUrl(port ? `${i.hostname.includes(':') ? `[${i.hostname}]` : i.hostname}:${port}` : i.hostname);
        } catch {
          continue; // not a registry a docker client could name
        }
        const key = listKey(a);
        if (!seen.has(key)) {
          seen.add(key);
          out.push(a);
        }
      }
    }
  }
  return out;
}

/** `list`: server → username for every configured registry that resolves to a docker pair. Never a secret. */
export async function listCredentials(ctx: HelperContext, session: Session = sessionFor(ctx)): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const a of await configuredRegistries(session)) {
    const key = listKey(a);
    const found = await getCredentials(key, ctx, session);
    if (found) out[key] = found.Username;
  }
  return out;
}
