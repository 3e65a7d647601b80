/**
 * Finding plugin candidates and their cached capabilities: each directory is walked recursively; a plugin is an executable regular
 * file (symlinks to files are followed; symlinked directories too, but each real directory is
 * visited once, so a link loop ends). The id is the file name.
 *
 * Go takes every regular file without an extension. We take any executable regular file (so
 * `plugin.py` with a shebang works) but skip what is obviously not a plugin even when executable:
 * hidden files and directories, and `*.json`, `*.md`, `*.txt`, `*.lock`, `*.socket` (a Go plugin's
 * own `/tmp/<id>-plugin.socket.lock` must never become a plugin).
 *
 * Synchronous on purpose: on the CLI's hot path a handful of readdir/stat calls is cheaper without
 * the thread-pool round trips.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import type { PluginCapabilities } from './types.js';
import { basename, join, resolve } from 'node:path';

const NOT_PLUGIN_EXT = /\.(json|md|txt|lock|socket)$/i;

export interface Candidate {
  readonly id: string;
  /** Absolute path (not resolved through symlinks: the id is the link's name). */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export interface DiscoveryResult {
  readonly candidates: Candidate[];
  /** Same id found again later: `{ id, path, error }`. */
  readonly duplicates: { id: string; path: string; error: string }[];
  /** Unreadable directories and the like: reported, never fatal. */
  readonly warnings: string[];
}

export function isPluginName(name: string): boolean {
  return !name.startsWith('.') && !NOT_PLUGIN_EXT.test(name);
}

export function findCandidates(directories: readonly string[]): DiscoveryResult {
  const candidates: Candidate[] = [];
  const duplicates: DiscoveryResult['duplicates'] = [];
  const warnings: string[] = [];
  const byId = new Map<string, string>();
  const visited = new Set<string>();

  const walk = (dir: string, top: boolean): void => {
    let st: Stats;
    try {
      st = statSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || (code === 'ENOTDIR' && !top)) return; // a missing directory means no plugins
      warnings.push(`plugin directory ${dir}: ${code === 'EACCES' ? 'permission denied' : code}`);
      return;
    }
    if (!st.isDirectory()) {
      if (top) warnings.push(`plugin directory ${dir} is not a directory`);
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    if (visited.has(key)) return;
    visited.add(key);
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      warnings.push(`plugin directory ${dir} cannot be read (${code === 'EACCES' ? 'permission denied' : code}); its plugins are skipped`);
      return;
    }
    for (const name of names) {
      if (!isPluginName(name)) continue;
      const path = join(dir, name);
      let s: Stats;
      try {
        s = statSync(path); // follows symlinks
      } catch {
        continue; // dangling link or vanished meanwhile
      }
      if (s.isDirectory()) {
        walk(path, false);
        continue;
      }
      if (!s.isFile() || (s.mode & 0o111) === 0) continue;
      const id = basename(path);
      const earlier = byId.get(id);
      if (earlier !== undefined) {
        duplicates.push({ id, path, error: `plugin id ${id} already provided by ${earlier}` });
        continue;
      }
      byId.set(id, path);
      candidates.push({ id, path, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs });
    }
  };

  for (const d of directories) walk(resolve(d), true);
  return { candidates, duplicates, warnings };
}

// --- The capability cache ----------------------------------------------------------------------
/*
 * The capability cache (with discovery, as it is keyed by what discovery finds, and one module less
 * on the CLI's start-up path): one JSON file (`plugins-capabilities.json`, 0600, dir 0700) mapping each
 * plugin's absolute path to the result of its `capabilities` run (parsed, or the error), valid
 * while size, mtime and ctime are unchanged. So a CLI start runs no plugin unless one changed, and a
 * broken plugin is not re-run at every start either. A corrupt cache is ignored and rewritten.
 */
export const CACHE_FILE = 'plugins-capabilities.json';
const CACHE_VERSION = 1;

export interface CacheEntry {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly capabilities?: PluginCapabilities;
  readonly error?: string;
}

export type CacheEntries = Record<string, CacheEntry>;

/** `$XDG_CACHE_HOME/ocm`, else `~/.cache/ocm`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CACHE_HOME;
  return xdg ? join(xdg, 'ocm') : join(env.HOME || homedir(), '.cache', 'ocm');
}

/** The cached entries, or {} when the file is missing, unreadable or not ours. */
export function readCache(dir: string): CacheEntries {
  try {
    const doc = JSON.parse(readFileSync(join(dir, CACHE_FILE), 'utf8')) as { version?: unknown; entries?: unknown };
    if (doc?.version !== CACHE_VERSION || typeof doc.entries !== 'object' || doc.entries === null || Array.isArray(doc.entries)) return {};
    return doc.entries as CacheEntries;
  } catch {
    return {};
  }
}

/** The entry for a candidate if it is still valid (same size, mtime and ctime). */
export function cachedFor(entries: CacheEntries, c: Candidate): CacheEntry | undefined {
  const e = Object.hasOwn(entries, c.path) ? entries[c.path] : undefined;
  if (!e || typeof e !== 'object' || e.size !== c.size || e.mtimeMs !== c.mtimeMs || e.ctimeMs !== c.ctimeMs) return undefined;
  if ((e.capabilities === undefined) === (e.error === undefined)) return undefined;
  return e;
}

/** Writes the cache atomically (temp file + rename). Failures are returned, not thrown: a cache is optional. */
export function writeCache(dir: string, entries: CacheEntries): string | undefined {
  const file = join(dir, CACHE_FILE);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(tmp, JSON.stringify({ version: CACHE_VERSION, entries }), { mode: 0o600 });
    renameSync(tmp, file);
    return undefined;
  } catch (e) {
    rmSync(tmp, { force: true });
    return `plugin capability cache ${file} not written: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
}
