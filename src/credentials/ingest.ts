/**
 * Ingestion: `credentials.config.ocm.software` entries → vertices (one per identity string, as
 * Go's graph), credential edges to plugin identities, repositories. This is THE validation of the
 * credentials part of a config (`ocm get config`, `ocm get credentials` and every command run it),
 * so a broken config fails before any network traffic: malformed entries, unknown credential or
 * repository types (looked up in the type registry), self-references and cycles are CONFIG_ERRORs
 * naming the file and the entry path (e.g. `configurations[0].consumers[1].credentials[0]`).
 */
import type { Credentials } from '../runtime/credentials-types.js';
import type { Identity } from '../runtime/identity.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import type { TypeRegistry } from '../runtime/type-registry.js';
import { CREDENTIALS_CONFIG_TYPE, configEntriesOfType, type OcmConfig } from '../config/load.js';
import { compileGlob, identityString, isGlob, matchIdentity } from './match.js';
import { CREDENTIAL_KIND, CREDENTIAL_REPOSITORY_KIND, credentialTypes, knownCredentialTypes, type CredentialRepositoryImpl, type CredentialTypeImpl } from './typed.js';

/** A credential source that is itself a consumer (e.g. a vault whose access needs credentials). */
export interface CredentialPlugin {
  /**
   * The identity of the source described by this credential entry; it is looked up in the graph.
   * May answer asynchronously (a plugin process): the graph then finishes ingestion before its first lookup.
   */
  consumerIdentity(credential: Readonly<Record<string, unknown>>): Identity | Promise<Identity>;
  /** Produces the credentials, given the source identity and the credentials found for it. */
  resolve(identity: Identity, credentials: Credentials | undefined, options: { lookup: Identity; signal?: AbortSignal }): Promise<Credentials | undefined>;
}

/** A credential repository type (e.g. a secret store) consulted when no consumer matched. */
export interface RepositoryPlugin {
  /** Consumer identity types it answers for; `*` = any type (used only when no exact type serves). */
  readonly consumerTypes: readonly string[];
  /** The identity under which the repository's own credentials are configured (if it needs any). */
  consumerIdentity?(spec: Readonly<Record<string, unknown>>, options?: { signal?: AbortSignal }): Identity | undefined | Promise<Identity | undefined>;
  resolve(spec: Readonly<Record<string, unknown>>, identity: Identity, credentials: Credentials | undefined, options: { signal?: AbortSignal }): Promise<Credentials | undefined>;
}

export interface Origin {
  /** Config file, or undefined for in-memory configs. */
  source?: string;
  /** e.g. `configurations[0].consumers[2]` position in flattened order. */
  where: string;
}

export interface Vertex {
  readonly id: string;
  readonly identity: Identity;
  readonly order: number;
  readonly origins: Origin[];
  typed?: { type: string; credentials: Credentials };
  direct?: Record<string, string>;
  readonly children: { identity: Identity; id: string; type: string; plugin: CredentialPlugin }[];
  // tie-break scores (see README "Deterministic choice")
  readonly pathLiteral: number;
  readonly wildcards: number;
  readonly urlAttrs: number;
}

export interface RepositoryEntry {
  readonly type: string;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly origin: Origin;
  readonly plugin: RepositoryPlugin | 'docker';
}

/** Vertices of one (type, hostname): only these can match a lookup with that type and hostname. */
interface Bucket {
  /** Vertices with a literal (non-glob, non-empty) path, by path. */
  readonly literal: Map<string, Vertex[]>;
  /** Glob paths whose first segment is literal, by that segment (`*` never crosses `/`). */
  readonly byFirstSegment: Map<string, Vertex[]>;
  /** Vertices without path, with an empty path, or a glob in the first segment. */
  readonly any: Vertex[];
}

export function firstSegment(path: string): string {
  const i = path.indexOf('/');
  return i < 0 ? path : path.slice(0, i);
}

/** Every vertex of a bucket that could match a lookup with this path (a superset; the matcher decides). */
export function candidates(b: Bucket, path: string | undefined): Vertex[][] {
  const out: Vertex[][] = [];
  const lit = b.literal.get(path ?? '');
  if (lit) out.push(lit);
  const seg = b.byFirstSegment.get(firstSegment(path ?? ''));
  if (seg) out.push(seg);
  out.push(b.any);
  return out;
}

export interface Ingested {
  readonly vertices: Vertex[];
  readonly byId: Map<string, Vertex>;
  readonly buckets: Map<string, Bucket>;
  readonly byType: Map<string, Vertex[]>;
  readonly repositories: RepositoryEntry[];
  readonly warnings: string[];
}

export function bucketKey(type: string, hostname: string | undefined): string {
  return `${type}\u0000${hostname ?? ''}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scores(identity: Identity): { pathLiteral: number; wildcards: number; urlAttrs: number } {
  const p = identity.path;
  let pathLiteral = -1;
  let wildcards = 0;
  if (p) {
    pathLiteral = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (c === '*' || c === '?') wildcards++;
      else if (c === '[') {
        wildcards++;
        const close = p.indexOf(']', i + 2);
        i = close < 0 ? p.length : close;
      } else {
        if (c === '\\') i++;
        pathLiteral++;
      }
    }
  }
  return { pathLiteral, wildcards, urlAttrs: (identity.scheme ? 1 : 0) + (identity.port ? 1 : 0) };
}

/** True if `a` is the more specific configured identity (the deterministic tie-break). */
export function moreSpecific(a: Vertex, b: Vertex): boolean {
  if (a.pathLiteral !== b.pathLiteral) return a.pathLiteral > b.pathLiteral;
  if (a.wildcards !== b.wildcards) return a.wildcards < b.wildcards;
  if (a.urlAttrs !== b.urlAttrs) return a.urlAttrs > b.urlAttrs;
  return a.order < b.order;
}

function configError(file: string, where: string, what: string): OcmError {
  return new OcmError(ErrorCode.CONFIG_ERROR, `config file ${file}: ${where} ${what}`, { details: { file, path: where } });
}

function toIdentity(raw: unknown, where: string, file: string): Identity {
  if (!isRecord(raw)) throw configError(file, where, 'must be a mapping of attribute: value');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    // YAML users write `port: 5000`; identities are string maps, so scalars become strings.
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (v !== null && v !== undefined) throw configError(file, `${where}.${k}`, 'must be a string');
  }
  return out;
}

export interface IngestOptions {
  /** Credential plugins by credential type (registered into a graph-private registry). */
  credentialPlugins?: Readonly<Record<string, CredentialPlugin>>;
  /** Credential repository plugins by repository type (idem). */
  repositoryPlugins?: Readonly<Record<string, RepositoryPlugin>>;
  /** Where credential and credential-repository types are looked up (default: the process-wide registry). */
  types?: TypeRegistry;
}

/** The string fields a typed credential defines; a defined field with a non-string value is an error (Go's json.Unmarshal fails too). */
function typedFields(declared: readonly string[] | 'all', value: Readonly<Record<string, unknown>>, file: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  const fields = declared === 'all' ? Object.keys(value).filter((k) => k !== 'type') : declared;
  for (const f of fields) {
    const v = value[f];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw configError(file, `${where}.${f}`, 'must be a string; quote the value');
    out[f] = v;
  }
  return out;
}

/** A plugin credential entry whose source identity is still being asked for. */
interface PendingChild {
  readonly child: Vertex['children'][number];
  readonly answer: Promise<Identity>;
  readonly file: string;
  readonly where: string;
}

/** Sets a child's identity from its plugin's answer; CONFIG_ERROR naming the entry when it is unusable. */
function settleChild(child: Vertex['children'][number], identity: unknown, file: string, where: string): void {
  if (!isRecord(identity) || typeof identity.type !== 'string' || identity.type === '') {
    throw configError(file, where, `(${child.type}): the plugin returned an identity without type`);
  }
  child.identity = toIdentity(identity, where, file);
  child.id = identityString(child.identity);
}

/** A plugin's failure while ingesting an entry, naming file and entry (the plugin's own code is kept). */
function pluginEntryError(file: string, where: string, type: string, e: unknown): OcmError {
  if (e instanceof OcmError && e.code === ErrorCode.VALIDATION_FAILED) return configError(file, where, `(${type}) is invalid: ${e.message}`);
  const code = e instanceof OcmError ? e.code : ErrorCode.PLUGIN_ERROR;
  const msg = e instanceof Error ? e.message : String(e);
  return new OcmError(code, `config file ${file}: ${where} (${type}): ${msg}`, { cause: e, details: { file, path: where } });
}

/**
 * Ingests a config whose credential sources all answer synchronously (the built-ins and in-process
 * plugins); throws INTERNAL if one answers asynchronously: use `ingestAsync` then.
 */
export function ingest(config: OcmConfig, options: IngestOptions = {}): Ingested {
  const { graph, pending } = ingestStart(config, options);
  if (pending.length > 0) throw new OcmError(ErrorCode.INTERNAL, 'a credential plugin answers asynchronously: ingest with ingestAsync');
  return ingestFinish(graph);
}

/** Ingestion that waits for credential plugins asking their processes (`/consumer-identity`). */
export async function ingestAsync(config: OcmConfig, options: IngestOptions = {}): Promise<Ingested> {
  return await completeIngest(ingestStart(config, options));
}

/** Awaits the pending plugin answers (all asked concurrently; the first failure in config order wins), then checks the graph. */
export async function completeIngest(started: { graph: Ingested; pending: readonly PendingChild[] }): Promise<Ingested> {
  const settled = await Promise.allSettled(started.pending.map((p) => p.answer));
  settled.forEach((r, i) => {
    const p = started.pending[i]!;
    if (r.status === 'rejected') throw pluginEntryError(p.file, p.where, p.child.type, r.reason);
    settleChild(p.child, r.value, p.file, p.where);
  });
  return ingestFinish(started.graph);
}

export function ingestFinish(graph: Ingested): Ingested {
  checkCycles(graph);
  warnMutualMatches(graph);
  return graph;
}

/** Everything but the asynchronous plugin answers and the graph checks that need them. */
export function ingestStart(config: OcmConfig, options: IngestOptions = {}): { graph: Ingested; pending: PendingChild[] } {
  const pending: PendingChild[] = [];
  const types = credentialTypes(options.types, options);
  const vertices: Vertex[] = [];
  const byId = new Map<string, Vertex>();
  const repositories: RepositoryEntry[] = [];
  const warnings: string[] = [];

  const vertexFor = (identity: Identity, origin: Origin): Vertex => {
    const id = identityString(identity);
    let v = byId.get(id);
    if (!v) {
      v = { id, identity, order: vertices.length, origins: [], children: [], ...scores(identity) };
      vertices.push(v);
      byId.set(id, v);
    }
    v.origins.push(origin);
    return v;
  };

  configEntriesOfType(config, CREDENTIALS_CONFIG_TYPE).forEach((entry) => {
    const file = entry.source ?? '<inline>';
    const at = entry.path ? `${entry.path}.` : '';
    const consumers = entry.value.consumers ?? [];
    if (!Array.isArray(consumers)) throw configError(file, `${at}consumers`, 'must be a list');
    consumers.forEach((c: unknown, ci) => {
      const where = `${at}consumers[${ci}]`;
      if (!isRecord(c)) throw configError(file, where, 'must be a mapping with identity and credentials');
      const ids: Identity[] = [];
      if (c.identities !== undefined && c.identities !== null) {
        if (!Array.isArray(c.identities)) throw configError(file, `${where}.identities`, 'must be a list');
        c.identities.forEach((x, i) => ids.push(toIdentity(x, `${where}.identities[${i}]`, file)));
      }
      if (c.identity !== undefined && c.identity !== null) ids.push(toIdentity(c.identity, `${where}.identity`, file));
      // Go silently ignores such a consumer; it is always a mistake (e.g. a misspelled "identity").
      if (ids.length === 0) throw configError(file, where, 'has no identity; add identity: {type: ..., hostname: ...} (or identities: [...])');
      const creds = c.credentials ?? [];
      if (!Array.isArray(creds)) throw configError(file, `${where}.credentials`, 'must be a list');

      let typed: { type: string; credentials: Credentials } | undefined;
      let direct: Record<string, string> | undefined;
      const children: Vertex['children'] = [];
      creds.forEach((cr: unknown, k) => {
        const cw = `${where}.credentials[${k}]`;
        if (!isRecord(cr) || typeof cr.type !== 'string' || cr.type === '') throw configError(file, cw, 'needs a "type" (e.g. Credentials/v1)');
        const type = cr.type;
        const reg = types.find<CredentialTypeImpl>(CREDENTIAL_KIND, type);
        if (!reg) {
          throw configError(file, cw, `has an unknown credential type "${type}"; supported: ${knownCredentialTypes(types).join(', ')} (or a type provided by a plugin)`);
        }
        const impl = reg.impl;
        if (impl.form === 'plugin') {
          const child: Vertex['children'][number] = { identity: {}, id: '', type, plugin: impl.plugin };
          let answer: Identity | Promise<Identity>;
          try {
            // A plugin type's declared schema is checked here, so a bad entry never reaches the plugin.
            types.validate(CREDENTIAL_KIND, cr as { type: string });
            answer = impl.plugin.consumerIdentity(cr);
          } catch (e) {
            throw pluginEntryError(file, cw, type, e);
          }
          if (answer instanceof Promise) {
            answer.catch(() => undefined); // reported by completeIngest, in config order
            pending.push({ child, answer, file, where: cw });
          } else settleChild(child, answer, file, cw);
          children.push(child);
        } else if (impl.form === 'direct') {
          const props = cr.properties;
          if (!isRecord(props)) throw configError(file, `${cw}.properties`, `must be a mapping of name: string (${type})`);
          direct ??= {};
          for (const [pk, pv] of Object.entries(props)) {
            // Go's map[string]string rejects non-strings; coercing would also change values (YAML reads 0123 as 123).
            if (typeof pv !== 'string') throw configError(file, `${cw}.properties.${pk}`, 'must be a string; quote the value');
            direct[pk] = pv;
          }
        } else {
          // Go: only the first typed credential of a consumer is used; a second needs a plugin and fails.
          if (typed) throw configError(file, cw, `is a second typed credential (${typed.type} and ${type}); a consumer may hold only one typed credential: merge them or use Credentials/v1`);
          typed = { type: reg.type, credentials: typedFields(impl.fields, cr, file, cw) };
        }
      });
      for (const identity of ids) {
        const v = vertexFor(identity, { source: entry.source, where });
        // Same identity string in several consumers/files: direct maps merge (later wins), last typed wins.
        if (typed) v.typed = typed;
        if (direct) v.direct = { ...(v.direct ?? {}), ...direct };
        v.children.push(...children);
        if (!identity.type) warnings.push(`config file ${file}: ${where}: identity ${identityString(identity)} has no "type" and never matches a lookup`);
        if (identity.path && isGlob(identity.path) && compileGlob(identity.path) === null) {
          warnings.push(`config file ${file}: ${where}: path pattern "${identity.path}" is malformed and never matches`);
        }
      }
    });

    const repos = entry.value.repositories ?? [];
    if (!Array.isArray(repos)) throw configError(file, `${at}repositories`, 'must be a list');
    repos.forEach((r: unknown, ri) => {
      const where = `${at}repositories[${ri}]`;
      const spec = isRecord(r) ? r.repository : undefined;
      if (!isRecord(spec) || typeof spec.type !== 'string') throw configError(file, where, 'needs "repository: {type: ...}"');
      const reg = types.find<CredentialRepositoryImpl>(CREDENTIAL_REPOSITORY_KIND, spec.type);
      if (!reg) {
        const known = knownCredentialTypes(types, CREDENTIAL_REPOSITORY_KIND).join(', ');
        throw configError(file, `${where}.repository`, `has an unknown credential repository type "${spec.type}"; supported: ${known} (remove legacy HashiCorpVault/NPMConfig/GardenerConfig entries or install a plugin)`);
      }
      if (reg.impl.form === 'plugin') {
        try {
          types.validate(CREDENTIAL_REPOSITORY_KIND, spec as { type: string });
        } catch (e) {
          throw pluginEntryError(file, `${where}.repository`, spec.type, e);
        }
      }
      const origin = { source: entry.source, where };
      repositories.push({ type: spec.type, spec, origin, plugin: reg.impl.form === 'docker' ? 'docker' : reg.impl.plugin });
    });
  });

  const buckets = new Map<string, Bucket>();
  const byType = new Map<string, Vertex[]>();
  for (const v of vertices) {
    const key = bucketKey(v.identity.type ?? '', v.identity.hostname);
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { literal: new Map(), byFirstSegment: new Map(), any: [] }));
    const p = v.identity.path;
    const seg = p ? firstSegment(p) : '';
    if (p && !isGlob(p)) push(b.literal, p, v);
    else if (p && seg.length < p.length && !isGlob(seg)) push(b.byFirstSegment, seg, v);
    else b.any.push(v);
    const t = v.identity.type ?? '';
    const tl = byType.get(t);
    if (tl) tl.push(v);
    else byType.set(t, [v]);
  }
  const graph: Ingested = { vertices, byId, buckets, byType, repositories, warnings };
  return { graph, pending };
}

function push(m: Map<string, Vertex[]>, k: string, v: Vertex): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** Vertices a child identity could resolve to, in either match direction (Go adds such edges too). */
function dependencies(g: Ingested, child: Identity, childId: string): Vertex[] {
  const exact = g.byId.get(childId);
  const b = g.buckets.get(bucketKey(child.type ?? '', child.hostname));
  const out = new Set<Vertex>(exact ? [exact] : []);
  if (b) {
    const all = [...b.literal.values(), ...b.byFirstSegment.values(), b.any];
    for (const list of all) for (const v of list) if (matchIdentity(child, v.identity) || matchIdentity(v.identity, child)) out.add(v);
  }
  return [...out];
}

function checkCycles(g: Ingested): void {
  const state = new Map<Vertex, 1 | 2>();
  const stack: Vertex[] = [];
  const visit = (v: Vertex): void => {
    state.set(v, 1);
    stack.push(v);
    for (const c of v.children) {
      if (c.id === v.id) {
        throw new OcmError(ErrorCode.CONFIG_ERROR, `credential graph: consumer ${v.id} (${where(v)}) uses itself as its credential source (self reference); point it at a different identity`);
      }
      for (const d of dependencies(g, c.identity, c.id)) {
        if (d === v) {
          throw new OcmError(ErrorCode.CONFIG_ERROR, `credential graph: consumer ${v.id} (${where(v)}) needs ${c.id}, which resolves back to itself (self reference)`);
        }
        if (state.get(d) === 1) {
          const cycle = [...stack.slice(stack.indexOf(d)), d].map((x) => x.id).join(' → ');
          throw new OcmError(ErrorCode.CONFIG_ERROR, `credential graph: cycle ${cycle} (${where(v)}); a credential source may not depend on itself`);
        }
        if (!state.has(d)) visit(d);
      }
    }
    stack.pop();
    state.set(v, 2);
  };
  for (const v of g.vertices) if (v.children.length > 0 && !state.has(v)) visit(v);
}

function where(v: Vertex): string {
  const o = v.origins[0];
  return o ? `${o.source ?? '<inline>'}: ${o.where}` : 'config';
}

/** Go rejects two consumers that match each other both ways; we accept and choose, but say so. */
function warnMutualMatches(g: Ingested): void {
  for (const b of g.buckets.values()) {
    const globs = [...b.byFirstSegment.values()].flat().concat(b.any);
    const groups = [...b.literal.values(), globs.length <= 500 ? globs : []];
    for (const list of groups) {
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) {
          const a = list[i]!;
          const c = list[j]!;
          if (matchIdentity(a.identity, c.identity) && matchIdentity(c.identity, a.identity)) {
            g.warnings.push(
              `consumers ${a.id} (${where(a)}) and ${c.id} (${where(c)}) match each other; the Go CLI rejects this as a cycle, ocm-ts uses the more specific one`,
            );
          }
        }
      }
    }
  }
}

/**
 * Validates the credentials part of a config exactly as building a graph does (the one validation
 * every command and `ocm get config` share): throws CONFIG_ERROR, returns the warnings.
 */
export function validateCredentialConfig(config: OcmConfig, options: IngestOptions = {}): readonly string[] {
  return ingest(config, options).warnings;
}

/** `validateCredentialConfig` for configs using plugin credential types (their processes are asked). */
export async function validateCredentialConfigAsync(config: OcmConfig, options: IngestOptions = {}): Promise<readonly string[]> {
  return (await ingestAsync(config, options)).warnings;
}
