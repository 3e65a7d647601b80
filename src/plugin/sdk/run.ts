/**
 * The plugin's `main`: `capabilities` prints the capabilities JSON; otherwise `--config '<json>'`
 * starts the server. Signals, the stdin watch and the exit code live here (the library parts
 * never exit the process).
 */
import { capabilitiesJson } from './capabilities.js';
import type { PluginDefinition } from './contracts.js';
import { pluginTempDirs } from './files.js';
import { createLogger, type Logger } from './log.js';
import { startServer, type PluginConfig, type RunningPlugin } from './server.js';

export interface RunOptions {
  readonly argv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout?: { write(s: string): unknown };
  readonly stderr?: { write(s: string): unknown };
  /** Called with the exit code when the plugin is done (default: `process.exit`). */
  readonly exit?: (code: number) => void;
  /** Install SIGINT/SIGTERM handlers and the stdin watch (default true). */
  readonly handleProcess?: boolean;
}

function configFrom(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--config' || a === '-config') return args[i + 1];
    if (a.startsWith('--config=')) return a.slice('--config='.length);
  }
  return undefined;
}

/** Parses and checks the `--config` JSON; throws an Error whose message is the one-line reason. */
export function parseConfig(raw: string | undefined): PluginConfig {
  if (raw === undefined) throw new Error('missing --config \'<json>\' (or run with "capabilities")');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new Error(`invalid --config JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('invalid --config: must be a JSON object');
  const c = parsed as Record<string, unknown>;
  if (typeof c.id !== 'string' || c.id === '') throw new Error('invalid --config: plugin id is required');
  if (c.type !== undefined && c.type !== 'unix' && c.type !== 'tcp') throw new Error(`invalid --config: type must be "unix" or "tcp", got ${JSON.stringify(c.type)}`);
  if (c.idleTimeout !== undefined && (typeof c.idleTimeout !== 'number' || !Number.isFinite(c.idleTimeout) || c.idleTimeout < 0)) {
    throw new Error('invalid --config: idleTimeout must be a non-negative integer of nanoseconds');
  }
  if (c.configTypes !== undefined && !Array.isArray(c.configTypes)) throw new Error('invalid --config: configTypes must be an array');
  return c as unknown as PluginConfig;
}

/**
 * Runs a plugin as its executable's entry point:
 * `<plugin> capabilities` prints the capabilities and exits 0; `<plugin> --config '<json>'` serves
 * until idle timeout, `/shutdown`, SIGINT/SIGTERM or (with `OCM_PLUGIN_STDIN_WATCH=1`) stdin EOF,
 * then exits 0. Bad arguments: one line on stderr, exit 1. Resolves with the running plugin (or
 * undefined after `capabilities`/errors).
 */
export async function runPlugin(def: PluginDefinition, options: RunOptions = {}): Promise<RunningPlugin | undefined> {
  const args = options.argv ?? process.argv.slice(2);
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const log: Logger = createLogger(stderr);

  if (args[0] === 'capabilities') {
    const text = `${JSON.stringify(capabilitiesJson(def))}\n`;
    // process.stdout on a pipe is asynchronous on some platforms: exit only once it is flushed.
    if (stdout === process.stdout) process.stdout.write(text, () => exit(0));
    else {
      stdout.write(text);
      exit(0);
    }
    return undefined;
  }
  let running: RunningPlugin;
  try {
    const config = parseConfig(configFrom(args));
    running = await startServer(def, config, { stdout, log, tempDirs: pluginTempDirs });
  } catch (e) {
    stderr.write(`${(e instanceof Error ? e.message : String(e)).split('\n')[0]}\n`);
    exit(1);
    return undefined;
  }

  if (options.handleProcess !== false) {
    // When the host dies, writing our logs to its closed pipes fails (EPIPE): that must not crash
    // the plugin before it has removed its socket and temp files.
    process.stdout.on('error', () => {});
    process.stderr.on('error', () => {});
    const onSignal = (sig: string) => void running.stop(`signal ${sig}`);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // The host keeps our stdin open; EOF means it died without stopping us.
    if (env.OCM_PLUGIN_STDIN_WATCH === '1') {
      process.stdin.on('data', () => {});
      process.stdin.once('end', () => void running.stop('stdin closed'));
      process.stdin.once('error', () => void running.stop('stdin closed'));
    }
    void running.stopped.then(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (env.OCM_PLUGIN_STDIN_WATCH === '1') process.stdin.destroy();
    });
  }
  void running.stopped.then(() => exit(0));
  return running;
}
