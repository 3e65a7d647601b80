import type { Command } from 'commander';
import { globals } from '../global-options.js';
import { action } from '../run.js';

interface Opts {
  resource: string;
  rules?: string;
  verifySignature?: string;
  publicKey?: string;
  renderTo?: string;
  force?: boolean;
  apply?: boolean;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  wait?: boolean;
  waitTimeout?: string;
  dryRun?: boolean;
  prune: boolean;
}

/** `ocm deploy cv <ref> --resource name=x --render-to dir`: localize a deployable resource and write it out. */
export function register(parent: Command): void {
  parent
    .command('component-version')
    .aliases(['cv', 'componentversion', 'component-versions'])
    .description('localize a deployable resource of a component version (manifests, kustomize base, Helm values) and render or apply it')
    .argument('<reference>', '[type::]repository//component:version, e.g. registry.local:5000/prod//acme.org/app:1.0.0')
    .requiredOption('--resource <name=x[,k=v]>', 'the deployable resource: a YAML/JSON manifest stream, a directory (tar/tgz, e.g. a kustomize base) or a Helm chart')
    .option('--rules <file>', 'localization rules (ConfigData YAML/JSON); default: the resource of type ocm.software/localization-rules, if any')
    .option('--verify-signature <name>', 'verify this signature (with --public-key) and every digest before rendering; refuse on failure')
    .option('--public-key <file>', 'RSA public key (PEM) or certificate for --verify-signature')
    .option('--render-to <dir>', 'write the localized files into this directory (the default action; it must be empty or new)')
    .option('--force', 'with --render-to: replace a non-empty directory')
    .option('--apply', 'apply to a cluster by server-side apply as an ApplySet')
    .option('--kubeconfig <file>', 'with --apply: the kubeconfig file')
    .option('--context <name>', 'with --apply: the kubeconfig context')
    .option('--namespace <ns>', 'with --apply: the namespace for namespaced objects without one')
    .option('--wait', 'with --apply: wait until Deployments, StatefulSets and Jobs are ready')
    .option('--wait-timeout <seconds>', 'with --wait: how long to wait (default 300)')
    .option('--dry-run', 'with --apply: show what would change (server-side dry run), change nothing')
    .option('--no-prune', 'with --apply: keep objects of the set that the new version no longer contains (default: delete them)')
    .addHelpText(
      'after',
      `
Localization rewrites fields of the deployable's files to where the referenced images are NOW (after
a transfer): e.g. spec.template.spec.containers[0].image becomes <air-gapped registry>/<repo>@sha256:...
Every Kubernetes object is annotated with the component name and version and the deployable's identity
and digest. Files appear only when everything succeeded.

Example:
  $ ocm deploy cv registry.local:5000/prod//acme.org/app:1.0.0 --resource name=manifests \\
      --verify-signature acme --public-key acme.pub --render-to ./out
  $ ocm deploy cv registry.local:5000/prod//acme.org/app:1.1.0 --resource name=manifests \\
      --verify-signature acme --public-key acme.pub --apply --namespace shop --wait --dry-run
`,
    )
    .action(
      action(async (reference: string, opts: Opts, cmd: Command) => {
        const { ErrorCode, OcmError, fromFsError } = await import('../../runtime/errors.js');
        const kube = ['kubeconfig', 'context', 'namespace', 'wait', 'waitTimeout', 'dryRun'] as const;
        const used = kube.filter((k) => opts[k] !== undefined);
        if (!opts.apply && (used.length > 0 || !opts.prune)) {
          const flag = used.length > 0 ? `--${used[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : '--no-prune';
          throw new OcmError(ErrorCode.INVALID_ARGUMENT, `${flag} applies to a cluster: add --apply (or drop it and use --render-to <dir>)`);
        }
        if (!opts.apply && opts.renderTo === undefined) throw new OcmError(ErrorCode.INVALID_ARGUMENT, 'give --render-to <dir> (where the localized files are written) or --apply (to a cluster)');
        const waitSeconds = opts.waitTimeout !== undefined ? Number(opts.waitTimeout) : 300;
        if (!Number.isFinite(waitSeconds) || waitSeconds <= 0) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--wait-timeout "${opts.waitTimeout}": give seconds, e.g. 300`);
        if ((opts.verifySignature !== undefined) !== (opts.publicKey !== undefined)) {
          throw new OcmError(ErrorCode.INVALID_ARGUMENT, '--verify-signature and --public-key go together: give both (the signature name and the key to check it with)');
        }
        const { parseIdentity } = await import('../../runtime/identity.js');
        const selector = opts.resource.includes('=') ? parseIdentity(opts.resource) : { name: opts.resource };
        if (!selector['name']) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--resource "${opts.resource}": name the resource, e.g. --resource name=manifests`);

        const { readFile } = await import('node:fs/promises');
        const read = async (file: string, what: string): Promise<Buffer> => {
          try {
            return await readFile(file);
          } catch (e) {
            throw fromFsError(e, `${what} ${file}`);
          }
        };
        const { parseRules } = await import('../../deploy/rules.js');
        const rules = opts.rules !== undefined ? parseRules(await read(opts.rules, 'rules file'), opts.rules) : undefined;
        const signing = await import('../../signing/index.js');
        const publicKey = opts.publicKey !== undefined ? signing.parsePublicKey((await read(opts.publicKey, 'public key')).toString('utf8'), opts.publicKey) : undefined;

        const ctx = await import('../context.js');
        const g = globals(cmd);
        const types = ctx.ocmSession(g).types;
        const credentials = await ctx.credentialsFor(g);
        const signal = ctx.cliSignal();
        const { ref, repository } = await ctx.openFromReference(reference, g);
        if (!ref.version) {
          await repository.close().catch(() => undefined);
          throw new OcmError(ErrorCode.INVALID_ARGUMENT, `reference "${reference}" names no version: deploy one component version (component:version)`);
        }
        const version = ref.version;
        const rendered = await ctx.using(repository, async (repo) => {
          if (opts.verifySignature !== undefined) {
            // Verification re-reads every blob of the graph: nothing is rendered from unverified content.
            await signing.verifyComponentVersion({
              repository: repo,
              component: ref.component,
              version,
              signature: opts.verifySignature,
              registry: types,
              recursive: true,
              credentials,
              ...(publicKey ? { publicKey } : {}),
              ...(g.plainHttp ? { plainHttp: true } : {}),
              signal,
            });
          }
          const descriptor = await repo.getComponentVersion(ref.component, version, { signal });
          const { render } = await import('../../deploy/render.js');
          return await render({ repository: repo, descriptor, types, credentials, ...(g.plainHttp ? { plainHttp: true } : {}) }, selector, { ...(rules ? { rules } : {}), signal });
        });
        const lines: string[] = [];
        if (opts.renderTo !== undefined) {
          const { writeRendered } = await import('../../deploy/write.js');
          const written = await writeRendered(opts.renderTo, rendered.files, { ...(opts.force ? { force: true } : {}), signal });
          lines.push(...written.map((p) => `wrote ${p}`));
          lines.push(`${rendered.component}:${rendered.version}: ${rendered.kind}, ${rendered.files.length} file(s), ${rendered.objects.length} Kubernetes object(s) rendered to ${opts.renderTo}`);
        }
        if (opts.apply) {
          if (rendered.objects.length === 0) {
            throw new OcmError(ErrorCode.INVALID_ARGUMENT, `resource ${opts.resource} of ${rendered.component}:${rendered.version} renders no Kubernetes objects (${rendered.kind}): render it with --render-to and deploy it with its own tool`);
          }
          // The Kubernetes client is loaded only here (it takes ~1 s).
          const { applyRendered, formatChanges } = await import('../../deploy/kube/index.js');
          const report = await applyRendered(rendered.objects, {
            applySetName: rendered.component.replace(/[^a-z0-9.-]/g, '-'),
            ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}),
            ...(opts.context !== undefined ? { context: opts.context } : {}),
            ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
            ...(opts.dryRun ? { dryRun: true } : {}),
            ...(opts.wait ? { wait: { timeoutMs: waitSeconds * 1000 } } : {}),
            prune: opts.prune,
            signal,
          });
          const verb = report.dryRun ? 'would be ' : '';
          for (const [what, refs] of [['created', report.created], ['configured', report.configured], ['unchanged', report.unchanged], ['pruned', report.pruned]] as const) {
            for (const r of refs) lines.push(`${r} ${verb}${what}`);
          }
          for (const d of report.diff ?? []) if (d.changes.length > 0) lines.push(`  ${d.ref}: ${formatChanges(d.changes)}`);
          for (const r of report.waited) lines.push(`${r} ready`);
          lines.push(
            `${rendered.component}:${rendered.version} ${report.dryRun ? 'dry run against' : 'applied to'} ${report.server} as ApplySet ${report.parent}: ` +
              `${report.created.length} created, ${report.configured.length} configured, ${report.unchanged.length} unchanged, ${report.pruned.length} pruned`,
          );
        }
        await ctx.print(`${lines.join('\n')}\n`);
      }),
    );
}
