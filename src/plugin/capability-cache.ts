/**
 * The capability cache: one JSON file (`plugins-capabilities.json`, 0600, dir 0700) mapping each
 * plugin's absolute path to the result of its `capabilities` run (parsed, or the error), valid
 * while size, mtime and ctime are unchanged. So a CLI start runs no plugin unless one changed, and a
 * broken plugin is not re-run at every start either. A corrupt cache is ignored and rewritten.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PluginCapabilities } from './types.js';
import type { Candidate } from './discovery.js';

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
