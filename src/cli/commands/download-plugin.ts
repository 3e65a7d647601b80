import { Option, type Command } from 'commander';
import { globals } from '../global-options.js';
import { action } from '../run.js';

interface Opts {
  output?: string;
  resourceName?: string;
  resourceVersion?: string;
  extraIdentity?: string;
  pluginType: string;
  skipValidation?: boolean;
  outputFormat: string;
}

/** `ocm download plugin <repo>//<component>:<version>`: Go v2's way to install a plugin binary (§3.8). */
export function register(parent: Command): void {
  parent
    .command('plugin')
    .aliases(['plugins'])
    .description('download a plugin binary of a plugin component version into the plugin directory (validated with "capabilities")')
    .argument('<reference>', '[type::]repository//component:version of the plugin component')
    .option('--output <dir>', 'directory to write the plugin to (default: $HOME/.config/ocm/plugins or --plugin-directory)')
    .option('--resource-name <name>', 'the plugin resource name (default: any)')
    .option('--resource-version <version>', 'the plugin resource version (default: the component version)')
    .option('--extra-identity <k=v,...>', 'further identity attributes; os and architecture default to this machine (Go names, e.g. os=linux,architecture=amd64)')
    .option('--plugin-type <type>', 'resource type of plugins', 'ocmPlugin')
    .option('--skip-validation', 'do not run "capabilities" on the downloaded binary')
    .addOption(new Option('-f, --output-format <format>', 'output format').choices(['table', 'yaml', 'json']).default('table'))
    .addHelpText(
      'after',
      `
The first resource of --plugin-type whose identity contains {name, version, os, architecture, extra}
is written as <output>/<last segment of the component name>, mode 0755, after its digest was
checked and "capabilities" answered (30 s). Nothing is written when a check fails.

Example:
  $ ocm download plugin ghcr.io/acme/plugins//acme.org/plugins/helm:1.0.0
  $ ocm download plugin ./ctf//acme.org/plugins/helm:1.0.0 --output ./plugins --extra-identity os=linux,architecture=arm64 --skip-validation
`,
    )
    .action(
      action(async (reference: string, opts: Opts, cmd: Command) => {
        const ctx = await import('../context.js');
        const { downloadPlugin } = await import('../../plugin/registry/download.js');
        const { pluginDirectory } = await import('./plugin-install.js');
        const { parseIdentity } = await import('../../runtime/identity.js');
        const { ErrorCode, OcmError } = await import('../../runtime/errors.js');
        const { resolve } = await import('node:path');
        const g = globals(cmd);
        const format = ctx.outputFormat(opts.outputFormat, ['table', 'yaml', 'json'] as const, 'table');
        const extraIdentity = opts.extraIdentity ? parseIdentity(opts.extraIdentity) : undefined;
        const output = opts.output !== undefined ? resolve(opts.output) : await pluginDirectory(g, undefined);
        const { ref, repository } = await ctx.openFromReference(reference, g);
        if (!ref.version) {
          await repository.close().catch(() => undefined);
          throw new OcmError(ErrorCode.INVALID_ARGUMENT, `reference "${reference}" names no version: download plugin needs component:version`);
        }
        const r = await ctx.using(repository, (repo) =>
          downloadPlugin({
            repository: repo,
            component: ref.component,
            version: ref.version!,
            output,
            pluginType: opts.pluginType,
            types: ctx.ocmSession(g).types,
            ...(opts.resourceName ? { resourceName: opts.resourceName } : {}),
            ...(opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {}),
            ...(extraIdentity ? { extraIdentity } : {}),
            ...(opts.skipValidation ? { skipValidation: true } : {}),
            ...(g.plainHttp ? { plainHttp: true } : {}),
            signal: ctx.cliSignal(),
          }),
        );
        if (r.warning) process.stderr.write(`warning: ${r.warning}\n`);
        const { warning: _w, ...row } = r;
        if (format === 'json') return await ctx.print(`${JSON.stringify(row, null, 2)}\n`);
        if (format === 'yaml') return await ctx.print((await import('yaml')).stringify(row));
        const { renderTable } = await import('../output/table.js');
        const { formatIdentity } = await import('../../runtime/identity.js');
        await ctx.print(renderTable(['plugin', 'version', 'source', 'type', 'identity', 'location'], [[row.plugin, row.version, row.source, row.type, formatIdentity(row.identity), row.location]]));
      }),
    );
}
