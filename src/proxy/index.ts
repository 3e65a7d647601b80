/** The registry proxy's library surface (`ocm proxy serve` is the CLI shell around it). */
export { startProxy } from './server.js';
export { parseListen } from './config.js';
export * from './types.js';
