/** The registry proxy's library surface (`ocm proxy serve` is the CLI shell around it). */
export { startProxy, parseListen } from './server.js';
export * from './types.js';
