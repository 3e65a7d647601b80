import { dirname } from 'node:path';
import { realpathSync } from 'node:fs';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import type { OcmConfig } from '../credentials/config.js';
import type { CredentialGraph } from '../credentials/graph.js';
import type { GlobalOptions } from './global-options.js';

/**
 * The configuration and credential graph of this CLI invocation: loaded once per process from
 * `--config` files (strict) or discovery (lenient), warnings printed once to stderr. Every
 * command gets credentials through here, never per command.
 */
let loaded: Promise<{ config: OcmConfig; graph?: CredentialGraph; graphError?: unknown }> | undefined;
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

async function load(globals: GlobalOptions) {
  loaded ??= (async () => {
    const { loadConfig, createCredentialGraph } = await import('../credentials/index.js');
    const config = await loadConfig({ files: globals.config, cwd: process.cwd(), env: process.env, execDir: executableDir() });
    try {
      return { config, graph: createCredentialGraph(config, { env: process.env }) };
    } catch (e) {
      // `ocm get config` must still show a config whose credentials part is broken.
      return { config, graphError: e };
    }
  })();
  return loaded;
}

/** The effective merged configuration (for commands that read their own config types). */
export async function configFor(globals: GlobalOptions): Promise<OcmConfig> {
  const l = await load(globals);
  warn(l.config.warnings);
  return l.config;
}

/** The credential graph of this invocation (validated: a broken credentials config throws CONFIG_ERROR). */
export async function credentialGraphFor(globals: GlobalOptions): Promise<CredentialGraph> {
  const l = await load(globals);
  warn([...l.config.warnings, ...(l.graph?.warnings ?? [])]);
  if (!l.graph) throw l.graphError;
  return l.graph;
}

/** The credential resolver for this CLI invocation (from `.ocmconfig` discovery or `--config`). */
export async function credentialResolverFor(globals: GlobalOptions): Promise<CredentialResolver> {
  return await credentialGraphFor(globals);
}
