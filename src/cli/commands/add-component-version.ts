import { Option, type Command } from 'commander';
import { globals } from '../global-options.js';
import { action } from '../run.js';

interface Opts {
  repository: string;
  repositorySpec?: string;
  format?: string;
  overwrite?: boolean;
  output: string;
}

const DEFAULT_CONSTRUCTORS = ['component-constructor.yaml', 'component-constructor.yml'];

/** `ocm add component-version`: build component versions from a constructor file into a repository. */
export function register(parent: Command): void {
  parent
    .command('component-version')
    .aliases(['component-versions', 'cv', 'cvs'])
    .description('build component versions from a component constructor file and add them to a repository')
    .option('-c, --constructor <file>', 'constructor file, or a directory holding component-constructor.yaml|.yml (default: the current directory)')
    .option('-r, --repository <ref>', 'target repository: a CTF path (created if missing), an OCI registry, or <type>::<spec> of a plugin repository type', './transport-archive')
    .option('--repository-spec <file>', 'target repository as a YAML/JSON spec file (any repository type, e.g. one a plugin serves); instead of --repository')
    .addOption(new Option('--format <format>', 'format of a new CTF (default: by extension: .tar, .tgz/.tar.gz, else directory)').choices(['directory', 'tar', 'tgz']))
    .option('--overwrite', 'replace a component version that already exists with different content')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'yaml', 'json']).default('table'))
    .addHelpText(
      'after',
      `
Input paths in the constructor are relative to the constructor file's directory and may not leave it.
\${VAR} and $VAR are replaced from the environment before the file is parsed. If anything is wrong
(syntax, schema, duplicate identities, missing input files), nothing is written.

Example:
  $ ocm add cv --repository ./transport-archive --constructor component-constructor.yaml
  $ ocm add cv -r ctf::archive.tgz -c examples/helloworld/component-constructor.yaml -o yaml
  $ ocm add cv --repository-spec store.yaml -c component-constructor.yaml
`,
    )
    .action(
      action(async (opts: Opts, cmd: Command) => {
        const { readFile, stat, rm } = await import('node:fs/promises');
        const { dirname } = await import('node:path');
        const ctx = await import('../context.js');
        const { parseConstructor, addComponentVersions } = await import('../../constructor/index.js');
        const { repositoryKindOf } = await import('../../repository/reference.js');
        const { fromFsError } = await import('../../runtime/errors.js');
        const out = await import('../output/component-versions.js');

        // `constructor` is also Object.prototype's: only an own property is the flag's value.
        const given = Object.hasOwn(opts, 'constructor') ? String((opts as unknown as Record<string, unknown>)['constructor']) : undefined;
        const file = await findConstructor(given);
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (e) {
          throw fromFsError(e, `constructor ${file}`);
        }
        const spec = parseConstructor(text, { source: given ?? file, env: process.env });
        const format = ctx.outputFormat(opts.output, ['table', 'yaml', 'json'] as const, 'table');

        let target;
        if (opts.repositorySpec !== undefined) {
          const { OcmError, ErrorCode } = await import('../../runtime/errors.js');
          if (cmd.getOptionValueSource('repository') !== 'default') {
            throw new OcmError(ErrorCode.INVALID_ARGUMENT, '--repository and --repository-spec both name the target repository: give one of them');
          }
          if (opts.format !== undefined) throw new OcmError(ErrorCode.INVALID_ARGUMENT, '--format applies to a CTF given with --repository, not to --repository-spec');
          target = await (await import('../repository-spec.js')).readSpecFile(opts.repositorySpec, '--repository-spec');
        } else {
          target = ctx.repositorySpecFor(opts.repository, opts.format);
        }
        // A CTF this command creates is removed again when the command fails: a failed add leaves nothing behind.
        const ctfPath = repositoryKindOf(target.type) === 'ctf' ? String(target.filePath) : undefined;
        const existed = ctfPath === undefined || (await stat(ctfPath).then(() => true, () => false));
        const signal = ctx.cliSignal();
        // Loaded only when an input asks for credentials (built-in inputs never do).
        const inputCredentials = { resolve: async (id: Record<string, string>, o?: { signal?: AbortSignal }) => (await ctx.credentialsFor(globals(cmd))).resolve(id, o) };
        let added;
        try {
          const repository = await ctx.openSpec(target, globals(cmd), { create: true });
          added = await ctx.using(repository, (repo) =>
            addComponentVersions(spec, repo, {
              baseDir: dirname(file),
              signal,
              // the invocation's types (plugin inputs included) and credentials (for inputs that ask for them)
              registry: ctx.ocmSession(globals(cmd)).types,
              credentials: inputCredentials,
              ...(opts.overwrite ? { overwrite: true } : {}),
            }),
          );
        } catch (e) {
          if (!existed && ctfPath !== undefined) await rm(ctfPath, { recursive: true, force: true });
          throw e;
        }
        await ctx.print(out.renderComponentVersions(added.map((descriptor) => ({ descriptor, children: [] })), format));
      }),
    );
}

/** The constructor file: the given file, or component-constructor.yaml|.yml in the given directory (default cwd). */
async function findConstructor(given: string | undefined): Promise<string> {
  const { stat } = await import('node:fs/promises');
  const { join, resolve } = await import('node:path');
  const { fromFsError, NotFoundError } = await import('../../runtime/errors.js');
  let dir = process.cwd();
  if (given !== undefined) {
    let isDir: boolean;
    try {
      isDir = (await stat(given)).isDirectory();
    } catch (e) {
      throw fromFsError(e, `constructor ${given}`);
    }
    if (!isDir) return resolve(given);
    dir = resolve(given);
  }
  for (const name of DEFAULT_CONSTRUCTORS) {
    const candidate = join(dir, name);
    if (await stat(candidate).then((s) => s.isFile(), () => false)) return candidate;
  }
  throw new NotFoundError(`no ${DEFAULT_CONSTRUCTORS.join(' or ')} in ${dir}; pass the constructor file with --constructor`);
}
