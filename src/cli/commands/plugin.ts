import { Option, type Command } from 'commander';
import { globals } from '../global-options.js';
import { action } from '../run.js';

/** `ocm plugin list` and `ocm plugin stop`. */
export function register(parent: Command): void {
  parent
    .command('list')
    .alias('ls')
    .description('list the discovered plugins: id, installed version and source, path, capabilities and types, state, shadowed types and problems')
    .addOption(new Option('-o, --output <format>', 'output format (wide adds paths and shadowed types)').choices(['table', 'wide', 'json', 'yaml']).default('table'))
    .addHelpText(
      'after',
      `
Plugins are discovered in --plugin-directory (default $HOME/.config/ocm/plugins) and in the
locations of plugin.config.ocm.software/v2alpha1. STATE is ok, skipped: <reason> (the plugin is
not used; other commands still work), or running (pid N). SHADOWED lists types a built-in holds.
Exits 0 even when some plugins are broken.

Example:
  $ ocm plugin list
  $ ocm --plugin-directory ./plugins plugin list -o json
`,
    )
    .action(
      action(async (opts: { output: string }, cmd: Command) => {
        const [ctx, { allBuiltinTypes, pluginsFor }, { findLeftover }] = await Promise.all([import('../session.js'), import('../plugins.js'), import('../plugin-leftovers.js')]);
        const format = ctx.outputFormat(opts.output, ['table', 'wide', 'json', 'yaml'] as const, 'table');
        const state = await pluginsFor(globals(cmd));
        if (state.error) throw await pluginError(state.error);
        if (!state.manager) {
          if (format === 'table' || format === 'wide') process.stderr.write(`no plugins found in ${state.directories.join(', ')}\n`);
          else await ctx.print('[]\n'); // the same in JSON and YAML
          return;
        }
        const registry = await allBuiltinTypes(); // every built-in registered: shadowed names are complete
        const infos = await state.manager.discover({ signal: ctx.cliSignal() });
        const running = new Map(state.manager.processes().map((p) => [p.id, p.pid]));
        // Install records (ocm plugin install) give version and source; hand-copied plugins have none.
        const { listInstalled } = await import('../../plugin/registry/install.js');
        const { join } = await import('node:path');
        const installed = new Map((await Promise.all(state.directories.map(async (d) => (await listInstalled(d)).map((r) => [join(d, r.id), r] as const)))).flat());
        const rows = await Promise.all(
          infos.map(async (info) => {
            const problem = state.problems.find((p) => p.id === info.id)?.error;
            const leftover = info.error || problem || running.has(info.id) ? undefined : await findLeftover(info.id);
            const pid = running.get(info.id) ?? leftover?.pid;
            const stateText = info.error ? `skipped: ${info.error}` : problem ? `skipped: ${problem}` : pid !== undefined ? `running (pid ${pid})` : 'ok';
            const capabilities = (info.capabilities?.capabilities ?? []).map((c) => ({
              type: c.type,
              types: [...new Set(Object.values(c.types).flatMap((ts) => ts.map((t) => t.type)))],
            }));
            const source = `plugin "${info.id}"`;
            const shadowed = registry
              .shadowed()
              .filter((s) => s.shadowed.source === source)
              .map((s) => ({ kind: s.kind, type: s.type, by: s.by.source ?? 'built-in' }));
            const record = installed.get(info.path);
            return {
              id: info.id,
              ...(record ? { version: record.version, source: `${record.registry} (${record.component})` } : {}),
              path: info.path,
              state: stateText,
              ...(pid !== undefined ? { pid } : {}),
              capabilities,
              shadowed,
              ...(info.error || problem ? { error: info.error ?? problem } : {}),
            };
          }),
        );
        if (format === 'json') return await ctx.print(`${JSON.stringify(rows, null, 2)}\n`);
        if (format === 'yaml') return await ctx.print((await import('yaml')).stringify(rows));
        const { renderTable } = await import('../output/table.js');
        // One line per capability, so the table stays readable with multi-capability plugins.
        const wide = format === 'wide';
        // VERSION and SOURCE only when some plugin was installed from a registry (the old layout otherwise).
        const withInstalls = rows.some((r) => r.version !== undefined);
        const lines = rows.flatMap((r) => {
          const caps = r.capabilities.length > 0 ? r.capabilities : [{ type: '', types: [] as string[] }];
          return caps.map((c, i) => [
            i === 0 ? r.id : '',
            ...(withInstalls ? [i === 0 ? (r.version ?? '') : ''] : []),
            i === 0 ? r.state : '',
            c.type,
            c.types.join(', '),
            ...(withInstalls ? [i === 0 ? (r.source ?? '') : ''] : []),
            ...(wide ? [i === 0 ? r.shadowed.map((s) => `${s.type} (${s.kind}, ${s.by} wins)`).join('; ') : '', i === 0 ? r.path : ''] : []),
          ]);
        });
        await ctx.print(renderTable(['id', ...(withInstalls ? ['version'] : []), 'state', 'capability', 'types', ...(withInstalls ? ['source'] : []), ...(wide ? ['shadowed', 'path'] : [])], lines));
      }),
    );

  parent
    .command('stop')
    .description('stop plugin processes an earlier ocm left running (e.g. after it was killed): SIGINT, then SIGKILL')
    .argument('[id]', 'only this plugin (its file name); default: every discovered plugin')
    .addHelpText(
      'after',
      `
Finds processes through the Go plugin convention /tmp/<id>-plugin.socket.lock (the PID), and signals
a PID only when its command line names the plugin. ocm itself stops every plugin it started when it
exits, also on errors and Ctrl-C; plugins built with the ocm-ts SDK also exit on their own when the
ocm that started them is gone, or after their idle timeout. This command is for what remains.

Example:
  $ ocm plugin stop
  $ ocm plugin stop my-plugin
`,
    )
    .action(
      action(async (id: string | undefined, _opts: unknown, cmd: Command) => {
        const [ctx, { pluginsFor }, leftovers] = await Promise.all([import('../session.js'), import('../plugins.js'), import('../plugin-leftovers.js')]);
        let ids: string[];
        if (id !== undefined) {
          leftovers.lockFileOf(id); // validates the id
          ids = [id];
        } else {
          const state = await pluginsFor(globals(cmd));
          if (state.error) throw await pluginError(state.error);
          ids = state.manager ? [...new Set((await state.manager.discover({ signal: ctx.cliSignal() })).map((i) => i.id))] : [];
        }
        const found = (await Promise.all(ids.map((i) => leftovers.findLeftover(i)))).filter((l) => l !== undefined);
        if (found.length === 0) {
          process.stderr.write(`no running plugin processes found${id ? ` for "${id}"` : ''}\n`);
          return;
        }
        for (const r of await Promise.all(found.map((l) => leftovers.stopLeftover(l)))) {
          await ctx.print(`${r.how === 'killed' ? 'killed (no exit after SIGINT)' : 'stopped'}: ${r.id} (pid ${r.pid})\n`);
        }
      }),
    );
}

async function pluginError(message: string): Promise<Error> {
  const { OcmError, ErrorCode } = await import('../../runtime/errors.js');
  return new OcmError(ErrorCode.PLUGIN_ERROR, `plugins could not be loaded: ${message}`);
}

