/**
 * The credential graph: resolution (spec §2.2) and its explanation. Order of precedence:
 * 1. a configured identity whose string equals the lookup's (Go: exact hit);
 * 2. otherwise the most specific matching configured identity (Go picks at random here; we
 *    choose deterministically, see README "Deterministic choice");
 * 3. only when nothing matched: the credential repositories (DockerConfig/v1 for OCIRegistry),
 *    all consulted in parallel, the first in config order that answers wins;
 * 4. nothing → `undefined` (anonymous access), never an error.
 */
import { existsSync } from 'node:fs';
import type { CredentialResolver, Credentials } from '../runtime/credentials-types.js';
import { formatIdentity, type Identity } from '../runtime/identity.js';
import { ErrorCode, OcmError, throwIfAborted } from '../runtime/errors.js';
import { silentLogger, type Logger } from '../runtime/logger.js';
import { typeKey, type TypeRegistry } from '../runtime/type-registry.js';
import type { OcmConfig } from '../config/load.js';
import { dockerConfigPath, openDockerConfig, type DockerConfigStore } from './docker-config.js';
import { bucketKey, candidates, completeIngest, ingestFinish, ingestStart, moreSpecific, type CredentialPlugin, type Ingested, type Origin, type RepositoryEntry, type RepositoryPlugin, type Vertex } from './ingest.js';
import { identityString, matchIdentity, mismatch } from './match.js';
import { DIRECT_CREDENTIALS_TYPE, DOCKER_CONFIG_TYPE } from './typed.js';

export type { CredentialPlugin, RepositoryPlugin } from './ingest.js';

export interface CredentialGraphOptions {
  /** Environment for $HOME, $DOCKER_CONFIG, OCM_DISABLE_AUTO_CONFIG and helper processes. */
  env?: NodeJS.ProcessEnv;
  /** Credential plugins by credential type (indirect credentials). */
  credentialPlugins?: Readonly<Record<string, CredentialPlugin>>;
  /** Credential repository plugins by repository type (besides the built-in DockerConfig/v1). */
  repositoryPlugins?: Readonly<Record<string, RepositoryPlugin>>;
  /**
   * Use the default docker config when no config file was found (Go's first-start
   * auto-configuration, without writing a file). Default: true unless the config was explicit,
   * files were loaded, or OCM_DISABLE_AUTO_CONFIG is truthy.
   */
  autoDockerConfig?: boolean;
  /** Timeout per docker credential helper run (default 30 s). */
  helperTimeoutMs?: number;
  logger?: Logger;
  /** Where credential and credential-repository types are looked up (default: the process-wide registry). */
  types?: TypeRegistry;
}

export interface ExplainedEntry {
  identity: Identity;
  source?: string;
  where: string;
  /** Why it does not match (absent when it matches). */
  reason?: string;
}

export interface Explanation {
  lookup: Identity;
  /** `consumer`: a configured consumer answered; `repository`: a fallback did; `none`: anonymous. */
  outcome: 'consumer' | 'repository' | 'none';
  /** The consumer entry that answered (outcome `consumer`). */
  matched?: ExplainedEntry & { how: 'exact' | 'match'; rule?: string };
  /** Other matching entries that lost the deterministic tie-break. */
  alsoMatched: ExplainedEntry[];
  /** Configured entries of the same type that did not match, with the reason (at most 20). */
  nearMisses: ExplainedEntry[];
  /** Repositories consulted (outcome `repository` or `none`). */
  repositories: { type: string; source?: string; where: string; result: 'found' | 'nothing' | 'error' | 'not applicable'; detail: string }[];
  /** Type of the credential that answered (e.g. Credentials/v1, OCICredentials/v1, DockerConfig/v1). */
  credentialType?: string;
  /** The credentials themselves; callers must redact before printing. */
  credentials?: Credentials;
}

export interface CredentialGraph extends CredentialResolver {
  explain(identity: Identity, options?: { signal?: AbortSignal }): Promise<Explanation>;
  /** Secret-free warnings found while building the graph. */
  readonly warnings: readonly string[];
}

const FALSE_VALUES = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

function autoConfigDisabled(env: NodeJS.ProcessEnv): boolean {
  const v = env.OCM_DISABLE_AUTO_CONFIG;
  return v !== undefined && v !== '' && !FALSE_VALUES.has(v);
}

/**
 * Builds the graph (validating the config: errors are CONFIG_ERROR) and returns the resolver.
 * Credential plugins that answer asynchronously (plugin processes) are asked in the background and
 * their failures surface at the first lookup; `buildCredentialGraph` waits for them instead.
 */
export function createCredentialGraph(config: OcmConfig, options: CredentialGraphOptions = {}): CredentialGraph {
  return new Graph(config, options);
}

/** Like `createCredentialGraph`, but resolves only once every credential plugin has answered (errors name the entry). */
export async function buildCredentialGraph(config: OcmConfig, options: CredentialGraphOptions = {}): Promise<CredentialGraph> {
  const g = new Graph(config, options);
  await g.ready;
  return g;
}

interface Found {
  vertex?: Vertex;
  how?: 'exact' | 'match';
  others: Vertex[];
}

class Graph implements CredentialGraph {
  private readonly g: Ingested;
  /** Settles when ingestion is complete (at once unless a credential plugin answers asynchronously). */
  readonly ready: Promise<void>;
  private readonly env: NodeJS.ProcessEnv;
  private readonly options: CredentialGraphOptions;
  private readonly logger: Logger;
  private readonly dockerStores = new Map<RepositoryEntry, Promise<DockerConfigStore | undefined>>();
  private readonly indirectCache = new Map<string, Promise<Credentials | undefined>>();
  readonly warnings: string[];

  constructor(config: OcmConfig, options: CredentialGraphOptions) {
    this.options = options;
    this.env = options.env ?? process.env;
    this.logger = options.logger ?? silentLogger;
    const started = ingestStart(config, options);
    this.g = started.graph;
    if (started.pending.length === 0) {
      ingestFinish(this.g);
      this.ready = Promise.resolve();
    } else {
      this.ready = completeIngest(started).then(() => undefined);
      this.ready.catch(() => undefined); // reported by the first lookup (or buildCredentialGraph)
    }
    // The same array: warnings found when the plugins answered appear here too.
    this.warnings = this.g.warnings;
    const auto = options.autoDockerConfig ?? (!config.explicit && (config.found ?? config.sources).length === 0 && !autoConfigDisabled(this.env));
    if (auto && this.g.repositories.length === 0) {
      const path = dockerConfigPath({}, this.env);
      if (existsSync(path)) {
        this.g.repositories.push({ type: DOCKER_CONFIG_TYPE, spec: { type: DOCKER_CONFIG_TYPE }, origin: { where: `auto-configuration (no .ocmconfig found; docker config ${path})` }, plugin: 'docker' });
      }
    }
  }

  async resolve(identity: Identity, options: { signal?: AbortSignal } = {}): Promise<Credentials | undefined> {
    requireType(identity);
    await this.ready;
    const found = this.find(identity);
    if (found.vertex) {
      if (found.others.length > 0) {
        this.logger.debug('several configured identities match; chose the most specific', { lookup: formatIdentity(identity), chosen: found.vertex.id });
      }
      return (await this.credentialsOf(found.vertex, identity, options.signal, new Set())).credentials;
    }
    return (await this.fromRepositories(identity, options.signal)).credentials;
  }

  async explain(identity: Identity, options: { signal?: AbortSignal } = {}): Promise<Explanation> {
    requireType(identity);
    await this.ready;
    const found = this.find(identity);
    const entry = (v: Vertex, reason?: string): ExplainedEntry => ({ identity: v.identity, source: v.origins[0]?.source, where: v.origins[0]?.where ?? '', ...(reason ? { reason } : {}) });
    const nearMisses = (this.g.byType.get(identity.type ?? '') ?? [])
      .filter((v) => v !== found.vertex && !found.others.includes(v))
      .slice(0, 20)
      .map((v) => entry(v, mismatch(identity, v.identity) ?? 'matches'));
    const alsoMatched = found.others.map((v) => entry(v));
    if (found.vertex) {
      const v = found.vertex;
      const r = await this.credentialsOf(v, identity, options.signal, new Set());
      const rule = found.how === 'exact' ? 'identity string equals the lookup' : found.others.length > 0 ? tieBreakReason(v, found.others) : 'the only matching entry';
      const outcome = r.credentials ? 'consumer' : 'none';
      return { lookup: identity, outcome, matched: { ...entry(v), how: found.how!, rule }, alsoMatched, nearMisses, repositories: [], credentialType: r.type, credentials: r.credentials };
    }
    const r = await this.fromRepositories(identity, options.signal);
    const outcome = r.credentials ? 'repository' : 'none';
    return { lookup: identity, outcome, alsoMatched, nearMisses, repositories: r.report, credentialType: r.type, credentials: r.credentials };
  }

  /** Exact identity-string hit, else the most specific match (ties: config order). */
  private find(identity: Identity): Found {
    const exact = this.g.byId.get(identityString(identity));
    if (exact) return { vertex: exact, how: 'exact', others: [] };
    const b = this.g.buckets.get(bucketKey(identity.type!, identity.hostname));
    if (!b) return { others: [] };
    let best: Vertex | undefined;
    const others: Vertex[] = [];
    const consider = (v: Vertex) => {
      if (!matchIdentity(identity, v.identity)) return;
      if (!best) best = v;
      else if (moreSpecific(v, best)) {
        others.push(best);
        best = v;
      } else others.push(v);
    };
    for (const list of candidates(b, identity.path)) for (const v of list) consider(v);
    return best ? { vertex: best, how: 'match', others } : { others: [] };
  }

  /** A vertex's credentials: typed beats direct; else the merged answers of its credential sources. */
  private async credentialsOf(v: Vertex, lookup: Identity, signal: AbortSignal | undefined, visiting: Set<Vertex>): Promise<{ credentials?: Credentials; type?: string }> {
    if (v.typed) return { credentials: nonEmpty(v.typed.credentials), type: v.typed.type };
    if (v.direct) return { credentials: nonEmpty(v.direct), type: DIRECT_CREDENTIALS_TYPE };
    if (v.children.length === 0) return {};
    if (visiting.has(v)) throw new OcmError(ErrorCode.CONFIG_ERROR, `credential graph: cycle through ${v.id}`);
    const cacheKey = `${v.id}\n${identityString(lookup)}`;
    let p = this.indirectCache.get(cacheKey);
    if (!p) {
      visiting.add(v);
      p = (async () => {
        let merged: Record<string, string> | undefined;
        for (const c of v.children) {
          throwIfAborted(signal);
          const src = this.find(c.identity);
          const childCreds = src.vertex ? (await this.credentialsOf(src.vertex, c.identity, signal, visiting)).credentials : undefined;
          let got: Credentials | undefined;
          try {
            got = await c.plugin.resolve(c.identity, childCreds, { lookup, signal });
          } catch (e) {
            if (e instanceof OcmError) throw e;
            throw new OcmError(ErrorCode.CREDENTIAL_ERROR, `credential source ${c.id} (type ${c.type}) failed for consumer ${v.id}`, { cause: e });
          }
          if (got) merged = { ...(merged ?? {}), ...got };
        }
        return merged ? nonEmpty(merged) : undefined;
      })();
      p.catch(() => this.indirectCache.delete(cacheKey));
      this.indirectCache.set(cacheKey, p);
    }
    return { credentials: await p, type: DIRECT_CREDENTIALS_TYPE };
  }

  private async fromRepositories(identity: Identity, signal?: AbortSignal): Promise<{ credentials?: Credentials; type?: string; report: Explanation['repositories'] }> {
    const type = identity.type!;
    // Identity types compare like type names (`OCIRegistry` ≡ `OCIRegistry/v1`), `*` only literally.
    const sameType = (a: string, b: string) => a === b || (a !== '*' && b !== '*' && typeKey(a).toLowerCase() === typeKey(b).toLowerCase());
    const serves = (r: RepositoryEntry, t: string) => (r.plugin === 'docker' ? t === 'OCIRegistry' : r.plugin.consumerTypes.some((ct) => sameType(ct, t)));
    let repos = this.g.repositories.filter((r) => serves(r, type));
    if (repos.length === 0) repos = this.g.repositories.filter((r) => serves(r, '*'));
    const report: Explanation['repositories'] = this.g.repositories
      .filter((r) => !repos.includes(r))
      .map((r) => ({ type: r.type, source: r.origin.source, where: r.origin.where, result: 'not applicable' as const, detail: `does not serve consumer type ${type}` }));
    if (repos.length === 0) return { report };
    // All in parallel; the earliest in config order that answers wins (deterministic).
    const runs = repos.map((r) => this.askRepository(r, identity, signal).then((x) => ({ ok: true as const, ...x }), (e: unknown) => ({ ok: false as const, error: e })));
    const errors: unknown[] = [];
    let winner: { credentials?: Credentials; type?: string } | undefined;
    for (let i = 0; i < repos.length; i++) {
      const r = repos[i]!;
      const res = await runs[i]!;
      const row = { type: r.type, source: r.origin.source, where: r.origin.where };
      if (!res.ok) {
        errors.push(res.error);
        report.push({ ...row, result: 'error', detail: (res.error as Error).message });
      } else if (res.credentials && !winner) {
        winner = { credentials: res.credentials, type: r.plugin === 'docker' ? DOCKER_CONFIG_TYPE : r.type };
        report.push({ ...row, result: 'found', detail: res.via });
      } else report.push({ ...row, result: 'nothing', detail: res.via });
      if (winner) break;
    }
    if (winner) return { ...winner, report };
    if (errors.length === 1 && errors[0] instanceof OcmError) throw errors[0];
    if (errors.length > 0) {
      throw new OcmError(ErrorCode.CREDENTIAL_ERROR, `credential repositories failed for ${formatIdentity(identity)}: ${errors.map((e) => (e as Error).message).join('; ')}`, { cause: errors[0] });
    }
    return { report };
  }

  private async askRepository(r: RepositoryEntry, identity: Identity, signal?: AbortSignal): Promise<{ credentials?: Credentials; via: string }> {
    if (r.plugin === 'docker') {
      let store = this.dockerStores.get(r);
      if (!store) {
        store = openDockerConfig(r.spec, this.env, { timeoutMs: this.options.helperTimeoutMs });
        this.dockerStores.set(r, store);
      }
      const s = await store;
      if (!s) return { via: `docker config ${dockerConfigPath(r.spec, this.env)} does not exist` };
      const res = await s.lookup(identity, signal);
      return { credentials: res.credentials ? nonEmpty(res.credentials) : undefined, via: res.via };
    }
    const ownId = await r.plugin.consumerIdentity?.(r.spec, signal ? { signal } : {});
    // A repository's own credentials come from consumers only, never from another repository (as Go).
    const own = ownId && ownId.type ? this.find(ownId) : undefined;
    const ownCreds = own?.vertex ? (await this.credentialsOf(own.vertex, ownId!, signal, new Set())).credentials : undefined;
    const got = await r.plugin.resolve(r.spec, identity, ownCreds, { signal });
    return { credentials: got ? nonEmpty(got) : undefined, via: got ? `${r.type} answered` : `${r.type} had nothing` };
  }
}

function nonEmpty(c: Credentials): Credentials | undefined {
  return Object.keys(c).length > 0 ? c : undefined;
}

function requireType(identity: Identity): void {
  if (!identity.type) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `credential lookup for ${formatIdentity(identity) || '{}'} has no "type"; every lookup identity needs one (e.g. type=OCIRegistry)`);
  }
}

function tieBreakReason(v: Vertex, others: Vertex[]): string {
  const o = others[0]!;
  let why: string;
  if (v.pathLiteral !== o.pathLiteral) why = o.pathLiteral < 0 ? 'it has a path' : 'longer literal path';
  else if (v.wildcards !== o.wildcards) why = 'fewer wildcards';
  else if (v.urlAttrs !== o.urlAttrs) why = 'explicit scheme/port';
  else why = 'earlier in config order';
  return `${others.length + 1} entries match; most specific wins (${why}); Go would pick one at random`;
}

export type { Origin };
