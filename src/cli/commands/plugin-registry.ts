import { Option, type Command } from 'commander';
import type { GlobalOptions } from '../global-options.js';
import { globals } from '../global-options.js';
import { action } from '../run.js';

const LIST_FORMATS = ['table', 'wide', 'json', 'yaml', 'ndjson'] as const;

/** `ocm plugin registry list|get|add`: plugin registries are component versions referencing plugin components (Go v2 §3.8). */
export function register(parent: Command): void {
  const registry = parent.command('registry').description('list and get plugins of plugin registries; add a plugin to a registry (publish)');

  registry
    .command('list')
    .alias('ls')
    .description('list the plugins the plugin registries offer (latest registry version when none is given)')
    .option('--registry <ref,...>', 'registries: <repo>//ocm.software/plugin-registry[:version] (or just <repo>); default: pluginRegistries of plugin.config.ocm.software/v2alpha1')
    .addOption(new Option('-o, --output <format>', 'output format (wide adds the registry)').choices([...LIST_FORMATS]).default('table'))
    .addHelpText(
      'after',
      `
Rows are sorted by name, version and registry. Registries come from --registry (comma-separated)
and from .ocmconfig:
  type: plugin.config.ocm.software/v2alpha1
  pluginRegistries: [ghcr.io/acme/plugins//ocm.software/plugin-registry]

Example:
  $ ocm plugin registry list --registry ./registry-ctf
  $ ocm plugin registry list --registry ghcr.io/acme/plugins//ocm.software/plugin-registry:0.3.0 -o wide
`,
    )
    .action(
      action(async (opts: { registry?: string; output: string }, cmd: Command) => {
        const ctx = await import('../context.js');
        const lib = await import('../../plugin/registry/index.js');
        const format = ctx.outputFormat(opts.output, LIST_FORMATS, 'table');
        const r = await registryContext(globals(cmd), opts.registry);
        const plugins = await lib.listPlugins(r.registries, r.options);
        await ctx.print(await renderPlugins(plugins, format));
      }),
    );

  registry
    .command('get')
    .description('show one plugin (all its versions, or the one given) from the plugin registries')
    .argument('<plugin>', 'name[:version]: the registry name, the component name or its last segment')
    .option('--registry <ref,...>', 'registries (default: pluginRegistries of plugin.config.ocm.software/v2alpha1)')
    .option('--component-descriptor', 'print the plugin component descriptors instead (yaml/json/ndjson)')
    .addOption(new Option('-o, --output <format>', 'output format').choices([...LIST_FORMATS]).default('table'))
    .addHelpText(
      'after',
      `
Example:
  $ ocm plugin registry get helm --registry ./registry-ctf
  $ ocm plugin registry get ocm-software-plugins-helm:1.2.0 --component-descriptor -o yaml
`,
    )
    .action(
      action(async (plugin: string, opts: { registry?: string; output: string; componentDescriptor?: boolean }, cmd: Command) => {
        const ctx = await import('../context.js');
        const lib = await import('../../plugin/registry/index.js');
        const format = ctx.outputFormat(opts.output, LIST_FORMATS, 'table');
        const r = await registryContext(globals(cmd), opts.registry);
        const found = await lib.findPlugin(r.registries, plugin, r.options);
        if (!opts.componentDescriptor || format === 'table' || format === 'wide') return await ctx.print(await renderPlugins(found, format));
        const cds = [];
        for (const p of found) {
          const reg = await lib.openRegistry(p.registry, r.options);
          try {
            cds.push(await reg.repository.getComponentVersion(p.component, p.version, { signal: ctx.cliSignal() }));
          } finally {
            await reg.repository.close().catch(() => undefined);
          }
        }
        if (format === 'json') return await ctx.print(`${JSON.stringify(cds, null, 2)}\n`);
        if (format === 'ndjson') return await ctx.print(cds.map((c) => `${JSON.stringify(c)}\n`).join(''));
        const yaml = await import('yaml');
        await ctx.print(cds.map((c) => yaml.stringify(c)).join('---\n'));
      }),
    );

  registry
    .command('add')
    .description('publish: write the next registry version with a plugin component referenced and labelled')
    .argument('<registry-repository>', 'the repository holding the registry and the plugin (CTF path or registry URL)')
    .argument('<plugin-component>', 'component:version of the plugin in that repository (or <repo>//component:version naming the same repository)')
    .option('--registry-version <version>', 'the new registry version (default: latest + one minor, or 0.1.0)')
    .option('--description <text>', 'plugin description (default: the plugin component label ocm.software/description)')
    .option('--registry-component <name>', 'the registry component name', 'ocm.software/plugin-registry')
    .addHelpText(
      'after',
      `
The new version references the plugin as <component name with . and / replaced by ->, with the label
ocm.software/pluginInfo {description, platforms} (platforms from its ocmPlugin resources'
extraIdentity os/architecture). An existing registry version is never overwritten. Sign the new
version afterwards, so installs can verify it:

Example:
  $ ocm plugin registry add ./plugins-ctf acme.org/plugins/helm:1.0.0
  $ ocm sign cv ./plugins-ctf//ocm.software/plugin-registry:0.2.0 --signature acme --private-key key.pem
`,
    )
    .action(
      action(async (repoText: string, pluginText: string, opts: { registryVersion?: string; description?: string; registryComponent: string }, cmd: Command) => {
        const ctx = await import('../context.js');
        const lib = await import('../../plugin/registry/index.js');
        const { ErrorCode, OcmError } = await import('../../runtime/errors.js');
        const g = globals(cmd);
        let plugin: { component: string; version: string };
        if (pluginText.includes('//')) {
          const { parseComponentReference } = await import('../../repository/reference.js');
          const ref = parseComponentReference(pluginText);
          if (JSON.stringify(ref.repository) !== JSON.stringify(ctx.repositorySpecFor(repoText))) {
            throw new OcmError(ErrorCode.INVALID_ARGUMENT, `plugin ${pluginText} is not in ${repoText}: transfer it there first (ocm transfer cv ${pluginText} ${repoText}); installs read plugins from the registry's repository`);
          }
          if (!ref.version) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `plugin "${pluginText}" names no version: use component:version`);
          plugin = { component: ref.component, version: ref.version };
        } else {
          const at = pluginText.lastIndexOf(':');
          if (at <= 0 || at === pluginText.length - 1) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `plugin "${pluginText}": expected component:version`);
          plugin = { component: pluginText.slice(0, at), version: pluginText.slice(at + 1) };
        }
        const { repository } = await ctx.openRepositoryReference(repoText, g);
        const result = await ctx.using(repository, (repo) =>
          lib.addToRegistry({
            repository: repo,
            plugin,
            registryComponent: opts.registryComponent,
            ...(opts.registryVersion ? { version: opts.registryVersion } : {}),
            ...(opts.description !== undefined ? { description: opts.description } : {}),
            signal: ctx.cliSignal(),
          }),
        );
        await ctx.print(`added ${plugin.component}:${plugin.version} as "${result.reference.name}" to ${result.component}:${result.version}${result.previous ? ` (from ${result.previous})` : ''}\n`);
      }),
    );
}

/** Registries (flag first, then .ocmconfig) and the library options of this invocation. */
export async function registryContext(g: GlobalOptions, flag: string | undefined) {
  const ctx = await import('../context.js');
  const { configFor } = await import('../credentials.js');
  const { pluginRegistriesOf } = await import('../../plugin/settings.js');
  const { requireRegistries } = await import('../../plugin/registry/registry.js');
  const entries = (await configFor(g)).entries;
  const fromFlag = (flag ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const registries = [...new Set([...fromFlag, ...pluginRegistriesOf(entries)])];
  requireRegistries(registries);
  const signal = ctx.cliSignal();
  const types = ctx.ocmSession(g).types;
  return {
    registries,
    entries,
    options: { open: (spec: import('../../descriptor/types.js').TypedSpec) => ctx.openSpec(spec, g), types, signal },
  };
}

async function renderPlugins(plugins: readonly import('../../plugin/registry/registry.js').RegistryPlugin[], format: (typeof LIST_FORMATS)[number]): Promise<string> {
  const rows = plugins.map((p) => ({ name: p.name, version: p.version, platforms: [...p.platforms], description: p.description, registry: p.registry, component: p.component }));
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  if (format === 'ndjson') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  if (format === 'yaml') return (await import('yaml')).stringify(rows);
  const { renderTable } = await import('../output/table.js');
  const wide = format === 'wide';
  return renderTable(
    ['name', 'version', 'platforms', 'description', ...(wide ? ['registry'] : [])],
    rows.map((r) => [r.name, r.version, r.platforms.join(', '), r.description, ...(wide ? [r.registry] : [])]),
  );
}
