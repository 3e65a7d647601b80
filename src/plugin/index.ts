/**
 * The plugin host's public surface (the CLI and library users start here). The SDK for plugin
 * authors is separate (`sdk/`), so a plugin never loads the host.
 */
export { createPluginManager, pluginSettings, type PluginManager, type PluginManagerOptions } from './manager.js';
export { parseGoDuration, PLUGIN_CONFIG_TYPE, DEFAULT_IDLE_TIMEOUT_NS } from './settings.js';
export { defaultCacheDir, CACHE_FILE } from './discovery.js';
export type * from './types.js';
export { CAPABILITY_LIST_FIELDS } from './types.js';
export { pluginRegistriesOf } from './settings.js';
export * from './registry/index.js';
