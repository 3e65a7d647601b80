import type { Command } from 'commander';
import { VERSION } from '../../version.js';

export function register(program: Command): void {
  program
    .command('version')
    .description('print version information')
    .option('-o, --output <format>', 'text | json', 'text')
    .addHelpText('after', '\nExample:\n  $ ocm version -o json\n')
    .action((opts: { output: string }) => {
      const info = { version: VERSION, node: process.versions.node, platform: `${process.platform}/${process.arch}` };
      process.stdout.write(opts.output === 'json' ? `${JSON.stringify(info)}\n` : `ocm-ts ${VERSION} (node ${info.node}, ${info.platform})\n`);
    });
}
