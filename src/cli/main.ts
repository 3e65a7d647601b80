/**
 * The `ocm` command tree. Command files only declare flags and help; each action imports the
 * library lazily. Only the command files of the verb on the command line are loaded (each file
 * costs about a millisecond of start-up); `--help` on the root needs none of them.
 */
import { Command, Option } from 'commander';
import { VERSION } from '../version.js';
import { register as versionCommand } from './commands/version.js';

type CommandModule = Promise<{ register(parent: Command): void }>;

/** Verbs in help order, each with its command files in help order. */
const VERBS: readonly { name: string; description: string; commands: readonly (() => CommandModule)[] }[] = [
  { name: 'add', description: 'add component versions to a repository', commands: [() => import('./commands/add-component-version.js')] },
  {
    name: 'get',
    description: 'show component versions, configuration and credentials',
    commands: [() => import('./commands/get-component-version.js'), () => import('./commands/get-config.js'), () => import('./commands/get-credentials.js')],
  },
  { name: 'download', description: 'download resources', commands: [() => import('./commands/download-resource.js')] },
  { name: 'sign', description: 'sign component versions', commands: [() => import('./commands/sign-component-version.js')] },
  { name: 'verify', description: 'verify component version signatures', commands: [() => import('./commands/verify-component-version.js')] },
  { name: 'transfer', description: 'transfer component versions between repositories', commands: [() => import('./commands/transfer-component-version.js')] },
];

/** Root options that take a value: the word after them is not the verb. */
const ROOT_OPTIONS_WITH_VALUE = new Set(['--config']);

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

function verbName(word: string): string {
  return VERBS.some((v) => v.name === word) ? word : '*';
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
    .option('--debug', 'print stack traces on errors')
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

  const verbs = VERBS.map((v) => ({ verb: program.command(v.name).description(v.description), commands: v.commands, load: wanted === '*' || wanted === v.name }));
  // Load in parallel, register in declaration order (help lists commands in registration order).
  const modules = await Promise.all(verbs.map((v) => (v.load ? Promise.all(v.commands.map((load) => load())) : [])));
  verbs.forEach((v, i) => modules[i]!.forEach((m) => m.register(v.verb)));
  versionCommand(program);
  return program;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
