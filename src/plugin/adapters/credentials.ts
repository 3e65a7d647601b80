/**
 * `credentialPlugin` and `credentialRepository` capabilities as credential-graph types (spec §2.7,
 * §3.5, §3.7). A plugin credential type becomes a `credential` registration of form `plugin`; a
 * plugin repository type a `credential-repository` registration — reachable from `.ocmconfig`
 * `repositories:`, unlike in Go. The graph decides which identity a plugin is asked about and which
 * credentials it gets: only those configured for the identity the plugin itself returned.
 */
import type { Credentials } from '../../runtime/credentials-types.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { Identity } from '../../runtime/identity.js';
import type { TypeRegistry } from '../../runtime/type-registry.js';
import type { CredentialPlugin, RepositoryPlugin } from '../../credentials/ingest.js';
import { CREDENTIAL_KIND, CREDENTIAL_REPOSITORY_KIND } from '../../credentials/typed.js';
import type { PluginConnection } from '../types.js';

/** The adapter of a `credentialPlugin` type (loaded on first use; registered by ./index.ts). */
export function credentialPluginAdapter(registry: TypeRegistry, conn: PluginConnection): CredentialPlugin {
  return {
    async consumerIdentity(credential) {
      registry.validate(CREDENTIAL_KIND, credential as { type: string });
      return bareIdentity(await conn.call({ method: 'POST', path: '/consumer-identity', body: { credential } }), conn, '/consumer-identity');
    },
    async resolve(identity, credentials, options) {
      // The identity the plugin returned at ingestion (it carries what the plugin needs, spec §2.7),
      // with the credentials configured for it: the plugin's own, nothing else.
      const answer = await conn
        .call({
          method: 'POST',
          path: '/resolve',
          body: { identity },
          ...(credentials ? { credentials } : {}),
          noCredentials: 'omit',
          ...(options.signal ? { signal: options.signal } : {}),
        })
        .catch((e: unknown) => {
          // The consumer names this plugin for its credentials: a secret it cannot find is a credential problem.
          if (notFound(e)) throw new OcmError(ErrorCode.CREDENTIAL_ERROR, `${(e as Error).message} (check the credential entry that uses plugin "${conn.id}")`, { cause: e });
          throw e;
        });
      return flattenCredentials(answer, conn, '/resolve');
    },
  };
}

/** The adapter of a `credentialRepository` spec type (loaded on first use; registered by ./index.ts). */
export function repositoryPluginAdapter(registry: TypeRegistry, conn: PluginConnection, consumerTypes: readonly string[]): RepositoryPlugin {
  return {
    consumerTypes,
    async consumerIdentity(config, options = {}) {
      registry.validate(CREDENTIAL_REPOSITORY_KIND, config as { type: string });
      const answer = await conn.call({ method: 'POST', path: '/consumer-identity', body: { config }, ...(options.signal ? { signal: options.signal } : {}) });
      // A repository that needs no credentials of its own answers with an empty identity.
      if (answer === undefined || answer === null || (isRecord(answer) && Object.keys(answer).length === 0)) return undefined;
      return bareIdentity(answer, conn, '/consumer-identity');
    },
    async resolve(config, identity, credentials, options) {
      registry.validate(CREDENTIAL_REPOSITORY_KIND, config as { type: string });
      const answer = await conn
        .call({
          method: 'POST',
          path: '/resolve',
          body: { config, identity },
          ...(credentials ? { credentials } : {}),
          noCredentials: 'omit',
          ...(options.signal ? { signal: options.signal } : {}),
        })
        .catch((e: unknown) => {
          // A repository that holds nothing for this identity: no credentials, not an error.
          if (notFound(e)) return undefined;
          throw e;
        });
      return flattenCredentials(answer, conn, '/resolve');
    },
  };
}

/** A plugin's 404: the thing asked for does not exist there. */
function notFound(e: unknown): boolean {
  return e instanceof OcmError && e.code === ErrorCode.PLUGIN_ERROR && e.details.status === 404;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function badAnswer(conn: PluginConnection, path: string, what: string): OcmError {
  return new OcmError(ErrorCode.PLUGIN_ERROR, `plugin "${conn.id}" answered ${path} with ${what}`, { details: { plugin: conn.id, endpoint: path } });
}

/** `/consumer-identity` answers a bare identity map (string values; numbers are accepted as strings). */
function bareIdentity(answer: unknown, conn: PluginConnection, path: string): Identity {
  if (!isRecord(answer)) throw badAnswer(conn, path, 'something that is not an identity (a JSON object of strings)');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(answer)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (v !== null && v !== undefined) throw badAnswer(conn, path, `an identity whose attribute "${k}" is not a string`);
  }
  if (!out.type) throw badAnswer(conn, path, 'an identity without "type"');
  return out;
}

/**
 * Typed credential JSON → flat credentials: `{type: Credentials/v1, properties}` → the properties;
 * any other typed form (or a bare map, as Go's repository contract returns) → its string fields
 * without `type`. Empty → undefined (no credentials). Values never reach messages.
 */
export function flattenCredentials(answer: unknown, conn: PluginConnection, path: string): Credentials | undefined {
  if (answer === undefined || answer === null) return undefined;
  if (!isRecord(answer)) throw badAnswer(conn, path, 'something that is not a credential object');
  const type = typeof answer.type === 'string' ? answer.type : undefined;
  const direct = type !== undefined && /^(Credentials|DirectCredentials)(\/v1)?$/i.test(type);
  const src = direct ? answer.properties : answer;
  if (src === undefined || src === null) return undefined;
  if (!isRecord(src)) throw badAnswer(conn, path, `${type} credentials whose properties are not a map`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(src)) {
    if (!direct && k === 'type') continue;
    if (typeof v === 'string') out[k] = v;
    else if (v !== null && v !== undefined) throw badAnswer(conn, path, `credentials whose property "${k}" is not a string`);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
