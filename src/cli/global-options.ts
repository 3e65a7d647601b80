import type { Command } from 'commander';

/** Options every command sees (defined on the root program). */
export interface GlobalOptions {
  /** `--config FILE` (repeatable): replaces config discovery and makes config errors fatal. */
  config?: string[];
  debug?: boolean;
  /** Allow plain HTTP to non-loopback registries. */
  plainHttp?: boolean;
  /** `--plugin-directory DIR` as given (`$VAR` not yet expanded); undefined = the default `$HOME/.config/ocm/plugins`. */
  pluginDirectory?: string;
  /** `--plugin-start-timeout DURATION` in milliseconds (parsed by the option). */
  pluginStartTimeout?: number;
}

/** The root program's options, read from any sub-command. */
export function globals(cmd: Command): GlobalOptions {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  return root.opts<GlobalOptions>();
}

/** `--debug` or `OCM_DEBUG=1`. */
export function debugEnabled(g: GlobalOptions): boolean {
  return g.debug === true || process.env.OCM_DEBUG === '1';
}
