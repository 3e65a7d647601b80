/**
 * The `ocm` command tree. Command files only declare flags and help; each action imports the
 * library lazily, so `ocm --version` and `--help` stay close to bare `node` start-up time.
 */
import { Command, Option } from 'commander';
import { VERSION } from '../version.js';
import { register as addComponentVersion } from './commands/add-component-version.js';
import { register as getComponentVersion } from './commands/get-component-version.js';
import { register as downloadResource } from './commands/download-resource.js';
import { register as getConfig } from './commands/get-config.js';
import { register as getCredentials } from './commands/get-credentials.js';
import { register as signComponentVersion } from './commands/sign-component-version.js';
import { register as verifyComponentVersion } from './commands/verify-component-version.js';
import { register as versionCommand } from './commands/version.js';
import { register as transferComponentVersion } from './commands/transfer-component-version.js';

export function buildProgram(): Command {
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

  const verb = (name: string, description: string) => program.command(name).description(description);
  const add = verb('add', 'add component versions to a repository');
  const get = verb('get', 'show component versions, configuration and credentials');
  const download = verb('download', 'download resources');
  const sign = verb('sign', 'sign component versions');
  const verify = verb('verify', 'verify component version signatures');
  const transfer = verb('transfer', 'transfer component versions between repositories');

  addComponentVersion(add);
  getComponentVersion(get);
  getConfig(get);
  getCredentials(get);
  downloadResource(download);
  signComponentVersion(sign);
  verifyComponentVersion(verify);
  transferComponentVersion(transfer);
  versionCommand(program);
  return program;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
