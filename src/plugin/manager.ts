/**
 * The plugin host: discovery, the capability cache, lazily started processes (one per binary,
 * shared by all its capabilities), HTTP+JSON calls over a Unix socket or TCP, shutdown.
 *
 * `discover()` on a warm cache costs readdir + stat per plugin + one small file read; a plugin runs
 * `capabilities` only when it is new or changed, and a process only on its first call.
 */
import { existsSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { sameType, type ConfigEntry } from '../config/load.js';
import { ErrorCode, OcmError, throwIfAborted } from '../runtime/errors.js';
import { silentLogger, type Logger } from '../runtime/logger.js';
import type { HandleOptions, PluginHandle } from './connection.js';
import { cachedFor, defaultCacheDir, findCandidates, readCache, writeCache, type CacheEntries, type CacheEntry, type Candidate } from './discovery.js';
import { DEFAULT_IDLE_TIMEOUT_NS } from './settings.js';
import type { LoadedPlugin, PluginCall, PluginCapabilities, PluginConnection, PluginInfo } from './types.js';

export { pluginSettings } from './settings.js';

export interface PluginManagerOptions {
  /** Directories to walk (the flag's directory, then `locations` of plugin.config.ocm.software/v2alpha1). */
  readonly directories: readonly string[];
  /** Where the capability cache lives (default `$XDG_CACHE_HOME/ocm` or `~/.cache/ocm`); `false` disables it. */
  readonly cacheDir?: string | false;
  /** Handed to plugins in `--config` (integer nanoseconds); default 1 h. */
  readonly idleTimeoutNs?: number;
  /** All `.ocmconfig` entries; those whose type a plugin lists in `supportedConfigTypes` go into its `configTypes`. */
  readonly configEntries?: readonly ConfigEntry[];
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
  /** Start deadline per process (default 10 s). */
  readonly startTimeoutMs?: number;
  /** SIGINT → SIGKILL grace at shutdown (default 5 s). */
  readonly stopGraceMs?: number;
  /** Default `unix` (falls back to `tcp` when no socket can be created). */
  readonly connectionType?: 'unix' | 'tcp';
  /** Deadline of one `<plugin> capabilities` run (default 10 s). */
  readonly capabilitiesTimeoutMs?: number;
}

export interface PluginManager {
  /** Every candidate with its capabilities or the reason it is skipped (runs `capabilities` only on cache misses). */
  discover(options?: { signal?: AbortSignal }): Promise<PluginInfo[]>;
  /** The usable plugins (no error), each with its lazily starting connection. */
  load(options?: { signal?: AbortSignal }): Promise<LoadedPlugin[]>;
  /** Running plugin processes started by this manager. */
  processes(): readonly { readonly id: string; readonly pid: number }[];
  /** Stops one plugin's process (or all): SIGINT, then SIGKILL after the grace period. */
  stop(id?: string): Promise<void>;
  /** Stops every process and removes every temp dir and socket this manager created. Idempotent. */
  shutdown(): Promise<void>;
  /** Problems of the last `discover()` that concern no single plugin (unreadable directory, cache not writable). */
  warnings(): readonly string[];
}

const CAPABILITY_RUNS_IN_PARALLEL = 4;

/** Runs `fn` over `items` with at most `n` at a time, results in order. */
async function mapLimit<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** `type` claimed by an earlier plugin for the same capability type (Go: per registry) → the reason; else undefined (and the types are claimed). */
function claim(claimed: Map<string, string>, id: string, caps: PluginCapabilities): string | undefined {
  const mine: string[] = [];
  for (const cap of caps.capabilities) {
    for (const [field, list] of Object.entries(cap.types)) {
      // Consumer identity types say what a credential repository serves; several may serve one (Go keys on the spec type).
      if (field === 'supportedConsumerIdentityTypes') continue;
      for (const t of list) {
        const key = `${cap.type}\u0000${field}\u0000${t.type}`;
        const other = claimed.get(key);
        if (other !== undefined && other !== id) return `type ${t.type} (${cap.type}) is already provided by plugin "${other}"`;
        mine.push(key);
      }
    }
  }
  for (const k of mine) claimed.set(k, id);
  return undefined;
}

/** The protocol passes configTypes on the command line (`--config`), where other local users can read them. */
async function warnAboutSecretConfig(id: string, configTypes: readonly Record<string, unknown>[], logger: Logger): Promise<void> {
  const { redactFields } = await import('./stderr-log.js');
  for (const v of configTypes) {
    if (JSON.stringify(redactFields(v)) === JSON.stringify(v)) continue;
    logger.warn(
      `plugin ${id}: its config entry of type ${String(v.type)} holds secret-looking values, which the plugin protocol passes on the command line (visible in the process list); move secrets into credentials`,
      { plugin: id },
    );
  }
}

/**
 * A plugin's connection whose process machinery (child_process, http, the handle) is loaded on
 * first use: with a warm capability cache, a command that uses no plugin type loads none of it.
 */
class LazyHandle implements PluginConnection {
  readonly id: string;
  readonly path: string;
  readonly #options: HandleOptions;
  #handle: Promise<PluginHandle> | undefined;
  #loaded: PluginHandle | undefined;

  constructor(options: HandleOptions) {
    this.id = options.id;
    this.path = options.path;
    this.#options = options;
  }

  #get(): Promise<PluginHandle> {
    this.#handle ??= import('./connection.js').then(({ PluginHandle }) => (this.#loaded = new PluginHandle(this.#options)));
    return this.#handle;
  }

  async call<T = unknown>(call: PluginCall): Promise<T> {
    return (await this.#get()).call<T>(call);
  }

  async tempDir(): Promise<string> {
    return (await this.#get()).tempDir();
  }

  running(): { readonly pid: number } | undefined {
    return this.#loaded?.running();
  }

  async stop(): Promise<void> {
    await this.#loaded?.stop();
  }

  async dispose(): Promise<void> {
    // A handle still loading (a call racing shutdown) is disposed once it exists.
    if (this.#handle) await (await this.#handle).dispose();
  }
}

export function createPluginManager(options: PluginManagerOptions): PluginManager {
  const env = options.env ?? process.env;
  const logger = options.logger ?? silentLogger;
  const cacheDir = options.cacheDir === false ? undefined : (options.cacheDir ?? defaultCacheDir(env));
  const handles = new Map<string, LazyHandle>();
  let warnings: string[] = [];
  let closed = false;

  const runOne = async (c: Candidate, signal: AbortSignal | undefined): Promise<CacheEntry> => {
    const base = { size: c.size, mtimeMs: c.mtimeMs, ctimeMs: c.ctimeMs };
    // Only a cache miss runs a plugin: the spawn and parse code loads then.
    const { CapabilitiesError, parseCapabilities, runCapabilities } = await import('./capabilities.js');
    try {
      const text = await runCapabilities(c.path, { env, timeoutMs: options.capabilitiesTimeoutMs ?? 10_000, ...(signal ? { signal } : {}) });
      return { ...base, capabilities: parseCapabilities(text) };
    } catch (e) {
      if (!(e instanceof CapabilitiesError)) {
        throwIfAborted(signal);
        throw e;
      }
      logger.debug(`plugin ${c.id}: skipped: ${e.message}`, { plugin: c.id, path: c.path });
      return { ...base, error: e.message };
    }
  };

  const discover: PluginManager['discover'] = async ({ signal } = {}) => {
    throwIfAborted(signal);
    const found = findCandidates(options.directories);
    warnings = [...found.warnings];
    const cache: CacheEntries = cacheDir ? readCache(cacheDir) : {};
    const entries: (CacheEntry | undefined)[] = found.candidates.map((c) => cachedFor(cache, c));
    const misses = found.candidates.filter((_c, i) => entries[i] === undefined);
    if (misses.length) {
      const ran = await mapLimit(misses, CAPABILITY_RUNS_IN_PARALLEL, (c) => runOne(c, signal));
      let k = 0;
      for (let i = 0; i < entries.length; i++) if (entries[i] === undefined) entries[i] = ran[k++];
    }
    if (cacheDir) {
      // One cache serves every plugin directory a user alternates between (`--plugin-directory`):
      // entries outside the directories walked now are kept while their file exists; entries inside
      // them that are no longer plugins are dropped. Rewritten only when something changed.
      const current = new Set(found.candidates.map((c) => c.path));
      const roots = options.directories.map((d) => resolve(d));
      const inWalked = (p: string) => roots.some((r) => p === r || p.startsWith(r.endsWith(sep) ? r : r + sep));
      const vanished = Object.keys(cache).filter((p) => !current.has(p) && inWalked(p));
      if (misses.length || vanished.length) {
        const next: CacheEntries = {};
        for (const [p, e] of Object.entries(cache)) if (!current.has(p) && !inWalked(p) && existsSync(p)) next[p] = e;
        found.candidates.forEach((c, i) => (next[c.path] = entries[i]!));
        const w = writeCache(cacheDir, next);
        if (w) warnings.push(w);
      }
    }
    for (const w of warnings) logger.warn(w);
    const claimed = new Map<string, string>();
    const ranNow = new Set(misses);
    const infos: PluginInfo[] = found.candidates.map((c, i) => {
      const e = entries[i]!;
      const cached = !ranNow.has(c);
      if (e.error !== undefined) return { id: c.id, path: c.path, error: e.error, cached };
      const conflict = claim(claimed, c.id, e.capabilities!);
      if (conflict) return { id: c.id, path: c.path, error: conflict, cached };
      return { id: c.id, path: c.path, capabilities: e.capabilities!, cached };
    });
    for (const d of found.duplicates) infos.push({ id: d.id, path: d.path, error: d.error });
    return infos;
  };

  const configTypesFor = (caps: PluginCapabilities): Record<string, unknown>[] =>
    (options.configEntries ?? []).filter((e) => caps.supportedConfigTypes.some((t) => sameType(t, e.type))).map((e) => ({ ...e.value }));

  const handleFor = (info: PluginInfo & { capabilities: PluginCapabilities }): LazyHandle => {
    const existing = handles.get(info.id);
    if (existing && existing.path === info.path) return existing;
    const configTypes = configTypesFor(info.capabilities);
    // Checked off the hot path (most plugins receive no config): the redaction rules load only then.
    if (configTypes.length > 0) void warnAboutSecretConfig(info.id, configTypes, logger);
    const config: Record<string, unknown> = {
      id: info.id,
      type: options.connectionType ?? 'unix',
      pluginType: '',
      idleTimeout: options.idleTimeoutNs ?? DEFAULT_IDLE_TIMEOUT_NS,
      ...(configTypes.length ? { configTypes } : {}),
    };
    const h = new LazyHandle({
      id: info.id,
      path: info.path,
      config,
      env,
      logger,
      startTimeoutMs: options.startTimeoutMs ?? 10_000,
      stopGraceMs: options.stopGraceMs ?? 5_000,
    });
    // A replaced binary (same id, new path) keeps its old handle until shutdown, so that process is stopped too.
    handles.set(existing ? `${info.id}\u0000${info.path}` : info.id, h);
    return h;
  };

  return {
    discover,
    async load({ signal } = {}) {
      if (closed) throw new OcmError(ErrorCode.PLUGIN_ERROR, 'the plugin manager was shut down');
      const infos = await discover(signal ? { signal } : {});
      return infos
        .filter((i): i is PluginInfo & { capabilities: PluginCapabilities } => i.error === undefined && i.capabilities !== undefined)
        .map((info) => ({ info, connection: handleFor(info) }));
    },
    processes() {
      const out: { id: string; pid: number }[] = [];
      for (const h of handles.values()) {
        const p = h.running();
        if (p) out.push({ id: h.id, pid: p.pid });
      }
      return out;
    },
    async stop(id) {
      await Promise.all([...handles.values()].filter((h) => id === undefined || h.id === id).map((h) => h.stop()));
    },
    async shutdown() {
      closed = true;
      const all = [...handles.values()];
      const running = all.filter((h) => h.running());
      if (running.length > 0) logger.debug('plugins: shutting down', { running: running.map((h) => h.id).join(', ') });
      await Promise.all(all.map((h) => h.dispose()));
    },
    warnings: () => warnings,
  };
}
