/**
 * The `DockerConfig/v1` credential repository (spec §1.6, auth §B.2–B.3) with docker's rules:
 * one registry key per lookup — `host[:port]` exactly as the identity gives it, Docker Hub
 * (`docker.io`, `index.docker.io`) as `https://index.docker.io/v1/` — then the store for that key:
 * `credHelpers[key]` if the key is present (that helper only: its "not found" means none, no
 * fallback), else `credsStore`, else `auths[key]` with docker's legacy-key lookup
 * (`https://host/v1/` finds `host`). A bare-host entry never serves another port. Only
 * `OCIRegistry` lookups ever reach it.
 */
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Credentials } from '../runtime/credentials-types.js';
import type { Identity } from '../runtime/identity.js';
import { parseJsonBounded } from '../internal/bounded-parse.js';
import { ErrorCode, OcmError, isOcmError } from '../runtime/errors.js';
import { helperGet, type HelperOptions } from './helper.js';

export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
/** The helper suffix of docker-credential-ocm, never run from here (see lookup). */
export const SELF_HELPER = 'ocm';
const HUB_HOSTS = new Set(['docker.io', 'index.docker.io']);
const MAX_DOCKER_CONFIG_BYTES = 4 * 1024 * 1024;

export interface DockerConfigSpec {
  type?: string;
  /** Path; every `~` is replaced by $HOME (as Go does). */
  dockerConfigFile?: string;
  /** Inline config.json content. */
  dockerConfig?: string;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

export interface DockerLookupResult {
  credentials?: Credentials;
  /** Secret-free description of where the answer came from (or why there is none). */
  via: string;
}

/** Where a spec's config lives: explicit file, `$DOCKER_CONFIG/config.json`, or `~/.docker/config.json`. */
export function dockerConfigPath(spec: DockerConfigSpec, env: NodeJS.ProcessEnv): string {
  const home = env.HOME || homedir();
  if (spec.dockerConfigFile) return spec.dockerConfigFile.replaceAll('~', home);
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'config.json');
  return join(home, '.docker', 'config.json');
}

/** Parses config.json text; errors name the source, never the content. */
export function parseDockerConfig(text: string, source: string): DockerConfigFile {
  let parsed: unknown;
  try {
    // Bounded like every config (size, depth); parser reasons stay out (redact): they may quote secrets.
    parsed = parseJsonBounded(text, { what: `docker config ${source}`, code: ErrorCode.CONFIG_ERROR, maxBytes: MAX_DOCKER_CONFIG_BYTES, maxStringLength: 1024 * 1024, redact: true });
  } catch (e) {
    if (!isOcmError(e, ErrorCode.CONFIG_ERROR)) throw e;
    throw new OcmError(ErrorCode.CONFIG_ERROR, `docker config ${source} is not valid JSON; fix or remove it`, { details: { source } });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new OcmError(ErrorCode.CONFIG_ERROR, `docker config ${source} must be a JSON object`);
  }
  checkDockerConfigShape(parsed as Record<string, unknown>, source);
  return parsed as DockerConfigFile;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields we read must have docker's types (docker itself refuses such a file); the rest is docker's business. */
function checkDockerConfigShape(c: Record<string, unknown>, source: string): void {
  const bad = (field: string, want: string) =>
    new OcmError(ErrorCode.CONFIG_ERROR, `docker config ${source}: ${field} must be ${want}; fix or remove it`, { details: { source, field } });
  if (c.auths !== undefined) {
    if (!isObject(c.auths)) throw bad('"auths"', 'an object of registry entries');
    for (const [key, entry] of Object.entries(c.auths)) if (!isObject(entry)) throw bad(`"auths" entry ${JSON.stringify(key)}`, 'an object');
  }
  if (c.credsStore !== undefined && typeof c.credsStore !== 'string') throw bad('"credsStore"', 'a string');
  if (c.credHelpers !== undefined) {
    if (!isObject(c.credHelpers)) throw bad('"credHelpers"', 'an object of registry → helper names');
    for (const [key, helper] of Object.entries(c.credHelpers)) if (typeof helper !== 'string') throw bad(`"credHelpers" entry ${JSON.stringify(key)}`, 'a string');
  }
}

/** `https://host:5000/v1/` → `host:5000` (docker's ConvertToHostname). */
export function convertToHostname(key: string): string {
  let s = key.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  const slash = s.indexOf('/');
  if (slash >= 0) s = s.slice(0, slash);
  return s;
}

/**
 * The one registry key docker uses for this identity: `host[:port]` as given (no scheme, no path),
 * or Hub's `https://index.docker.io/v1/`; undefined without hostname.
 */
export function dockerKeyFor(identity: Identity): string | undefined {
  const host = identity.hostname;
  if (!host) return undefined;
  if (HUB_HOSTS.has(host) && !identity.port) return DOCKER_HUB_KEY;
  return identity.port ? `${host}:${identity.port}` : host;
}

function decodeAuth(entry: AuthEntry, key: string, source: string): Record<string, string> {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const out: Record<string, string> = {};
  const auth = str(entry.auth);
  if (auth) {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new OcmError(ErrorCode.CONFIG_ERROR, `docker config ${source}: auths["${key}"].auth is not base64 of "user:password"; run docker login again`);
    out.username = decoded.slice(0, colon);
    out.password = decoded.slice(colon + 1).replace(/\0+$/, '');
  } else {
    if (str(entry.username)) out.username = entry.username!;
    if (str(entry.password)) out.password = entry.password!;
  }
  if (str(entry.identitytoken)) out.refreshToken = entry.identitytoken!;
  if (str(entry.registrytoken)) out.accessToken = entry.registrytoken!;
  return out;
}

/** `auths[key]`, else the first legacy key whose hostname is the key (docker's fileStore.Get); Hub also under its short names. */
function findAuth(auths: Record<string, AuthEntry>, key: string): [string, AuthEntry] | undefined {
  if (Object.hasOwn(auths, key) && isRecord(auths[key])) return [key, auths[key] as AuthEntry];
  const want = key === DOCKER_HUB_KEY ? ['index.docker.io', 'docker.io'] : [key];
  for (const [k, v] of Object.entries(auths)) if (isRecord(v) && want.includes(convertToHostname(k))) return [k, v as AuthEntry];
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The docker store for one config.json, with helper answers cached per key for this process. */
export class DockerConfigStore {
  private readonly helperCache = new Map<string, Promise<Credentials | undefined>>();
  readonly source: string;
  readonly config: DockerConfigFile;
  private readonly helperOptions: HelperOptions;

  constructor(config: DockerConfigFile, source: string, helperOptions: HelperOptions = {}) {
    this.config = config;
    this.source = source;
    this.helperOptions = helperOptions;
  }

  async lookup(identity: Identity, signal?: AbortSignal): Promise<DockerLookupResult> {
    const key = dockerKeyFor(identity);
    if (key === undefined) return { via: `${this.source}: the identity has no hostname` };
    // docker's getConfiguredCredentialStore: a present credHelpers key decides alone (even an empty
    // value, which selects the file store); only without it does credsStore apply.
    const helpers = isRecord(this.config.credHelpers) ? this.config.credHelpers : undefined;
    const inHelpers = helpers !== undefined && Object.hasOwn(helpers, key);
    const helper = inHelpers ? helpers[key] : this.config.credsStore;
    if (typeof helper === 'string' && helper !== '') {
      const which = inHelpers ? `credHelpers["${key}"]` : 'credsStore';
      // docker-credential-ocm answers from this very credential graph: calling it would recurse.
      if (helper === SELF_HELPER) return { via: `${this.source}: ${which} names docker-credential-${SELF_HELPER} (ocm itself); skipped` };
      const creds = await this.fromHelper(helper, key, signal);
      if (creds) return { credentials: creds, via: `${which} → docker-credential-${helper} (server ${key}) in ${this.source}` };
      // docker: a native store's "not found" is empty credentials, never a fallback to auths
      return { via: `${this.source}: ${which} → docker-credential-${helper} had nothing for ${key}` };
    }
    const hit = isRecord(this.config.auths) ? findAuth(this.config.auths, key) : undefined;
    if (hit) {
      const creds = decodeAuth(hit[1], hit[0], this.source);
      if (Object.keys(creds).length > 0) return { credentials: creds, via: `auths["${hit[0]}"] in ${this.source}` };
    }
    return { via: `${this.source}: no auths entry for ${key}` };
  }

  private fromHelper(helper: string, key: string, signal?: AbortSignal): Promise<Credentials | undefined> {
    const cacheKey = `${helper}\0${key}`;
    const cached = this.helperCache.get(cacheKey);
    if (cached) return cached;
    const p = helperGet(helper, key, { ...this.helperOptions, signal }).then((r): Credentials | undefined => {
      if (!r) return undefined;
      // docker's convention: Username "<token>" means Secret is an identity (refresh) token.
      return r.username === '<token>' ? { refreshToken: r.secret } : { username: r.username, password: r.secret };
    });
    p.catch(() => this.helperCache.delete(cacheKey));
    this.helperCache.set(cacheKey, p);
    return p;
  }
}

/**
 * Opens the store for a `DockerConfig/v1` spec. A missing file is "no credentials" (Go warns and
 * uses an empty store); an unreadable or malformed one is a CONFIG_ERROR naming the file.
 */
export async function openDockerConfig(spec: DockerConfigSpec, env: NodeJS.ProcessEnv, helperOptions: HelperOptions = {}): Promise<DockerConfigStore | undefined> {
  if (spec.dockerConfig) return new DockerConfigStore(parseDockerConfig(spec.dockerConfig, 'inline dockerConfig'), 'inline dockerConfig', { env, ...helperOptions });
  const path = dockerConfigPath(spec, env);
  let text: string;
  try {
    // Size checked before reading: a mistaken path (a huge file, a device) is never read whole.
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new OcmError(ErrorCode.CONFIG_ERROR, `docker config ${path} is not a regular file`);
      if (st.size > MAX_DOCKER_CONFIG_BYTES) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `docker config ${path}: larger than the limit of ${MAX_DOCKER_CONFIG_BYTES} bytes`);
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (e instanceof OcmError) throw e;
    throw new OcmError(ErrorCode.CONFIG_ERROR, `docker config ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { cause: e });
  }
  return new DockerConfigStore(parseDockerConfig(text, path), path, { env, ...helperOptions });
}
