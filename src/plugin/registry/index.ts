/** Plugin registries (spec §3.8): reading, publishing, installing and downloading plugins. */
export { currentPlatform, goOs, goArch, formatPlatform, parsePlatform, compareVersions, latestVersion, nextMinor, type Platform } from './platform.js';
export {
  openRegistry, listPlugins, findPlugin, choosePlugin, pluginsOf, parsePluginInfoLabel, parsePluginSpec, pluginMatches, registryReference, requireRegistries, sortPlugins,
  PLUGIN_INFO_LABEL, DEFAULT_REGISTRY_COMPONENT, type RegistryPlugin, type RegistryOptions, type OpenedRegistry,
} from './registry.js';
export {
  addToRegistry, platformsOf, referenceNameFor, PLUGIN_RESOURCE_TYPE, DESCRIPTION_LABEL, FIRST_REGISTRY_VERSION, REGISTRY_TEMPLATE_LABELS,
  type AddToRegistryOptions, type AddToRegistryResult,
} from './publish.js';
export { verifyTrusted, type PluginVerification } from './verify.js';
export { selectPluginResources, VALIDATE_TIMEOUT_MS, type ResourceSelector, type FetchOptions } from './fetch.js';
export {
  installPlugin, installResolved, uninstallPlugin, upgradePlugins, listInstalled, pluginFileName, METADATA_DIR,
  type InstallOptions, type InstalledPlugin, type UpgradeResult,
} from './install.js';
export { downloadPlugin, type DownloadPluginOptions, type DownloadedPlugin } from './download.js';
