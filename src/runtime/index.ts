export * from './errors.js';
export * from './type-registry.js';
export * from './identity.js';
export * from './credentials-types.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
