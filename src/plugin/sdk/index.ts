/**
 * `ocm-ts/plugin`: the TypeScript SDK for OCM plugins, wire-compatible with Go OCM v2 plugins
 * (spec credentials-config-plugins-cli.md §3).
 *
 * ```ts
 * import { runPlugin, s, type Infer } from 'ocm-ts/plugin';
 * const Spec = s.object({ type: s.string(), text: s.string() }, { required: ['type', 'text'] });
 * await runPlugin({ capabilities: { inputRepository: {
 *   types: [{ type: 'Hello/v1', schema: Spec }],
 *   async processResource({ resource }) { ... return { resource, location: await writeLocation('hi') }; },
 * } } });
 * ```
 */
export { runPlugin, parseConfig, type RunOptions } from './run.js';
export { startServer, DEFAULT_IDLE_TIMEOUT_NS, type PluginConfig, type RunningPlugin } from './server.js';
export { capabilitiesJson, declaredTypeJson } from './capabilities.js';
export { s, schemaDocument, type Schema, type Infer } from './schema.js';
export { PluginError, credentialsFromHeader, typedCredentials } from './wire.js';
export { createLogger, type Logger, type LogLevel } from './log.js';
export { writeLocation, openLocation } from './files.js';
export type * from './contracts.js';
