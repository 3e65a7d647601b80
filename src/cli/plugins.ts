/**
 * The CLI's plugin wiring: one plugin manager per process, its types registered into the
 * invocation's type registry before a command runs, and shut down on every way out.
 *
 * Start-up is a feature: the plugin host is imported (dynamically) only when a plugin directory
 * has entries or the config names plugin `locations`; otherwise nothing of it is loaded. A broken
 * plugin never breaks a command that does not need it: problems are kept for `ocm plugin list`
 * and printed only next to an error about a type nobody provides.
 */
import { opendir } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { ConfigEntry } from '../config/load.js';
import type { RegistrationProblem } from '../plugin/adapters/index.js';
import type { PluginManager, PluginManagerOptions } from '../plugin/manager.js';
import type { LoadedPlugin, PluginInfo } from '../plugin/types.js';
import { isOcmError } from '../runtime/errors.js';
import { silentLogger, type Logger } from '../runtime/logger.js';
import type { TypeRegistry } from '../runtime/type-registry.js';
import type { GlobalOptions } from './global-options.js';
import { onErrorHints, onFinish } from './run.js';

export const PLUGIN_CONFIG_TYPE = 'plugin.config.ocm.software/v2alpha1';
export const DEFAULT_PLUGIN_DIRECTORY = '$HOME/.config/ocm/plugins';

export interface PluginState {
  /** Undefined when no plugin directory had entries (nothing was loaded) or the manager failed. */
  readonly manager?: PluginManager;
  /** The directories searched (flag or default first, then config `locations`). */
  readonly directories: readonly string[];
  readonly loaded: readonly LoadedPlugin[];
  /** Plugins skipped whole at registration (conflicting types). */
  readonly problems: readonly RegistrationProblem[];
  /** Why plugins could not be loaded at all; commands go on without them. */
  readonly error?: string;
}

/** Seams for tests (a fake manager) and for callers that already hold config and registry. */
export interface PluginDeps {
  readonly createPluginManager?: (options: PluginManagerOptions) => PluginManager;
  readonly pluginSettings?: (entries: readonly ConfigEntry[], flag: string | undefined, env: NodeJS.ProcessEnv) => { directories: string[]; idleTimeoutNs: number };
  readonly registerPluginTypes?: (registry: TypeRegistry, plugins: readonly LoadedPlugin[]) => RegistrationProblem[];
  /** Config entries (default: the session's config; a config that fails to load counts as none here). */
  readonly configEntries?: readonly ConfigEntry[];
  readonly registry?: TypeRegistry;
  readonly logger?: Logger;
  readonly env?: NodeJS.ProcessEnv;
}

let state: Promise<PluginState> | undefined;

/** `$VAR` and `${VAR}` from `env` (Go's os.ExpandEnv: unset variables become empty). */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    return env[name] ?? (name === 'HOME' ? homedir() : '');
  });
}

async function hasEntries(dir: string): Promise<boolean> {
  if (dir === '') return false;
  try {
    const d = await opendir(dir);
    try {
      return (await d.read()) !== null;
    } finally {
      await d.close().catch(() => undefined);
    }
  } catch {
    return false; // missing or unreadable: no plugins from here (the manager says why in `plugin list`)
  }
}

/** True when config entries of the plugin config type name `locations` to search. */
function configNamesLocations(entries: readonly ConfigEntry[]): boolean {
  return entries.some((e) => e.type.toLowerCase() === PLUGIN_CONFIG_TYPE && Array.isArray(e.value.locations) && e.value.locations.length > 0);
}

/**
 * The plugins of this invocation, loaded once per process and registered into the type registry.
 * Never throws: a failure is kept in `error` (and in the debug log).
 */
export function pluginsFor(globals: GlobalOptions, deps: PluginDeps = {}): Promise<PluginState> {
  state ??= loadPlugins(globals, deps);
  return state;
}

async function loadPlugins(globals: GlobalOptions, deps: PluginDeps): Promise<PluginState> {
  const env = deps.env ?? process.env;
  const session = deps.configEntries && deps.registry ? undefined : (await import('./session.js')).ocmSession(globals);
  const logger = deps.logger ?? session?.logger ?? silentLogger;
  const registry = deps.registry ?? session!.types;
  let entries = deps.configEntries;
  if (!entries) {
    try {
      entries = (await session!.config()).entries;
    } catch {
      entries = []; // the command reports a broken config itself
    }
  }
  // What plugins cost at start-up (config loading is shared with every command, so not counted).
  const started = performance.now();
  const took = () => ({ ms: Number((performance.now() - started).toFixed(1)) });
  const flagDir = expandEnv(globals.pluginDirectory ?? DEFAULT_PLUGIN_DIRECTORY, env);
  const directories = [flagDir];
  if (!(await hasEntries(flagDir)) && !configNamesLocations(entries)) {
    logger.debug(`plugins: none (${flagDir} is missing or empty, no plugin locations configured)`, took());
    return { directories, loaded: [], problems: [] };
  }
  let manager: PluginManager | undefined;
  try {
    // Both modules load at once (module loading is start-up time); the adapters are needed right after.
    const [host, adapters] = await Promise.all([
      deps.createPluginManager && deps.pluginSettings ? undefined : import('../plugin/manager.js'),
      deps.registerPluginTypes ? undefined : import('../plugin/adapters/index.js'),
    ]);
    // The default spelled out, so the host expands it exactly as it expands a given flag.
    const settings = (deps.pluginSettings ?? host!.pluginSettings)(entries, globals.pluginDirectory ?? DEFAULT_PLUGIN_DIRECTORY, env);
    manager = (deps.createPluginManager ?? host!.createPluginManager)({
      directories: settings.directories,
      idleTimeoutNs: settings.idleTimeoutNs,
      configEntries: entries,
      env,
      logger,
      ...(globals.pluginStartTimeout !== undefined ? { startTimeoutMs: globals.pluginStartTimeout } : {}),
    });
    const m = manager;
    onFinish(() => m.shutdown());
    // Last resort when the process exits without the orderly path (second Ctrl-C, process.exit):
    // no plugin process started here may outlive the CLI.
    process.once('exit', () => {
      for (const p of m.processes()) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    });
    const signal = session?.signal;
    // Ctrl-C: stop the plugins at once, not only when the interrupted command has unwound.
    signal?.addEventListener('abort', () => void m.shutdown().catch(() => undefined), { once: true });
    const loaded = await manager.load(signal ? { signal } : {});
    const register = deps.registerPluginTypes ?? adapters!.registerPluginTypes;
    const problems = register(registry, loaded);
    for (const p of problems) logger.debug(`plugin "${p.id}" skipped: ${p.error}`);
    logger.debug(`plugins loaded: ${loaded.map((p) => p.info.id).join(', ') || 'none'}`, { directories: settings.directories, ...took() });
    const result: PluginState = { manager, directories: settings.directories, loaded, problems };
    onErrorHints((e) => hintsFor(e, result));
    return result;
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    logger.debug(`plugins not loaded: ${error}`);
    const result: PluginState = { ...(manager ? { manager } : {}), directories, loaded: [], problems: [], error };
    onErrorHints((err) => hintsFor(err, result));
    return result;
  }
}

/**
 * Warning lines for an error about a type nobody provides (UNSUPPORTED naming a `type`): the
 * plugins that were skipped, since one of them may be the missing provider.
 */
export async function hintsFor(e: unknown, s: PluginState): Promise<string[]> {
  if (!isOcmError(e) || e.code !== 'UNSUPPORTED') return [];
  const type = (e as { details?: { type?: unknown } }).details?.type;
  if (typeof type !== 'string' || type === '') return [];
  if (s.error) return [`plugins were not loaded (${s.error}); a plugin may provide type "${type}"`];
  const lines = s.problems.filter((p) => p.error.toLowerCase().includes(type.toLowerCase())).map((p) => `plugin "${p.id}" was skipped: ${p.error}`);
  let infos: PluginInfo[] = [];
  try {
    infos = s.manager ? await s.manager.discover() : [];
  } catch {
    /* discovery already failed for `load`; nothing more to say */
  }
  for (const i of infos) if (i.error) lines.push(`plugin "${i.id}" (${i.path}) was skipped: ${i.error}; it may provide type "${type}" (see: ocm plugin list)`);
  return lines;
}

/** The process-wide registry with every built-in layer registered (plugin types are in it already). */
export async function allBuiltinTypes(): Promise<TypeRegistry> {
  const [{ registerBuiltins }, { registerBuiltinInputs }, { registerSigningTypes }, { registerCredentialBuiltins }, { defaultTypeRegistry }] = await Promise.all([
    import('../repository/builtins.js'),
    import('../constructor/inputs/index.js'),
    import('../signing/types.js'),
    import('../credentials/typed.js'),
    import('../runtime/type-registry.js'),
  ]);
  return registerCredentialBuiltins(registerSigningTypes(registerBuiltinInputs(registerBuiltins(defaultTypeRegistry))));
}

/** Forgets the loaded state (tests only; the manager is not shut down here). */
export function resetPluginsForTests(): void {
  state = undefined;
}
