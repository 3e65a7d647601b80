/**
 * The plugin host: discovery, the capability cache, lazily started processes (one per binary,
 * shared by all its capabilities), HTTP+JSON calls over a Unix socket or TCP, shutdown.
 * CONTRACT SKELETON — the host helper implements it (signatures are agreed; extend compatibly).
 */
import type { ConfigEntry } from '../config/load.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import type { Logger } from '../runtime/logger.js';
import type { LoadedPlugin, PluginInfo } from './types.js';

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
}

export function createPluginManager(_options: PluginManagerOptions): PluginManager {
  throw new OcmError(ErrorCode.UNSUPPORTED, 'plugin manager not implemented yet');
}

/** Directories and idle timeout from `--plugin-directory` and `plugin.config.ocm.software/v2alpha1` entries. */
export function pluginSettings(_entries: readonly ConfigEntry[], _flagDirectory: string | undefined, _env: NodeJS.ProcessEnv): { directories: string[]; idleTimeoutNs: number } {
  throw new OcmError(ErrorCode.UNSUPPORTED, 'plugin settings not implemented yet');
}
