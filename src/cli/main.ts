/**
 * The `ocm` command tree. Command files only declare flags and help; each action imports the
 * library lazily. Only the command files of the verb on the command line are loaded (each file
 * costs about a millisecond of start-up); `--help` on the root needs none of them.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { VERSION } from '../version.js';
import { register as versionCommand } from './commands/version.js';

type CommandModule = Promise<{ register(parent: Command): void }>;

/** Verbs in help order, each with its command files in help order. */
const VERBS: readonly { name: string; description: string; commands: readonly (() => CommandModule)[] }[] = [
  { name: 'add', description: 'add component versions to a repository', commands: [() => import('./commands/add-component-version.js')] },
  { name: 'list', description: 'list the components a repository holds', commands: [() => import('./commands/list-components.js')] },
  {
    name: 'get',
    description: 'show component versions, repository inventories, configuration and credentials',
    commands: [
      () => import('./commands/get-component-version.js'),
      () => import('./commands/get-inventory.js'),
      () => import('./commands/get-config.js'),
      () => import('./commands/get-credentials.js'),
    ],
  },
  { name: 'download', description: 'download resources and plugins', commands: [() => import('./commands/download-resource.js'), () => import('./commands/download-plugin.js')] },
  { name: 'sign', description: 'sign component versions', commands: [() => import('./commands/sign-component-version.js')] },
  { name: 'verify', description: 'verify component version signatures', commands: [() => import('./commands/verify-component-version.js')] },
  { name: 'transfer', description: 'transfer component versions between repositories', commands: [() => import('./commands/transfer-component-version.js')] },
  { name: 'deploy', description: 'localize deployable resources of component versions and render them', commands: [() => import('./commands/deploy.js')] },
  { name: 'controller', description: 'run the deploy controller: poll, verify, localize and apply new component versions', commands: [() => import('./commands/controller.js')] },
  { name: 'describe', description: 'describe the registered types (built-in and plugin) and their schemas', commands: [() => import('./commands/describe-types.js')] },
  {
    name: 'plugin',
    description: 'list, install, upgrade and uninstall plugins; plugin registries; stop left-over plugin processes',
    commands: [() => import('./commands/plugin.js'), () => import('./commands/plugin-install.js'), () => import('./commands/plugin-registry.js')],
  },
  {
    name: 'credential-helper',
    description: 'the Bazel credential helper (get, setup-uri, agent-*) and install for Bazel, docker, podman and skopeo',
    commands: [() => import('./commands/credential-helper.js')],
  },
  { name: 'proxy', description: 'serve registry connectors through an auth-injecting proxy; client configs and tokens', commands: [() => import('./commands/proxy.js')] },
];

/** Root options that take a value: the word after them is not the verb. */
const ROOT_OPTIONS_WITH_VALUE = new Set(['--config', '--plugin-directory', '--plugin-start-timeout']);

/**
 * The verb an argv (`node ocm.js ...`) invokes: a known verb's name, `undefined` when there is no
 * word at all (root help/version), or `'*'` when every command may be needed (`help`, typos).
 */
export function verbOf(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args[i + 1] === undefined ? undefined : verbName(args[i + 1]!);
    if (ROOT_OPTIONS_WITH_VALUE.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return verbName(a);
  }
  return undefined;
}

/** Commands directly on the root (no verb group): small files; naming one loads no verb's commands. */
const ROOT_COMMANDS: readonly { name: string; load: () => CommandModule }[] = [{ name: 'view', load: () => import('./commands/view.js') }];

function verbName(word: string): string {
  return VERBS.some((v) => v.name === word) || ROOT_COMMANDS.some((c) => c.name === word) ? word : '*';
}

/**
 * The program with the command files `argv` needs (all of them without `argv`). Behaviour is the
 * same either way: a verb's help and parsing only ever look at that verb's own commands.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const wanted = argv === undefined ? '*' : verbOf(argv);
  const program = new Command('ocm')
    .description('Open Component Model toolchain (TypeScript): build, store, sign, verify and transfer component versions')
    .version(VERSION, '-v, --version', 'print the version')
    .option('--config <file>', 'use this .ocmconfig instead of discovery (repeatable; errors become fatal)', collect)
    .addOption(new Option('--plain-http', 'allow plain HTTP to registries that are not on loopback'))
    .option('--debug', 'print stack traces on errors, and debug logs (plugin start, idle, stop, plugin log lines) on stderr')
    .option('--plugin-directory <dir>', 'where plugins are discovered, recursively ($VAR expanded; default $HOME/.config/ocm/plugins)')
    .addOption(new Option('--plugin-start-timeout <duration>', 'how long a plugin may take to become ready (e.g. 500ms, 10s; default 10s)').argParser(parseDuration))
    // Usage errors follow the same one-line form as every other error: `Error: ... [INVALID_ARGUMENT]`.
    .configureOutput({
      outputError: (str, write) => {
        const text = str.replace(/^error:\s*/i, '').replace(/\s*\n\s*/g, ' ').trim();
        write(`Error: ${text} (see --help) [INVALID_ARGUMENT]\n`);
      },
    })
    .exitOverride((err) => {
      // commander usage errors → exit code 2 (INVALID_ARGUMENT); help/version → 0
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
      process.exit(err.exitCode === 0 ? 0 : 2);
    });

  // `ocm controller run --config controller.yaml`: the run's --config is the controller config, so
  // root options (the .ocmconfig --config, --debug) go before the verb for this verb only.
  if (wanted === 'controller') program.enablePositionalOptions();
  const verbs = VERBS.map((v) => ({ verb: program.command(v.name).description(v.description), commands: v.commands, load: wanted === '*' || wanted === v.name }));
  // Load in parallel, register in declaration order (help lists commands in registration order).
  const modules = await Promise.all(verbs.map((v) => (v.load ? Promise.all(v.commands.map((load) => load())) : [])));
  verbs.forEach((v, i) => modules[i]!.forEach((m) => m.register(v.verb)));
  // Always registered: they appear in the root help, which must not depend on the verb.
  for (const c of ROOT_COMMANDS) (await c.load()).register(program);
  versionCommand(program);
  // Plugin types are registered before any command runs, so a plugin type works wherever a
  // built-in one does. Loads nothing of the plugin host unless a plugin directory has entries.
  program.hook('preAction', async (_root, actionCommand) => {
    if (actionCommand.name() === 'version') return;
    const [{ pluginsFor }, { globals }] = await Promise.all([import('./plugins.js'), import('./global-options.js')]);
    await pluginsFor(globals(actionCommand));
  });
  return program;
}

/** `500ms`, `10s`, `2m` or plain milliseconds → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const n = m ? Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 } as const)[(m[2] ?? 'ms') as 'ms' | 's' | 'm'] : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${text}" is not a duration: use e.g. 500ms, 10s or 2m`);
  return Math.round(n);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
