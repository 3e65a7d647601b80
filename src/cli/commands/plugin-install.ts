import type { Command } from 'commander';
import type { GlobalOptions } from '../global-options.js';
import { globals } from '../global-options.js';
import { action } from '../run.js';

interface InstallFlags {
  registry?: string;
  publicKey?: string[];
  insecureSkipVerify?: boolean;
  pluginDirectory?: string;
}

/** `ocm plugin install|upgrade|uninstall`: verified installs from plugin registries. */
export function register(parent: Command): void {
  const common = (c: Command) =>
    c
      .option('--registry <ref,...>', 'registries (default: pluginRegistries of plugin.config.ocm.software/v2alpha1)')
      .option('--public-key <file>', 'trusted RSA public key (PEM) for the registry and plugin signatures (repeatable); default: RSACredentials/v1 of the signature in .ocmconfig', collect)
      .option('--insecure-skip-verify', 'install without verifying signatures (NOT recommended)')
      .option('--plugin-directory <dir>', 'where plugins are installed (default: the global --plugin-directory, else $HOME/.config/ocm/plugins)');

  common(
    parent
      .command('install')
      .description('install a plugin by name from the plugin registries: signatures verified, digest checked, capabilities run, then atomically put in place')
      .argument('<plugin>', 'name[:version] (latest when none): the registry name, the component name or its last segment'),
  )
    .addHelpText(
      'after',
      `
The registry's and the plugin's component versions must be signed with a trusted key. The build
for this machine (extraIdentity os/architecture, Go names e.g. linux/amd64) is streamed into a
staging directory inside the plugin directory, checked against its digest, and must answer
"capabilities" within 30 s; only then does it appear in the plugin directory. Any failure leaves the
plugin directory as it was.

Example:
  $ ocm plugin install helm --registry ./plugins-ctf --public-key acme.pub.pem
  $ ocm plugin install helm:1.2.0
`,
    )
    .action(
      action(async (plugin: string, opts: InstallFlags, cmd: Command) => {
        const ctx = await import('../context.js');
        const lib = await import('../../plugin/registry/install.js');
        const o = await installContext(globals(cmd), opts);
        const r = await lib.installPlugin({ ...o, plugin });
        await ctx.print(`installed ${r.id} ${r.version} (${r.platform}) from ${r.registry} into ${o.pluginDir}${r.verified ? '' : ' WITHOUT signature verification'}\n`);
      }),
    );

  common(
    parent
      .command('upgrade')
      .description('upgrade installed plugins (all, or the one named) to the latest version the registries offer')
      .argument('[plugin]', 'an installed plugin (default: every plugin installed from a registry)'),
  )
    .addHelpText('after', '\nExample:\n  $ ocm plugin upgrade\n  $ ocm plugin upgrade helm --registry ./plugins-ctf\n')
    .action(
      action(async (plugin: string | undefined, opts: InstallFlags, cmd: Command) => {
        const ctx = await import('../context.js');
        const lib = await import('../../plugin/registry/install.js');
        const o = await installContext(globals(cmd), opts);
        const results = await lib.upgradePlugins({ ...o, ...(plugin !== undefined ? { plugin } : {}) });
        if (results.length === 0) return void process.stderr.write(`no plugins installed from a registry in ${o.pluginDir}\n`);
        await ctx.print(results.map((r) => (r.upgraded ? `upgraded ${r.id} ${r.from} -> ${r.to}\n` : `${r.id} ${r.from} is up to date\n`)).join(''));
      }),
    );

  parent
    .command('uninstall')
    .description('remove an installed plugin (its file and install record)')
    .argument('<plugin>', 'the installed plugin (file name, registry name or component name)')
    .option('--plugin-directory <dir>', 'the plugin directory (default: the global --plugin-directory, else $HOME/.config/ocm/plugins)')
    .addHelpText('after', '\nExample:\n  $ ocm plugin uninstall helm\n')
    .action(
      action(async (plugin: string, opts: { pluginDirectory?: string }, cmd: Command) => {
        const ctx = await import('../context.js');
        const lib = await import('../../plugin/registry/install.js');
        const pluginDir = await pluginDirectory(globals(cmd), opts.pluginDirectory);
        const r = await lib.uninstallPlugin({ plugin, pluginDir });
        await ctx.print(`uninstalled ${r.id}${r.version ? ` ${r.version}` : ''} from ${pluginDir}\n`);
      }),
    );
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The directory installs go to: the command's flag, the global flag, else the default plugin directory. */
export async function pluginDirectory(g: GlobalOptions, flag: string | undefined): Promise<string> {
  const { pluginSettings } = await import('../../plugin/settings.js');
  return pluginSettings([], flag ?? g.pluginDirectory, process.env).directories[0]!;
}

async function installContext(g: GlobalOptions, opts: InstallFlags) {
  const { registryContext } = await import('./plugin-registry.js');
  const { readFile } = await import('node:fs/promises');
  const { parsePublicKey } = await import('../../signing/rsa.js');
  const { fromFsError } = await import('../../runtime/errors.js');
  const ctx = await import('../context.js');
  const r = await registryContext(g, opts.registry);
  const publicKeys = [];
  for (const file of opts.publicKey ?? []) {
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (e) {
      throw fromFsError(e, `public key ${file}`);
    }
    publicKeys.push(parsePublicKey(pem, file));
  }
  return {
    ...r.options,
    registries: r.registries,
    pluginDir: await pluginDirectory(g, opts.pluginDirectory),
    publicKeys,
    credentials: await ctx.credentialsFor(g),
    configEntries: r.entries,
    insecureSkipVerify: opts.insecureSkipVerify === true,
    ...(g.plainHttp ? { plainHttp: true } : {}),
  };
}
