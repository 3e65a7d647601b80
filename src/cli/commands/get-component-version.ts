import { Option, type Command } from 'commander';
import type { ComponentDescriptor } from '../../descriptor/types.js';
import type { ComponentVersionRepository } from '../../repository/types.js';
import type { CvNode } from '../output/component-versions.js';
import { globals } from '../global-options.js';
import { action } from '../run.js';
import { VIEW_FORMATS } from './get-cv-view.js';

interface Opts {
  output: string;
  recursive?: boolean;
  repositorySpec?: string;
  verifySignature?: string;
  publicKey?: string;
}

/** `ocm get component-version <ref>`: show one component version, or list every version of a component. */
export function register(parent: Command): void {
  parent
    .command('component-version')
    .aliases(['component-versions', 'cv', 'cvs'])
    .description('show a component version, or all versions of a component when the reference has no version')
    .argument('<reference>', '[type::]repository//component[:version], e.g. ./transport-archive//acme.org/app:1.0.0 (with --repository-spec: component[:version])')
    .option('--repository-spec <file>', 'the repository as a YAML/JSON spec file (any repository type, e.g. one a plugin serves); the reference is then component[:version]')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'yaml', 'json', 'tree', ...Object.keys(VIEW_FORMATS)]).default('table'))
    .option('--recursive', 'also show the component versions it references (componentReferences), from the same repository')
    .option('--verify-signature <name>', 'with -o dot|mermaid|cyclonedx|spdx: check only this signature (default: every signature, when --public-key is given)')
    .option('--public-key <file>', 'with -o dot|mermaid|cyclonedx|spdx: RSA public key (PEM) to verify signatures with; the graph shows verified / failed per version')
    .addHelpText(
      'after',
      `
table: COMPONENT, VERSION, PROVIDER. tree: NESTING, COMPONENT, VERSION, PROVIDER, IDENTITY, with the
resources of each component version. yaml/json: the component descriptor (a list when there are several).
dot/mermaid: the graph (Graphviz DOT, mermaid flowchart): versions, references, resources per version and
signature state (✔ verified / ✘ failed / – not checked).
cyclonedx/spdx: CycloneDX 1.6 / SPDX 2.3 JSON of the graph (hashes, purls, dependencies, OCM identity).

Example:
  $ ocm get cv ./transport-archive//acme.org/helloworld:1.0.0 -o tree
  $ ocm get cv ctf::archive.tgz//acme.org/helloworld -o yaml
  $ ocm get cv http://127.0.0.1:5000/ocm//acme.org/helloworld:1.0.0 -o json --recursive
  $ ocm get cv FileStore/v1alpha1::/srv/store//acme.org/helloworld:1.0.0
  $ ocm get cv --repository-spec store.yaml acme.org/helloworld:1.0.0
  $ ocm get cv ./transport-archive//acme.org/helloworld:1.0.0 --recursive -o dot --public-key acme.pub.pem | dot -Tsvg > graph.svg
  $ ocm get cv ./transport-archive//acme.org/helloworld:1.0.0 --recursive -o cyclonedx > bom.json
`,
    )
    .action(
      action(async (reference: string, opts: Opts, cmd: Command) => {
        // Loaded together: the module loader overlaps their file reads.
        const [ctx, out, { NotFoundError, OcmError, ErrorCode }, specs] = await Promise.all([
          import('../context.js'),
          import('../output/component-versions.js'),
          import('../../runtime/errors.js'),
          import('../repository-spec.js'),
        ]);
        const { ref, repository } = await specs.openComponentReference(reference, globals(cmd), opts.repositorySpec);
        if (ref.digest) {
          await repository.close().catch(() => undefined);
          throw new OcmError(ErrorCode.UNSUPPORTED, `reference "${reference}": pinning a component version by @digest is not supported yet; drop the @digest part`);
        }
        if (Object.hasOwn(VIEW_FORMATS, opts.output)) {
          await ctx.print(await (await import('./get-cv-view.js')).renderViewFormat(ref, repository, opts, cmd));
          return;
        }
        if (opts.verifySignature !== undefined || opts.publicKey !== undefined) {
          await repository.close().catch(() => undefined);
          throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--verify-signature and --public-key apply to -o ${Object.keys(VIEW_FORMATS).join('|')} only`);
        }
        const signal = ctx.cliSignal();
        const nodes = await ctx.using(repository, async (repo) => {
          let versions = ref.version ? [ref.version] : await repo.listComponentVersions(ref.component, { signal });
          if (versions.length === 0) throw new NotFoundError(`component ${ref.component} has no versions in ${ctx.describeRepository(ref.repository)}`);
          versions = out.sortVersions(versions);
          const seen = new Set<string>();
          const result: CvNode[] = [];
          for (const v of versions) result.push(await load(repo, ref.component, v, opts.recursive === true, seen, signal));
          return result;
        });
        await ctx.print(out.renderComponentVersions(nodes, ctx.outputFormat(opts.output, ['table', 'yaml', 'json', 'tree'] as const, 'table')));
      }),
    );
}

/** Reads a component version and, when recursive, the versions it references (each once; cycles stop). */
async function load(
  repo: ComponentVersionRepository,
  component: string,
  version: string,
  recursive: boolean,
  seen: Set<string>,
  signal: AbortSignal,
): Promise<CvNode> {
  const key = `${component}:${version}`;
  const descriptor: ComponentDescriptor = await repo.getComponentVersion(component, version, { signal });
  const children: CvNode[] = [];
  if (recursive && !seen.has(key)) {
    seen.add(key);
    for (const r of descriptor.component.componentReferences) {
      if (!r.version) continue;
      children.push({ ...(await load(repo, r.componentName, r.version, true, seen, signal)), via: r.name });
    }
  }
  return { descriptor, children };
}
