/**
 * `.ocmconfig` discovery, parsing and merging as the Go v2 CLI does it (spec §1.1, §1.2):
 * 11 candidate paths, every existing file merged in order (later wins), `--config` replaces the
 * lookup and makes errors fatal, the generic envelope is flattened (direct entries first, nested
 * generic children after them), unknown entry types are kept and ignored.
 *
 * Errors never quote file content: YAML parser messages include source excerpts, which may hold
 * secrets, so only the parser's error code and position are reported.
 */
import { existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseJsonBounded, parseYamlBounded, type ParseBounds } from '../internal/bounded-parse.js';
import { ErrorCode, OcmError, isOcmError, throwIfAborted } from '../runtime/errors.js';

export const GENERIC_CONFIG_TYPE = 'generic.config.ocm.software/v1';
export const CREDENTIALS_CONFIG_TYPE = 'credentials.config.ocm.software/v1';

/** One typed configuration object (`value.type === type`), with the file it came from. */
export interface ConfigEntry {
  readonly type: string;
  readonly value: Readonly<Record<string, unknown>>;
  /** Path of the file, or undefined for in-memory configs. */
  readonly source?: string;
  /** Where in the file, e.g. `configurations[2]`; empty for a bare typed document. */
  readonly path?: string;
}

export interface OcmConfig {
  /** Flattened entries in priority order (later wins). */
  readonly entries: readonly ConfigEntry[];
  /** Files that were loaded, in merge order. */
  readonly sources: readonly string[];
  /** Human-readable, secret-free warnings (skipped files, loose permissions, ...). */
  readonly warnings: readonly string[];
  /** True when the files were given explicitly (`--config`): no discovery happened. */
  readonly explicit: boolean;
  /** Files found (or given), including ones skipped as broken; decides auto-configuration as in Go. */
  readonly found?: readonly string[];
}

export interface LoadConfigOptions {
  /** Explicit files (`--config`): replace discovery; any error is fatal. */
  files?: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Directory of the running executable (candidates 10–11). */
  execDir?: string;
  signal?: AbortSignal;
}

/** Largest config file we read (a config is small; this bounds a mistaken path to a huge file). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Longest string or key in a config (an inline docker config is the largest legitimate one). */
const MAX_CONFIG_STRING = 1024 * 1024;

function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME || homedir();
}

/** The discovery candidates in Go's order (not filtered by existence). */
export function configSearchPaths(env: NodeJS.ProcessEnv, cwd: string, execDir?: string): string[] {
  const out: string[] = [];
  if (env.OCM_CONFIG) out.push(env.OCM_CONFIG);
  if (env.XDG_CONFIG_HOME) out.push(join(env.XDG_CONFIG_HOME, 'ocm', 'config'), join(env.XDG_CONFIG_HOME, '.ocmconfig'));
  const home = homeOf(env);
  out.push(join(home, '.config', 'ocm', 'config'), join(home, '.config', '.ocmconfig'), join(home, '.ocm', 'config'), join(home, '.ocmconfig'));
  out.push(join(cwd, '.ocm', 'config'), join(cwd, '.ocmconfig'));
  if (execDir) out.push(join(execDir, '.ocm', 'config'), join(execDir, '.ocmconfig'));
  return out;
}

/** The candidates that exist as files, in merge order (duplicates removed, first kept). */
export function discoverConfigFiles(
  env: NodeJS.ProcessEnv,
  cwd: string,
  execDir?: string,
  exists: (path: string) => boolean = isFile,
): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of configSearchPaths(env, cwd, execDir)) {
    if (seen.has(p)) continue;
    seen.add(p);
    if (exists(p)) out.push(p);
  }
  return out;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Loads and merges the configuration (discovery, or exactly `options.files`). */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<OcmConfig> {
  const env = options.env ?? process.env;
  const explicit = options.files !== undefined && options.files.length > 0;
  const files = explicit ? [...options.files!] : discoverConfigFiles(env, options.cwd ?? process.cwd(), options.execDir);
  const entries: ConfigEntry[] = [];
  const sources: string[] = [];
  const warnings: string[] = [];
  for (const file of files) {
    throwIfAborted(options.signal);
    try {
      const doc = await readConfigFile(file);
      const fileEntries = entriesOfDocument(doc, file);
      entries.push(...fileEntries);
      sources.push(file);
      const perm = permissionWarning(file, fileEntries);
      if (perm) warnings.push(perm);
    } catch (e) {
      if (explicit) throw e;
      // Go logs a broken discovered file at ERROR level and continues without it.
      warnings.push(`${(e as Error).message}; the file was skipped`);
    }
  }
  return { entries, sources, warnings, explicit, found: files };
}

/** Builds a config from in-memory documents (tests, library users, plugins). */
export function configFromDocuments(docs: readonly unknown[], source?: string): OcmConfig {
  const entries = docs.flatMap((d) => entriesOfDocument(d, source));
  return { entries, sources: source ? [source] : [], warnings: [], explicit: true };
}

/** Parses YAML or JSON config text into a config (throws CONFIG_ERROR without quoting the text). */
export function parseConfigText(text: string, source = '<inline>'): OcmConfig {
  return configFromDocuments([parseDocument(text, source)], source);
}

async function readConfigFile(file: string): Promise<unknown> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${code ?? 'error'})`;
    throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${file} ${why}`, { cause: e });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${file} is not a regular file`);
    if (st.size > MAX_CONFIG_BYTES) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `config file ${file}: larger than the limit of ${MAX_CONFIG_BYTES} bytes`);
    const text = await fh.readFile('utf8');
    return parseDocument(text, file);
  } finally {
    await fh.close();
  }
}

function parseDocument(text: string, source: string): unknown {
  // Parser reasons stay out (redact): their excerpts may hold secrets. Exceeded bounds are LIMIT_EXCEEDED.
  const bounds: ParseBounds = { what: `config file ${source}`, code: ErrorCode.CONFIG_ERROR, maxBytes: MAX_CONFIG_BYTES, maxStringLength: MAX_CONFIG_STRING, redact: true };
  try {
    // JSON is YAML, but the YAML parser is ~100x slower on large files: try JSON first.
    if (/^\s*\{/.test(text)) {
      try {
        return parseJsonBounded(text, bounds);
      } catch (e) {
        if (isOcmError(e, ErrorCode.LIMIT_EXCEEDED)) throw e;
        /* not strict JSON: the YAML parser decides (and reports the position) */
      }
    }
    return parseYamlBounded(text, bounds, { uniqueKeys: false });
  } catch (e) {
    if (!isOcmError(e, ErrorCode.CONFIG_ERROR)) throw e;
    const { line, col } = e.details as { line?: number; col?: number };
    const where = line ? ` at line ${line}, column ${col}` : '';
    const code = (e.cause as { code?: unknown } | undefined)?.code;
    const why = typeof code === 'string' ? ` (${code})` : '';
    throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${source} is not valid YAML or JSON${where}${why}; fix the syntax`, { details: { source } });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Splits a type into name and version (`a/v1` → [a, v1]); at most one `/`. */
export function splitType(type: string): [string, string] {
  const i = type.indexOf('/');
  return i < 0 ? [type, ''] : [type.slice(0, i), type.slice(i + 1)];
}

/** Same type, treating an unversioned name as an alias of its versioned form (both directions). */
export function sameType(a: string, b: string): boolean {
  if (a === b) return true;
  const [an, av] = splitType(a);
  const [bn, bv] = splitType(b);
  return an === bn && (av === '' || bv === '');
}

function isGeneric(type: string): boolean {
  return sameType(type, GENERIC_CONFIG_TYPE);
}

/** Flattens one parsed document into typed entries (Go's FlatMap order). Empty documents give none. */
function entriesOfDocument(doc: unknown, source: string | undefined): ConfigEntry[] {
  const where = source ?? '<inline>';
  if (doc === null || doc === undefined) return [];
  if (!isRecord(doc)) throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${where}: expected a mapping with a "type" field at the top level`);
  return flatten(doc, where, source, 'configuration');
}

function flatten(doc: Record<string, unknown>, where: string, source: string | undefined, path: string): ConfigEntry[] {
  const type = doc.type;
  if (typeof type !== 'string' || type === '') {
    throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${where}: ${path} has no "type"; every configuration needs one, e.g. ${GENERIC_CONFIG_TYPE}`);
  }
  if ((type.match(/\//g) ?? []).length > 1) throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${where}: ${path} has an invalid type "${type}" (at most one "/")`);
  if (!isGeneric(type)) return [{ type, value: doc, source, path: path === 'configuration' ? '' : path }];
  const list = doc.configurations;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${where}: "configurations" must be a list`);
  const direct: ConfigEntry[] = [];
  const nested: ConfigEntry[] = [];
  list.forEach((item, i) => {
    const p = `${path === 'configuration' ? '' : `${path}.`}configurations[${i}]`;
    if (!isRecord(item)) throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${where}: ${p} must be a mapping with a "type"`);
    const t = item.type;
    if (typeof t === 'string' && isGeneric(t)) nested.push(...flatten(item, where, source, p));
    else direct.push(...flatten(item, where, source, p));
  });
  // Direct entries first, nested generic children after them (kept by Go for v1 compatibility).
  return [...direct, ...nested];
}

/** Entries whose type is `type` (an unversioned name also matches its versions and vice versa). */
export function configEntriesOfType(config: OcmConfig, type: string): ConfigEntry[] {
  return config.entries.filter((e) => sameType(e.type, type));
}

function holdsSecrets(entries: readonly ConfigEntry[]): boolean {
  for (const e of entries) {
    if (!sameType(e.type, CREDENTIALS_CONFIG_TYPE)) continue;
    const consumers = e.value.consumers;
    if (Array.isArray(consumers) && consumers.some((c) => isRecord(c) && Array.isArray(c.credentials) && c.credentials.length > 0)) return true;
    const repos = e.value.repositories;
    if (Array.isArray(repos) && repos.some((r) => isRecord(r) && isRecord(r.repository) && typeof r.repository.dockerConfig === 'string')) return true;
  }
  return false;
}

function permissionWarning(file: string, entries: readonly ConfigEntry[]): string | undefined {
  if (process.platform === 'win32' || !holdsSecrets(entries)) return undefined;
  try {
    const mode = statSync(file).mode;
    if (mode & 0o004) return `config file ${file} holds credentials and is readable by every user; restrict it: chmod 600 ${file}`;
  } catch {
    /* vanished since reading: nothing to warn about */
  }
  return undefined;
}

export function fileExists(p: string): boolean {
  return existsSync(p);
}
