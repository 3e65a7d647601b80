/**
 * Test kit for end-to-end plugin tests through the built CLI: a temp world with a plugin directory
 * holding the wanted example plugins (symlinked launchers, as a user installs them), a private
 * HOME / XDG dirs / TMPDIR (so no real user config or cache is touched and every temp file a host
 * or plugin creates lands where the test can see it), an optional `.ocmconfig`, and a view of the
 * plugin processes (by /proc command line) so tests can prove nothing is left running.
 * `dispose` (registered with `t.after`) SIGKILLs any plugin process still alive and removes it all.
 */
import { chmod, copyFile, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOcm, type CliResult } from './cli.js';
import { tempDir } from './fixtures.js';
import { ensureExamplesBuilt, exampleLaunchers } from './plugin-process.js';

export type ExamplePlugin = keyof typeof exampleLaunchers;

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Global flags placed before the command (e.g. `--debug`). */
  readonly flags?: readonly string[];
}

export interface PluginWorld {
  readonly root: string;
  /** The plugin directory given to every run as `--plugin-directory`. */
  readonly plugins: string;
  /** The working directory of every run. */
  readonly work: string;
  /** TMPDIR of the CLI and its plugins. */
  readonly tmp: string;
  readonly env: NodeJS.ProcessEnv;
  /** Runs `ocm --plugin-directory <plugins> [--config <cfg>] ...args` in `work`. */
  ocm(args: readonly string[], options?: RunOptions): Promise<CliResult>;
  /** Writes the `.ocmconfig` all later runs pass with `--config`. */
  writeConfig(yaml: string): Promise<void>;
  /** Writes a file under `work` and returns its path. */
  file(name: string, content: string): Promise<string>;
  /** PIDs of live processes whose command line names this world's plugin directory. */
  pluginPids(): number[];
  /** Polls (bounded) until no plugin process is left; returns those still alive at the deadline. */
  waitNoPluginProcess(timeoutMs?: number): Promise<number[]>;
  /** Entries left in TMPDIR. */
  tmpEntries(): Promise<string[]>;
  dispose(): Promise<void>;
}

/** `name` in the plugin dir as a symlink to the example launcher (TS launchers must be linked, not copied). */
async function install(plugins: string, which: ExamplePlugin, as?: string): Promise<void> {
  const target = join(plugins, as ?? `ocm-plugin-${which}`);
  if (which === 'pytools' && as) await copyFile(exampleLaunchers.pytools, target).then(() => chmod(target, 0o755));
  else await symlink(exampleLaunchers[which], target);
}

/** Process ids whose /proc cmdline contains `needle`. */
export function pidsMatching(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      // A zombie has an empty cmdline; only running processes count.
      if (cmd.includes(needle)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export async function pluginWorld(
  which: readonly ExamplePlugin[],
  options: { scripts?: Record<string, string>; copies?: Record<string, ExamplePlugin> } = {},
): Promise<PluginWorld> {
  await ensureExamplesBuilt();
  const dir = await tempDir('ocm-ts-plugin-e2e-');
  const root = dir.path;
  const plugins = join(root, 'plugins');
  const work = join(root, 'work');
  const tmp = join(root, 'tmp');
  for (const d of [plugins, work, tmp, join(root, 'home'), join(root, 'xdg-config'), join(root, 'xdg-cache')]) await mkdir(d, { recursive: true });
  for (const w of which) await install(plugins, w);
  for (const [name, w] of Object.entries(options.copies ?? {})) await install(plugins, w, name);
  for (const [name, text] of Object.entries(options.scripts ?? {})) await writeFile(join(plugins, name), text, { mode: 0o755 });
  const env: NodeJS.ProcessEnv = {
    HOME: join(root, 'home'),
    XDG_CONFIG_HOME: join(root, 'xdg-config'),
    XDG_CACHE_HOME: join(root, 'xdg-cache'),
    DOCKER_CONFIG: join(root, 'home', '.docker'),
    OCM_CONFIG: join(root, 'no-such-config'),
    TMPDIR: tmp,
    OCM_DEBUG: '',
  };
  let config: string | undefined;
  const pluginPids = () => pidsMatching(plugins);
  const world: PluginWorld = {
    root,
    plugins,
    work,
    tmp,
    env,
    ocm: (args, o = {}) =>
      runOcm([...(o.flags ?? []), '--plugin-directory', plugins, ...(config ? ['--config', config] : []), ...args], {
        cwd: work,
        env: { ...env, ...o.env },
        ...(o.input !== undefined ? { input: o.input } : {}),
        timeoutMs: o.timeoutMs ?? 60_000,
      }),
    async writeConfig(yaml) {
      config = join(root, 'ocmconfig.yaml');
      await writeFile(config, yaml, { mode: 0o600 });
    },
    async file(name, content) {
      const p = join(work, name);
      await mkdir(join(p, '..'), { recursive: true });
      await writeFile(p, content);
      return p;
    },
    pluginPids,
    async waitNoPluginProcess(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      let left = pluginPids();
      while (left.length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        left = pluginPids();
      }
      return left;
    },
    tmpEntries: () => readdir(tmp),
    async dispose() {
      for (const pid of pluginPids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await rm(root, { recursive: true, force: true });
    },
  };
  return world;
}

/** The PIDs of plugin starts in a `--debug` log (`plugin <id>: starting ... pid=<n>`). */
export function startedPids(stderr: string): { id: string; pid: number }[] {
  return [...stderr.matchAll(/^debug: plugin (\S+): starting .*\bpid=(\d+)/gm)].map((m) => ({ id: m[1]!, pid: Number(m[2]) }));
}

/** Whether a process runs: exists and is no zombie (an orphan's zombie may linger until its reaper gets to it). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/**
 * An `.ocmconfig` giving each HMAC key name its secret (consumer `{type: HMACKey, name}`, what the
 * example plugins' HMAC signer asks for), plus any further configuration entries as YAML lines.
 */
export function hmacKeysConfig(secrets: Readonly<Record<string, string>>, moreEntries = ''): string {
  const consumers = Object.entries(secrets)
    .map(([name, secret]) => `  - identity: {type: HMACKey, name: ${name}}\n    credentials:\n    - type: Credentials/v1\n      properties: {secret: ${secret}}\n`)
    .join('');
  return `type: generic.config.ocm.software/v1\nconfigurations:\n- type: credentials.config.ocm.software\n  consumers:\n${consumers}${moreEntries}`;
}

