import { dirname } from 'node:path';
import { realpathSync } from 'node:fs';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import type { OcmConfig } from '../config/load.js';
import type { CredentialGraph } from '../credentials/graph.js';
import type { GlobalOptions } from './global-options.js';

/**
 * The configuration and credential graph of this CLI invocation: loaded once per process from
 * `--config` files (strict) or discovery (lenient), warnings printed once to stderr. Every
 * command gets credentials through here, never per command.
 *
 * Start-up: with no config file found (the common case) nothing can warn or fail, so the graph
 * modules are loaded only when a credential is actually looked up (CTF-only runs never do).
 */
interface Loaded {
  config: OcmConfig;
  graph?: CredentialGraph;
  graphError?: unknown;
}

let loaded: Promise<Loaded> | undefined;
let graphLoaded: Promise<Loaded> | undefined;
const printed = new Set<string>();

function executableDir(): string | undefined {
  const script = process.argv[1];
  if (!script) return undefined;
  try {
    return dirname(realpathSync(script));
  } catch {
    return dirname(script);
  }
}

function warn(lines: readonly string[]): void {
  for (const l of lines) {
    if (printed.has(l)) continue;
    printed.add(l);
    process.stderr.write(`Warning: ${l}\n`);
  }
}

async function loadConfigOnce(globals: GlobalOptions): Promise<OcmConfig> {
  loaded ??= (async () => {
    const { loadConfig } = await import('../config/load.js');
    return { config: await loadConfig({ files: globals.config, cwd: process.cwd(), env: process.env, execDir: executableDir() }) };
  })();
  return (await loaded).config;
}

async function loadGraphOnce(globals: GlobalOptions): Promise<Loaded> {
  graphLoaded ??= (async () => {
    const config = await loadConfigOnce(globals);
    const { createCredentialGraph } = await import('../credentials/graph.js');
    try {
      return { config, graph: createCredentialGraph(config, { env: process.env }) };
    } catch (e) {
      // `ocm get config` must still show a config whose credentials part is broken.
      return { config, graphError: e };
    }
  })();
  return graphLoaded;
}

/** The effective merged configuration (for commands that read their own config types). */
export async function configFor(globals: GlobalOptions): Promise<OcmConfig> {
  const config = await loadConfigOnce(globals);
  warn(config.warnings);
  return config;
}

/** The credential graph of this invocation (validated: a broken credentials config throws CONFIG_ERROR). */
export async function credentialGraphFor(globals: GlobalOptions): Promise<CredentialGraph> {
  const l = await loadGraphOnce(globals);
  warn([...l.config.warnings, ...(l.graph?.warnings ?? [])]);
  if (!l.graph) throw l.graphError;
  return l.graph;
}

/** The credential resolver for this CLI invocation (from `.ocmconfig` discovery or `--config`). */
export async function credentialResolverFor(globals: GlobalOptions): Promise<CredentialResolver> {
  const config = await loadConfigOnce(globals);
  // A config file (found or given) may warn or fail when its graph is built: do that now, as always.
  if (config.explicit || (config.found ?? config.sources).length > 0 || config.warnings.length > 0) return await credentialGraphFor(globals);
  return { resolve: async (identity, options) => await (await credentialGraphFor(globals)).resolve(identity, options) };
}
