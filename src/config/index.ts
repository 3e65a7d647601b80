/**
 * `.ocmconfig` as library code: discovery (11 paths, Go's order), parsing (YAML/JSON), merging,
 * generic-envelope flattening and typed entries by type name. Every part of ocm-ts (credentials,
 * transfer, signing, resolvers, plugins) reads its own entry types from the one loaded `OcmConfig`.
 */
export {
  loadConfig,
  configSearchPaths,
  discoverConfigFiles,
  configEntriesOfType,
  configFromDocuments,
  parseConfigText,
  sameType,
  splitType,
  GENERIC_CONFIG_TYPE,
  CREDENTIALS_CONFIG_TYPE,
  type ConfigEntry,
  type OcmConfig,
  type LoadConfigOptions,
} from './load.js';
