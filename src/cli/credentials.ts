import type { CredentialResolver } from '../runtime/credentials-types.js';
import type { OcmConfig } from '../config/load.js';
import type { CredentialGraph } from '../credentials/graph.js';
import type { GlobalOptions } from './global-options.js';
import { ocmSession } from './session.js';

/**
 * The configuration and credential graph of this CLI invocation, from the library session
 * (`src/session/`): loaded once per process from `--config` files (strict) or discovery
 * (lenient); this file only prints the session's warnings, once, to stderr.
 *
 * Start-up: with no config file found (the common case) nothing can warn or fail, so the graph
 * modules are loaded only when a credential is actually looked up (CTF-only runs never do).
 */
const printed = new Set<string>();

function warn(lines: readonly string[]): void {
  for (const l of lines) {
    if (printed.has(l)) continue;
    printed.add(l);
    process.stderr.write(`Warning: ${l}\n`);
  }
}

/** The effective merged configuration (for commands that read their own config types; not validated). */
export async function configFor(globals: GlobalOptions): Promise<OcmConfig> {
  const config = await ocmSession(globals).config();
  warn(config.warnings);
  return config;
}

/** The credential graph of this invocation (validated: a broken credentials config throws CONFIG_ERROR). */
export async function credentialGraphFor(globals: GlobalOptions): Promise<CredentialGraph> {
  const session = ocmSession(globals);
  warn((await session.config()).warnings);
  const graph = await session.credentialGraph();
  warn(graph.warnings);
  return graph;
}

/** The configuration, validated exactly as `credentialGraphFor` does (`ocm get config`). */
export async function validatedConfigFor(globals: GlobalOptions): Promise<OcmConfig> {
  await credentialGraphFor(globals);
  return await ocmSession(globals).config();
}

/** The credential resolver for this CLI invocation (from `.ocmconfig` discovery or `--config`). */
export async function credentialResolverFor(globals: GlobalOptions): Promise<CredentialResolver> {
  const config = await configFor(globals);
  // A config file (found or given) may warn or fail when its graph is built: do that now, as always.
  if (config.explicit || (config.found ?? config.sources).length > 0 || config.warnings.length > 0) return await credentialGraphFor(globals);
  return { resolve: async (identity, options) => await (await credentialGraphFor(globals)).resolve(identity, options) };
}
