import { Option, type Command } from 'commander';
import { globals } from '../global-options.js';
import { action } from '../run.js';

interface Opts {
  output: string;
  component?: string[];
}

/** `ocm get inventory <repo>`: what a repository holds (component versions, manifest and blob digests), for a delta export. */
export function register(parent: Command): void {
  parent
    .command('inventory')
    .alias('inv')
    .description('show what a repository holds: component versions and every manifest and blob digest behind them (no blob is read)')
    .argument('<repository>', '[type::]repository: a CTF (directory, .tar, .tgz) or an OCI registry ([http://]host[:port][/path])')
    .option('--component <name>', 'start from this component (repeatable; needed for registries, which cannot list; references are followed)', (v: string, p: string[] = []) => [...p, v])
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .addHelpText(
      'after',
      `
json/yaml: an ocm.software/inventory/v1alpha1 document (sorted, so inventories diff line by line) that
"ocm transfer cv ... --delta-against have.json" reads. Only manifests and each component version's
config and descriptor layer are read; images uploaded as ociArtifact into the same registry and content
under referrers tags (sha256-<hex>.sig, ...) are included. table: the component versions and, per
repository, how many blobs and bytes it holds.

Example:
  $ ocm get inventory http://airgap.example:5000/ocm --component acme.org/app -o json > have.json
  $ ocm get inventory ./transport-archive.tgz
`,
    )
    .action(
      action(async (reference: string, opts: Opts, cmd: Command) => {
        const [ctx, { takeInventory }, { openEndpoint }] = await Promise.all([import('../context.js'), import('../../transfer/inventory.js'), import('../../transfer/open.js')]);
        const format = ctx.outputFormat(opts.output, ['table', 'json', 'yaml'] as const, 'table');
        const g = globals(cmd);
        const signal = ctx.cliSignal();
        const repo = await openEndpoint(ctx.repositorySpecFor(reference), {
          credentials: await ctx.credentialsFor(g),
          signal,
          registry: ctx.ocmSession(g).types,
          readOnly: true,
          ...(g.plainHttp ? { plainHttp: true } : {}),
        });
        const inv = await ctx.using(repo, (r) => takeInventory(r, { ...(opts.component ? { components: opts.component } : {}), signal }));
        if (format === 'json') return ctx.print(`${JSON.stringify(inv, null, 2)}\n`);
        if (format === 'yaml') return ctx.print((await import('yaml')).stringify(inv));
        const rows = [['COMPONENT', 'VERSION', 'DIGEST'], ...inv.componentVersions.map((v) => [v.component, v.version, v.digest])];
        const repos = [['REPOSITORY', 'BLOBS', 'BYTES'], ...inv.repositories.map((r) => [r.name, String(r.blobs.length), String(r.blobs.reduce((n, b) => n + b.size, 0))])];
        await ctx.print(`${table(rows)}\n${table(repos)}`);
      }),
    );
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}
