/**
 * Plugin directories and idle timeout from `--plugin-directory` and the
 * `plugin.config.ocm.software/v2alpha1` entries of `.ocmconfig` (spec §3.1). Unlike Go, whose CLI
 * overwrites `locations` with the flag, both are honoured: the flag's directory first.
 */
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { sameType, type ConfigEntry } from '../config/load.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';

export const PLUGIN_CONFIG_TYPE = 'plugin.config.ocm.software/v2alpha1';
/** Go's default idle timeout: 1 h, in nanoseconds. */
export const DEFAULT_IDLE_TIMEOUT_NS = 3_600_000_000_000;

const UNIT_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * Parses a Go duration string (`30m`, `1h30m`, `500ms`, `1.5h`, `0`) to integer nanoseconds.
 * Returns undefined for anything else (negative durations included: an idle timeout cannot be one).
 */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim().replace(/^\+/, '');
  if (s === '0') return 0;
  if (s === '' || !/^(\d+(\.\d*)?|\.\d+)/.test(s)) return undefined;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_NS[m[2]!]!;
    at = re.lastIndex;
  }
  return at === s.length ? Math.round(total) : undefined;
}

/** `$VAR`, `${VAR}` from env (unset → empty, like Go's os.ExpandEnv) and a leading `~`. */
export function expandPath(p: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME || homedir();
  const expanded = p.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, a: string | undefined, b: string | undefined) => env[(a ?? b)!] ?? '');
  if (expanded === '~') return home;
  if (expanded.startsWith('~/')) return home + expanded.slice(1);
  return expanded;
}

function where(entry: ConfigEntry): string {
  return `${entry.source ?? '<inline>'}${entry.path ? ` ${entry.path}` : ''}`;
}

function idleTimeoutOf(entry: ConfigEntry): number | undefined {
  const v = entry.value.idleTimeout;
  if (v === undefined || v === null) return undefined;
  const ns = typeof v === 'number' ? (Number.isInteger(v) && v >= 0 ? v : undefined) : typeof v === 'string' ? parseGoDuration(v) : undefined;
  if (ns === undefined) {
    throw new OcmError(ErrorCode.CONFIG_ERROR, `config ${where(entry)}: idleTimeout ${JSON.stringify(v)} is not a duration; use e.g. "30m", "1h30m" or integer nanoseconds`);
  }
  return ns;
}

function locationsOf(entry: ConfigEntry, env: NodeJS.ProcessEnv): string[] {
  const v = entry.value.locations;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) {
    throw new OcmError(ErrorCode.CONFIG_ERROR, `config ${where(entry)}: locations must be a list of directory paths`);
  }
  // A relative location is relative to the file that names it, not to wherever the CLI runs.
  const base = entry.source ? dirname(entry.source) : process.cwd();
  return (v as string[]).map((p) => {
    const x = expandPath(p, env);
    return isAbsolute(x) ? resolve(x) : resolve(base, x);
  });
}

/** Directories and idle timeout from `--plugin-directory` and `plugin.config.ocm.software/v2alpha1` entries. */
export function pluginSettings(entries: readonly ConfigEntry[], flagDirectory: string | undefined, env: NodeJS.ProcessEnv): { directories: string[]; idleTimeoutNs: number } {
  const home = env.HOME || homedir();
  const first = flagDirectory !== undefined && flagDirectory !== '' ? resolve(expandPath(flagDirectory, env)) : resolve(home, '.config', 'ocm', 'plugins');
  const directories = [first];
  let idle: number | undefined;
  for (const entry of entries) {
    if (!sameType(entry.type, PLUGIN_CONFIG_TYPE)) continue;
    for (const d of locationsOf(entry, env)) if (!directories.includes(d)) directories.push(d);
    const ns = idleTimeoutOf(entry);
    if (ns !== undefined) idle = Math.max(idle ?? 0, ns);
  }
  return { directories, idleTimeoutNs: idle ?? DEFAULT_IDLE_TIMEOUT_NS };
}

/**
 * Plugin registries from `pluginRegistries` of `plugin.config.ocm.software/v2alpha1` entries (in
 * config order, without duplicates): Go requires `--registry` every time (ocm-project #599).
 */
export function pluginRegistriesOf(entries: readonly ConfigEntry[]): string[] {
  const out: string[] = [];
  for (const entry of entries) {
    if (!sameType(entry.type, PLUGIN_CONFIG_TYPE)) continue;
    const v = entry.value.pluginRegistries;
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.trim() === '')) {
      throw new OcmError(ErrorCode.CONFIG_ERROR, `config ${where(entry)}: pluginRegistries must be a list of registry references like ghcr.io/acme/plugins//ocm.software/plugin-registry`);
    }
    for (const r of v as string[]) if (!out.includes(r.trim())) out.push(r.trim());
  }
  return out;
}
