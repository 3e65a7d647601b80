import { Option, type Command } from 'commander';
import { globals } from '../global-options.js';
import { action } from '../run.js';

/** `ocm get config`: the effective merged configuration, secrets redacted. */
export function register(parent: Command): void {
  parent
    .command('config')
    .alias('cfg')
    .description('print the effective configuration (all discovered .ocmconfig files merged, or the --config files), secrets redacted')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .addHelpText(
      'after',
      `
Discovery (without --config), every existing file merged, later ones win:
  $OCM_CONFIG, $XDG_CONFIG_HOME/ocm/config, $XDG_CONFIG_HOME/.ocmconfig, ~/.config/ocm/config,
  ~/.config/.ocmconfig, ~/.ocm/config, ~/.ocmconfig, ./.ocm/config, ./.ocmconfig,
  <executable dir>/.ocm/config, <executable dir>/.ocmconfig
The loaded files are listed as comments (yaml) before the document.
A malformed credentials part fails with the same CONFIG_ERROR as 'ocm get credentials' and every
other command (naming the file and the entry path); unknown config types are kept, as in Go.

Example:
  $ ocm get config
  $ ocm --config ./ci.ocmconfig get config -o json
`,
    )
    .action(
      action(async (opts: { output: string }, cmd: Command) => {
        const { validatedConfigFor } = await import('../credentials.js');
        const { redact } = await import('../../credentials/redact.js');
        const ctx = await import('../context.js');
        // the same validation as `get credentials` and every command: a broken credentials part fails here too
        const config = await validatedConfigFor(globals(cmd));
        const doc = redact(config);
        if (ctx.outputFormat(opts.output, ['yaml', 'json'] as const, 'yaml') === 'json') {
          await ctx.print(`${JSON.stringify({ ...doc, sources: config.sources }, null, 2)}\n`);
          return;
        }
        const { stringify } = await import('yaml');
        const header = config.sources.length ? config.sources.map((s) => `# from ${s}`).join('\n') : '# no configuration file found';
        await ctx.print(`${header}\n${stringify(doc)}`);
      }),
    );
}
