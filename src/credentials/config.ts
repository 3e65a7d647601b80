/**
 * `.ocmconfig` loading moved to `src/config/` (it is not credential-specific: transfer, signing and
 * resolvers read their entries from it too). Re-exported here for existing importers.
 */
export * from '../config/load.js';
