/**
 * `connectors.config.ocm.software/v1alpha1` entries of the merged `.ocmconfig` → a `ProxyState`.
 * Go has no such type; the shape is ours (README "Registry proxy"). Every error is one CONFIG_ERROR
 * line naming the file and the entry path (e.g. `configurations[1].connectors[0].address`) and
 * never quotes a token hash or other values beyond names.
 *
 * Several entries merge in config order: connectors and clients are keyed by name, a later entry
 * replaces an earlier one of the same name (as later config files win elsewhere); a duplicate name
 * inside one entry is an error. `clientsFile`s are all read.
 */
import { open } from 'node:fs/promises';
import { configEntriesOfType, type ConfigEntry, type OcmConfig } from '../config/load.js';
import { ErrorCode, OcmError, throwIfAborted } from '../runtime/errors.js';
import type { Identity } from '../runtime/identity.js';
import { ociConsumerIdentity } from '../oci/remote/consumer-identity.js';
import { isLoopbackHost } from '../oci/remote/client.js';
import { createAccessControl, defaultAccess, parseTokenHash, repositoryGlobProblem, type ProxyClient } from './access.js';
import { CONNECTORS_CONFIG_TYPE, type AccessRule, type Connector, type ProxyAction, type ProxyState } from './types.js';

/** Connector and client names: one lower-case OCI path component. */
export const NAME_RE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ACTIONS: readonly ProxyAction[] = ['pull', 'push', 'delete'];
/** A clients file is small; this bounds a mistaken path to a huge file. */
const MAX_CLIENTS_FILE = 1024 * 1024;

export interface ParsedProxyConfig {
  connectors: Map<string, Connector>;
  clients: Map<string, ProxyClient>;
  clientsFiles: string[];
  /** Connectors whose `access` was given (the default depends on whether clients exist). */
  accessGiven: Set<string>;
}

export interface LoadedProxyState {
  state: ProxyState;
  /** Files the state came from (config files and clients files): what a watcher watches. */
  files: string[];
  /** Problems that do not stop the proxy (a rule naming a client that is not configured: it matches nobody). */
  warnings: readonly string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Where {
  readonly file: string;
  readonly path: string;
  constructor(file: string, path: string) {
    this.file = file;
    this.path = path;
  }
  at(sub: string | number): Where {
    return new Where(this.file, typeof sub === 'number' ? `${this.path}[${sub}]` : this.path ? `${this.path}.${sub}` : sub);
  }
  error(what: string): OcmError {
    return new OcmError(ErrorCode.CONFIG_ERROR, `config file ${this.file}: ${this.path || 'connectors entry'} ${what}`, { details: { file: this.file, path: this.path } });
  }
}

function str(v: unknown, w: Where, required = true): string | undefined {
  if (v === undefined || v === null) {
    if (required) throw w.error('is missing');
    return undefined;
  }
  if (typeof v !== 'string') throw w.error('must be a string');
  return v;
}

function list(v: unknown, w: Where): unknown[] {
  if (!Array.isArray(v)) throw w.error('must be a list');
  return v;
}

/** `host:port` (IPv6 as `[::1]:port`); port 0 = any free port. */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** Whether a listen address stays on this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackListen(text: string): boolean {
  const l = parseListen(text);
  return l !== undefined && isLoopbackHost(l.host);
}

/** The upstream root: `https://host[:port]` or an explicit `http://...`; no path, user, query. */
export function parseUpstreamAddress(text: string): { scheme: 'http' | 'https'; host: string } | string {
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):\/\/)?([^/?#]*)(\/?)$/.exec(text);
  if (!m) return 'must be an upstream root such as https://registry.example.com (no path, query or fragment)';
  const scheme = (m[1] ?? 'https').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return `has scheme "${m[1]}"; use https:// (or http:// for a plain-HTTP upstream)`;
  const host = m[2]!;
  if (host.includes('@')) return 'must not hold user information; put credentials into the credential config';
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host)) return 'has an invalid host[:port]';
  return { scheme, host: host.toLowerCase() };
}

function parseIdentity(v: unknown, w: Where): Identity {
  if (!isRecord(v)) throw w.error('must be a mapping of identity attributes, e.g. {type: OCIRegistry, hostname: ghcr.io}');
  const id: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw w.at(k).error('must be a string');
    id[k] = val;
  }
  if (!id.type) throw w.at('type').error('is missing (e.g. OCIRegistry)');
  return id;
}

function parseRule(v: unknown, w: Where): AccessRule {
  if (!isRecord(v)) throw w.error('must be a mapping with clients, repositories and actions');
  const clients = list(v.clients, w.at('clients')).map((c, i) => {
    const s = str(c, w.at('clients').at(i))!;
    if (s !== '*' && s !== 'anonymous' && !NAME_RE.test(s)) throw w.at('clients').at(i).error('must be a client name, * (any client) or anonymous');
    return s;
  });
  if (clients.length === 0) throw w.at('clients').error('is empty; name clients, * or anonymous');
  const repositories = list(v.repositories ?? ['**'], w.at('repositories')).map((r, i) => {
    const s = str(r, w.at('repositories').at(i))!;
    const problem = repositoryGlobProblem(s);
    if (problem) throw w.at('repositories').at(i).error(`${problem}; use e.g. team-a/** or team-a/*/app`);
    return s;
  });
  const actions = list(v.actions, w.at('actions')).map((a, i) => {
    if (typeof a !== 'string' || !(ACTIONS as readonly string[]).includes(a)) throw w.at('actions').at(i).error('must be pull, push or delete');
    return a as ProxyAction;
  });
  if (actions.length === 0) throw w.at('actions').error('is empty; use pull, push and/or delete');
  return { clients, repositories, actions };
}

function parseConnector(v: unknown, w: Where): { connector: Connector; accessGiven: boolean } {
  if (!isRecord(v)) throw w.error('must be a mapping with name and address');
  const name = str(v.name, w.at('name'))!;
  if (!NAME_RE.test(name)) throw w.at('name').error(`"${name}" is not a valid connector name; use lower-case letters and digits, separated by . _ or -`);
  const address = str(v.address, w.at('address'))!;
  const upstream = parseUpstreamAddress(address);
  if (typeof upstream === 'string') throw w.at('address').error(upstream);
  const description = str(v.description, w.at('description'), false);
  let upstreamIdentity: Identity | null;
  const uc = v.upstreamCredentials;
  if (uc === undefined || uc === null) {
    upstreamIdentity = ociConsumerIdentity({ baseUrl: address.replace(/\/$/, '') });
  } else {
    if (!isRecord(uc)) throw w.at('upstreamCredentials').error('must be {identity: {...}} or {anonymous: true}');
    const hasIdentity = uc.identity !== undefined;
    if (hasIdentity === (uc.anonymous === true)) throw w.at('upstreamCredentials').error('must hold exactly one of identity: {...} or anonymous: true');
    upstreamIdentity = hasIdentity ? parseIdentity(uc.identity, w.at('upstreamCredentials').at('identity')) : null;
  }
  const listen = str(v.listen, w.at('listen'), false);
  if (listen !== undefined && !parseListen(listen)) throw w.at('listen').error(`"${listen}" is not host:port (e.g. 127.0.0.1:5051)`);
  const accessGiven = v.access !== undefined && v.access !== null;
  const access = accessGiven ? list(v.access, w.at('access')).map((r, i) => parseRule(r, w.at('access').at(i))) : [];
  const connector: Connector = { name, address, upstream, upstreamIdentity, access, ...(description !== undefined ? { description } : {}), ...(listen !== undefined ? { listen } : {}) };
  return { connector, accessGiven };
}

function parseClient(v: unknown, w: Where): ProxyClient {
  if (!isRecord(v)) throw w.error('must be a mapping with name and tokenHash');
  const name = str(v.name, w.at('name'))!;
  if (!NAME_RE.test(name) || name === 'anonymous') throw w.at('name').error(`"${name}" is not a valid client name; use lower-case letters and digits, separated by . _ or - (not "anonymous")`);
  if (v.token !== undefined) throw w.at('token').error('is not allowed: store only the hash (tokenHash: sha256:<hex>, printed by ocm proxy token create)');
  const hash = parseTokenHash(str(v.tokenHash, w.at('tokenHash'))!);
  if (!hash) throw w.at('tokenHash').error('must be sha256:<64 lower-case hex digits> (printed by ocm proxy token create)');
  return { name, tokenSha256: hash };
}

/** Parses the entries (pure; clients files are only collected, not read). */
export function parseConnectorsEntries(entries: readonly ConfigEntry[]): ParsedProxyConfig {
  const connectors = new Map<string, Connector>();
  const accessGiven = new Set<string>();
  const clients = new Map<string, ProxyClient>();
  const clientsFiles: string[] = [];
  for (const e of entries) {
    const w = new Where(e.source ?? '<inline>', e.path ?? '');
    const v = e.value;
    const seen = new Set<string>();
    if (v.connectors !== undefined && v.connectors !== null) {
      list(v.connectors, w.at('connectors')).forEach((c, i) => {
        const { connector, accessGiven: given } = parseConnector(c, w.at('connectors').at(i));
        if (seen.has(connector.name)) throw w.at('connectors').at(i).at('name').error(`"${connector.name}" is used twice in this entry; connector names must be unique`);
        seen.add(connector.name);
        connectors.set(connector.name, connector);
        if (given) accessGiven.add(connector.name);
        else accessGiven.delete(connector.name);
      });
    }
    const seenClients = new Set<string>();
    if (v.clients !== undefined && v.clients !== null) {
      list(v.clients, w.at('clients')).forEach((c, i) => {
        const client = parseClient(c, w.at('clients').at(i));
        if (seenClients.has(client.name)) throw w.at('clients').at(i).at('name').error(`"${client.name}" is used twice in this entry; client names must be unique`);
        seenClients.add(client.name);
        clients.set(client.name, client);
      });
    }
    const cf = str(v.clientsFile, w.at('clientsFile'), false);
    if (cf !== undefined) {
      if (!cf.startsWith('/')) throw w.at('clientsFile').error(`"${cf}" must be an absolute path`);
      clientsFiles.push(cf);
    }
  }
  return { connectors, clients, clientsFiles, accessGiven };
}

/** Parses a clients file: lines `name:sha256:<hex>`; blank lines and `#` comments are skipped. */
export function parseClientsFile(text: string, file: string): ProxyClient[] {
  const out: ProxyClient[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const bad = (why: string) => new OcmError(ErrorCode.CONFIG_ERROR, `clients file ${file}: line ${i + 1} ${why}`, { details: { file, line: i + 1 } });
    const colon = line.indexOf(':');
    if (colon < 0) throw bad('must be name:sha256:<hex>');
    const name = line.slice(0, colon);
    if (!NAME_RE.test(name) || name === 'anonymous') throw bad(`has an invalid client name "${name}"`);
    const hash = parseTokenHash(line.slice(colon + 1));
    if (!hash) throw bad('must be name:sha256:<64 lower-case hex digits> (printed by ocm proxy token create)');
    if (seen.has(name)) throw bad(`repeats client "${name}"`);
    seen.add(name);
    out.push({ name, tokenSha256: hash });
  });
  return out;
}

/** Reads a clients file: a regular file, at most 1 MiB, not readable by others nor writable by group (chmod 600). */
export async function readClientsFile(file: string): Promise<ProxyClient[]> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OcmError(ErrorCode.CONFIG_ERROR, `clients file ${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`}`, { cause: e });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new OcmError(ErrorCode.CONFIG_ERROR, `clients file ${file} is not a regular file`);
    // Group read is allowed: Kubernetes (fsGroup) mounts Secrets 0440 for a non-root pod user.
    if (process.platform !== 'win32' && (st.mode & 0o027) !== 0) {
      throw new OcmError(ErrorCode.CONFIG_ERROR, `clients file ${file} is accessible by other users; restrict it: chmod 600 ${file}`);
    }
    if (st.size > MAX_CLIENTS_FILE) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `clients file ${file}: larger than the limit of ${MAX_CLIENTS_FILE} bytes`);
    return parseClientsFile(await fh.readFile('utf8'), file);
  } finally {
    await fh.close();
  }
}

/**
 * Builds the proxy state from a loaded config: connectors, clients (inline and from clients
 * files), defaults for `access`, and cross-checks (rules name known clients, dedicated listen
 * addresses are unique). Throws CONFIG_ERROR; a config without connectors is an error too.
 */
export async function proxyStateFromConfig(config: OcmConfig, options: { signal?: AbortSignal } = {}): Promise<LoadedProxyState> {
  const entries = configEntriesOfType(config, CONNECTORS_CONFIG_TYPE);
  const parsed = parseConnectorsEntries(entries);
  const clients = new Map(parsed.clients);
  for (const f of parsed.clientsFiles) {
    throwIfAborted(options.signal);
    for (const c of await readClientsFile(f)) clients.set(c.name, c);
  }
  const warnings: string[] = [];
  return { state: buildState(parsed, clients, entries, warnings), files: [...new Set([...config.sources, ...parsed.clientsFiles])], warnings };
}

function buildState(parsed: ParsedProxyConfig, clients: Map<string, ProxyClient>, entries: readonly ConfigEntry[], warnings: string[]): ProxyState {
  const first = entries[0];
  const where = first ? `config file ${first.source ?? '<inline>'}` : 'config';
  if (parsed.connectors.size === 0) {
    throw new OcmError(ErrorCode.CONFIG_ERROR, `${entries.length === 0 ? 'config' : where}: no connectors configured; add a ${CONNECTORS_CONFIG_TYPE} entry with connectors: [{name, address}]`);
  }
  const hashes = new Map<string, string>();
  for (const c of clients.values()) {
    const h = c.tokenSha256.toString('hex');
    const other = hashes.get(h);
    if (other !== undefined) throw new OcmError(ErrorCode.CONFIG_ERROR, `${where}: clients "${other}" and "${c.name}" have the same token hash; give every client its own token`);
    hashes.set(h, c.name);
  }
  // Open (loopback, no client auth) only when client authentication is not configured at all: an
  // emptied clients file or a rule naming a removed client is a revocation, never an opening.
  const namesClients = [...parsed.connectors.values()].some((c) => parsed.accessGiven.has(c.name) && c.access.some((r) => r.clients.some((n) => n !== '*' && n !== 'anonymous')));
  const open = clients.size === 0 && parsed.clientsFiles.length === 0 && !namesClients;
  const listens = new Map<string, string>();
  let anonymousGranted = false;
  const connectors = new Map<string, Connector>();
  for (const c of parsed.connectors.values()) {
    const access = parsed.accessGiven.has(c.name) ? c.access : defaultAccess(open);
    for (const rule of access) {
      for (const n of rule.clients) {
        if (n === 'anonymous') anonymousGranted = true;
        // A warning, not an error: removing a client's line must revoke it (a refused reload would keep the token working).
        else if (n !== '*' && !clients.has(n)) warnings.push(`${where}: connector "${c.name}" grants access to client "${n}", which is not configured (the rule matches nobody; add it to clients or a clientsFile)`);
      }
    }
    if (c.listen !== undefined) {
      const other = listens.get(c.listen);
      if (other !== undefined) throw new OcmError(ErrorCode.CONFIG_ERROR, `${where}: connectors "${other}" and "${c.name}" both listen on ${c.listen}; give each its own port`);
      listens.set(c.listen, c.name);
    }
    connectors.set(c.name, { ...c, access });
  }
  return { connectors, access: createAccessControl({ clients: [...clients.values()], anonymousGranted, open }) };
}
