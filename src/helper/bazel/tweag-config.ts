/**
 * `.tweag-credential-helper.json` for users coming from tweag/credential-helper (spec §A.4–A.5):
 * `urls[]` first match wins (scheme equality, `host`/`path` globs), helpers `oci`, `github` and
 * `null`, the OCI `config` with `parse_docker_config`, `token_exchange_method` and `lookup_chain`
 * (`env` / `static` sources). Unknown fields are rejected, as tweag does, so typos fail loudly.
 *
 * Two deliberate differences: `*` in `host` stays within one DNS label (tweag's also matches
 * dots, so its `registry.*` matches `registry.evil.example` and `*.acme.corp` any depth; §F.3 —
 * write `*.*.acme.corp` for two levels), and the `auth` binding (base64 `user:password`) is
 * decoded and used (tweag stores and ignores it).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJsonBounded } from '../../internal/bounded-parse.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { HelperUri } from './uri.js';

export const TWEAG_CONFIG_NAME = '.tweag-credential-helper.json';
const MAX_BYTES = 1024 * 1024;

export type TokenExchangeMethod = 'auto' | 'oauth2' | 'basic';
export type Binding = 'username' | 'password' | 'auth' | 'identitytoken' | 'registrytoken';

export interface LookupSource {
  source: 'env' | 'static';
  /** Env variable name, or (tweag's quirk for `static`) the literal value. */
  name: string;
  binding: Binding;
}

export interface OciHelperConfig {
  parseDockerConfig: boolean;
  tokenExchangeMethod: TokenExchangeMethod;
  lookupChain: LookupSource[];
  /** Our extension: repository actions to ask for (default pull). */
  actions?: string[];
}

export interface TweagUrlEntry {
  /** Position, for messages: `urls[2]`. */
  where: string;
  scheme?: string;
  host?: string;
  path?: string;
  helper: 'oci' | 'github' | 'null';
  oci?: OciHelperConfig;
}

export interface TweagConfig {
  file: string;
  urls: TweagUrlEntry[];
}

const SUPPORTED_HELPERS = new Set(['oci', 'github', 'null']);
const TWEAG_HELPERS = new Set(['s3', 'gcs', 'gar', 'azstorage', 'remoteapis']);
const BINDINGS = new Set<string>(['username', 'password', 'auth', 'identitytoken', 'registrytoken']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where the file is: `$CREDENTIAL_HELPER_CONFIG_FILE`, else the workspace (Bazel runs helpers there) or cwd. */
export function tweagConfigPath(env: NodeJS.ProcessEnv, cwd: string): string {
  if (env.CREDENTIAL_HELPER_CONFIG_FILE) return env.CREDENTIAL_HELPER_CONFIG_FILE;
  const ws = env.CREDENTIAL_HELPER_WORKSPACE_DIRECTORY || env.BUILD_WORKSPACE_DIRECTORY || cwd;
  return join(ws, TWEAG_CONFIG_NAME);
}

/** Reads the file if present (undefined otherwise; a file named by the env variable must exist). */
export async function loadTweagConfig(env: NodeJS.ProcessEnv, cwd: string): Promise<TweagConfig | undefined> {
  const file = tweagConfigPath(env, cwd);
  let text: string;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new OcmError(ErrorCode.CONFIG_ERROR, `credential helper config ${file} is not a regular file`);
    if (st.size > MAX_BYTES) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `credential helper config ${file} is larger than ${MAX_BYTES} bytes`);
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof OcmError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !env.CREDENTIAL_HELPER_CONFIG_FILE) return undefined;
    throw new OcmError(ErrorCode.CONFIG_ERROR, `credential helper config ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); fix CREDENTIAL_HELPER_CONFIG_FILE or create the file`);
  }
  return parseTweagConfig(text, file);
}

/** Parses and validates the file's text; every error is one line naming file and field. */
export function parseTweagConfig(text: string, file: string): TweagConfig {
  // The file may hold `static` secrets: parser reasons (which may quote text) stay out.
  const doc = parseJsonBounded(text, { what: `credential helper config ${file}`, code: ErrorCode.CONFIG_ERROR, maxBytes: MAX_BYTES, redact: true });
  const bad = (field: string, problem: string) => new OcmError(ErrorCode.CONFIG_ERROR, `credential helper config ${file}: ${field} ${problem}`, { details: { file, field } });
  if (!isObject(doc)) throw bad('(top level)', 'must be a JSON object with "urls"');
  onlyKeys(doc, ['urls'], '', bad);
  const urls = doc.urls ?? [];
  if (!Array.isArray(urls)) throw bad('urls', 'must be a list');
  return {
    file,
    urls: urls.map((u: unknown, i) => {
      const where = `urls[${i}]`;
      if (!isObject(u)) throw bad(where, 'must be an object');
      onlyKeys(u, ['scheme', 'host', 'path', 'helper', 'config'], where, bad);
      for (const k of ['scheme', 'host', 'path', 'helper'] as const) {
        if (u[k] !== undefined && typeof u[k] !== 'string') throw bad(`${where}.${k}`, 'must be a string');
      }
      const helper = u.helper as string | undefined;
      if (!helper) throw bad(`${where}.helper`, 'is required (oci, github or null)');
      if (!SUPPORTED_HELPERS.has(helper)) {
        if (TWEAG_HELPERS.has(helper)) throw new OcmError(ErrorCode.UNSUPPORTED, `credential helper config ${file}: ${where}.helper "${helper}" is not supported by ocm-credential-helper (supported: oci, github, null); keep tweag's helper for these URLs`, { details: { file, field: `${where}.helper` } });
        throw bad(`${where}.helper`, `"${helper}" is unknown; use oci, github or null`);
      }
      const entry: TweagUrlEntry = { where, helper: helper as TweagUrlEntry['helper'] };
      if (u.scheme) entry.scheme = u.scheme as string;
      if (u.host) entry.host = u.host as string;
      if (u.path) entry.path = u.path as string;
      if (u.config !== undefined) {
        if (helper !== 'oci') {
          if (!isObject(u.config) || Object.keys(u.config).length > 0) throw bad(`${where}.config`, `is not accepted for helper "${helper}"`);
        } else entry.oci = parseOciConfig(u.config, `${where}.config`, bad);
      }
      if (helper === 'oci' && !entry.oci) entry.oci = parseOciConfig({}, `${where}.config`, bad);
      return entry;
    }),
  };
}

type Bad = (field: string, problem: string) => OcmError;

function onlyKeys(o: Record<string, unknown>, allowed: string[], where: string, bad: Bad): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw bad(where ? `${where}.${k}` : k, `is not a known field (known: ${allowed.join(', ')})`);
}

function parseOciConfig(c: unknown, where: string, bad: Bad): OciHelperConfig {
  if (!isObject(c)) throw bad(where, 'must be an object');
  onlyKeys(c, ['parse_docker_config', 'token_exchange_method', 'lookup_chain', 'actions'], where, bad);
  if (c.parse_docker_config !== undefined && typeof c.parse_docker_config !== 'boolean') throw bad(`${where}.parse_docker_config`, 'must be true or false');
  const method = c.token_exchange_method ?? 'auto';
  if (method !== 'auto' && method !== 'oauth2' && method !== 'basic') throw bad(`${where}.token_exchange_method`, 'must be "auto", "oauth2" or "basic"');
  const chain = c.lookup_chain ?? [];
  if (!Array.isArray(chain)) throw bad(`${where}.lookup_chain`, 'must be a list');
  const out: OciHelperConfig = {
    parseDockerConfig: (c.parse_docker_config as boolean | undefined) ?? true,
    tokenExchangeMethod: method,
    lookupChain: chain.map((s: unknown, i) => {
      const w = `${where}.lookup_chain[${i}]`;
      if (!isObject(s)) throw bad(w, 'must be an object');
      if (s.source !== 'env' && s.source !== 'static') {
        if (typeof s.source === 'string' && ['keyring', 'google'].includes(s.source)) {
          throw new OcmError(ErrorCode.UNSUPPORTED, `credential helper config: ${w}.source "${s.source}" is not supported by ocm-credential-helper; use "env" or "static", or configure the credentials in .ocmconfig`);
        }
        throw bad(`${w}.source`, 'must be "env" or "static"');
      }
      onlyKeys(s, ['source', 'name', 'binding'], w, bad);
      if (typeof s.name !== 'string' || s.name === '') throw bad(`${w}.name`, 'must be a non-empty string');
      const binding = s.binding ?? 'default';
      if (typeof binding !== 'string' || !BINDINGS.has(binding)) throw bad(`${w}.binding`, 'must be one of username, password, auth, identitytoken, registrytoken');
      return { source: s.source, name: s.name, binding: binding as Binding };
    }),
  };
  if (c.actions !== undefined) out.actions = parseActions(c.actions, `${where}.actions`, bad);
  return out;
}

/** `["pull"]` or `["pull","push"]` (push implies pull: a push checks existence first). */
export function parseActions(v: unknown, where: string, bad: Bad): string[] {
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => a === 'pull' || a === 'push')) throw bad(where, 'must list "pull" and optionally "push"');
  return list.includes('push') ? ['pull', 'push'] : ['pull'];
}

/** tweag's glob: `*` = any run of characters; ours in hosts stops at `.` (see the file comment). */
export function globMatch(pattern: string, value: string, crossDots: boolean): boolean {
  const any = crossDots ? '.*' : '[^.]*';
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join(any)}$`, 's');
  return re.test(value);
}

/** The first entry for the URI (scheme equal if set; host against `host[:port]`; path glob). */
export function matchTweagEntry(cfg: TweagConfig, u: HelperUri): TweagUrlEntry | undefined {
  return cfg.urls.find(
    (e) =>
      (!e.scheme || e.scheme.toLowerCase() === u.scheme) &&
      (!e.host || globMatch(e.host.toLowerCase(), u.host, false)) &&
      (!e.path || globMatch(e.path, u.url.pathname, true)),
  );
}

export interface ChainCredentials {
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** Runs a lookup chain: first source per binding wins, unset env variables are skipped. */
export function evaluateLookupChain(chain: readonly LookupSource[], env: NodeJS.ProcessEnv, where = 'lookup_chain'): ChainCredentials {
  const found: Partial<Record<Binding, string>> = {};
  for (const s of chain) {
    if (found[s.binding] !== undefined) continue;
    const v = s.source === 'env' ? env[s.name] : s.name;
    if (v === undefined || v === '') continue;
    found[s.binding] = v;
  }
  const out: ChainCredentials = {};
  if (found.auth !== undefined) {
    const decoded = Buffer.from(found.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new OcmError(ErrorCode.CONFIG_ERROR, `credential helper config: the "auth" value of ${where} is not base64 of "user:password"`);
    out.username = decoded.slice(0, colon);
    out.password = decoded.slice(colon + 1);
  }
  if (found.username !== undefined) out.username = found.username;
  if (found.password !== undefined) out.password = found.password;
  if (found.identitytoken !== undefined) out.identitytoken = found.identitytoken;
  if (found.registrytoken !== undefined) out.registrytoken = found.registrytoken;
  // tweag: a password without a username gets the literal username "unset".
  if (out.password !== undefined && out.username === undefined) out.username = 'unset';
  return out;
}
