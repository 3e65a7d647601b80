/**
 * A `Session`: what every ocm-ts program needs around the library, without the CLI — the
 * configuration (`.ocmconfig` discovery or explicit files), the credential resolver built from it,
 * a cancellation signal, a logger and the type registry. The CLI, the docker/bazel credential
 * helpers, the registry proxy and a controller all construct one with `createSession`.
 *
 * Everything is lazy: the config is read on first use, and the credential graph (the heavier
 * modules) is loaded and built on the first credential lookup, so runs that never need
 * credentials (a CTF) never pay for it. The library stays silent: warnings are returned
 * (`config().warnings`, `credentialGraph().warnings`), printing them is the caller's choice.
 */
import type { CredentialResolver } from '../runtime/credentials-types.js';
import { silentLogger, type Logger } from '../runtime/logger.js';
import { defaultTypeRegistry, type TypeRegistry } from '../runtime/type-registry.js';
import type { OcmConfig } from '../config/load.js';
import type { CredentialGraph, CredentialPlugin, RepositoryPlugin } from '../credentials/graph.js';
import { registerCredentialBuiltins } from '../credentials/typed.js';

export interface SessionOptions {
  /** Explicit config files (`--config`): replace discovery, and every error is fatal. */
  configFiles?: readonly string[];
  /** An already loaded config (in-memory documents, tests); replaces files and discovery. */
  config?: OcmConfig;
  /** Environment for discovery, $HOME, $DOCKER_CONFIG and helper processes (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Working directory for discovery (default process.cwd()). */
  cwd?: string;
  /** Directory of the running executable (discovery candidates 10–11). */
  execDir?: string;
  /** Cancels config loading and credential lookups (default: never aborted). */
  signal?: AbortSignal;
  logger?: Logger;
  /** Type registry (default: the process-wide one); credential kinds are registered into it. */
  types?: TypeRegistry;
  /** Credential plugins by credential type (indirect credentials, e.g. a vault). */
  credentialPlugins?: Readonly<Record<string, CredentialPlugin>>;
  /** Credential repository plugins by repository type. */
  repositoryPlugins?: Readonly<Record<string, RepositoryPlugin>>;
}

export interface Session {
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly env: NodeJS.ProcessEnv;
  /** The type registry of this session (repository, access, credential, ... kinds). */
  readonly types: TypeRegistry;
  /** The merged configuration, loaded once (CONFIG_ERROR for a broken explicit file). */
  config(): Promise<OcmConfig>;
  /**
   * The credential graph, built once: this validates the credentials part of the config
   * (CONFIG_ERROR naming file and entry path) and is what `ocm get config` and
   * `ocm get credentials` both rely on.
   */
  credentialGraph(): Promise<CredentialGraph>;
  /** Resolves by consumer identity; the graph is built on the first lookup. */
  readonly credentials: CredentialResolver;
}

/** Creates a session; reads nothing until it is used. */
export function createSession(options: SessionOptions = {}): Session {
  const env = options.env ?? process.env;
  const signal = options.signal ?? new AbortController().signal;
  const logger = options.logger ?? silentLogger;
  const types = registerCredentialBuiltins(options.types ?? defaultTypeRegistry);
  let config: Promise<OcmConfig> | undefined;
  let graph: Promise<CredentialGraph> | undefined;

  const loadConfigOnce = (): Promise<OcmConfig> =>
    (config ??= options.config
      ? Promise.resolve(options.config)
      : import('../config/load.js').then(({ loadConfig }) =>
          loadConfig({ files: options.configFiles, cwd: options.cwd ?? process.cwd(), env, execDir: options.execDir, signal }),
        ));

  const graphOnce = (): Promise<CredentialGraph> =>
    (graph ??= (async () => {
      const cfg = await loadConfigOnce();
      const { buildCredentialGraph } = await import('../credentials/graph.js');
      // Waits for plugin credential types to answer `/consumer-identity`, so a failing plugin entry is a config error here.
      return await buildCredentialGraph(cfg, {
        env,
        logger,
        types,
        ...(options.credentialPlugins ? { credentialPlugins: options.credentialPlugins } : {}),
        ...(options.repositoryPlugins ? { repositoryPlugins: options.repositoryPlugins } : {}),
      });
    })());

  return {
    signal,
    logger,
    env,
    types,
    config: loadConfigOnce,
    credentialGraph: graphOnce,
    credentials: {
      async resolve(identity, opts) {
        const own = opts?.signal;
        return await (await graphOnce()).resolve(identity, { signal: own && own !== signal ? AbortSignal.any([own, signal]) : signal });
      },
    },
  };
}
