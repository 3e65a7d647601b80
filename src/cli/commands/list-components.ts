import { Option, type Command } from 'commander';
import { globals } from '../global-options.js';
import { action } from '../run.js';

interface Opts {
  output: string;
}

/** `ocm list components <repo>`: the components a repository holds (kind `lister`, by repository type). */
export function register(parent: Command): void {
  parent
    .command('components')
    .alias('component')
    .description('list the components a repository holds (CTF, OCI registry catalog, or a plugin lister)')
    .argument('<repository>', '[type::]repository, e.g. ./transport-archive, ctf::archive.tgz, ghcr.io/acme/ocm')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .addHelpText(
      'after',
      `
CTF: the component names in its artifact index. OCI registry: its catalog (/v2/_catalog), names under
<subPath>/component-descriptors/; many hosted registries refuse the catalog, which is reported as such.
A plugin with the componentLister capability lists the repository types it declares.

Example:
  $ ocm list components ./transport-archive
  $ ocm list components http://127.0.0.1:5000/ocm -o json
`,
    )
    .action(
      action(async (reference: string, opts: Opts, cmd: Command) => {
        const [ctx, { registerBuiltins }] = await Promise.all([import('../context.js'), import('../../repository/builtins.js')]);
        const format = ctx.outputFormat(opts.output, ['table', 'json', 'yaml'] as const, 'table');
        const g = globals(cmd);
        const spec = ctx.repositorySpecFor(reference);
        const session = ctx.ocmSession(g);
        const lister = registerBuiltins(session.types).decode<import('../../repository/lister.js').ComponentLister>('lister', spec).impl;
        const identity = await lister.consumerIdentity(spec);
        const credentials = identity ? await (await ctx.credentialsFor(g)).resolve(identity, { signal: session.signal }) : undefined;
        const names: string[] = [];
        const listing = lister.listComponents(spec, {
          ...(credentials ? { credentials } : {}),
          ...(g.plainHttp ? { plainHttp: true } : {}),
          logger: session.logger,
          signal: session.signal,
        });
        if (format === 'table') {
          // Streamed: a long catalog shows progress instead of a pause (one column needs no widths).
          let first = true;
          for await (const n of listing) {
            await ctx.print(`${first ? 'COMPONENT\n' : ''}${n}\n`);
            first = false;
          }
          if (first) process.stderr.write(`no components in ${ctx.describeRepository(spec)}\n`);
          return;
        }
        for await (const n of listing) names.push(n);
        if (format === 'json') await ctx.print(`${JSON.stringify(names, null, 2)}\n`);
        else await ctx.print((await import('yaml')).stringify(names));
      }),
    );
}
