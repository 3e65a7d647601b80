import type { Command } from 'commander';
import { globals } from '../global-options.js';
import { action } from '../run.js';

interface Opts {
  config?: string;
  crds?: boolean;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  once?: boolean;
  statusFile?: string;
  metricsListen?: string;
  debug?: boolean;
}

/** `ocm controller run --config controller.yaml`: poll, verify, localize and apply component versions. */
export function register(parent: Command): void {
  parent
    .command('run')
    .description('run the deploy controller: for each entry poll the repository, pick the newest allowed version, verify it, localize and apply it as an ApplySet')
    .option('--config <file>', `the controller config (apiVersion: controller.ocm.software/v1alpha1, kind: ControllerConfig, entries: [...])`)
    .option('--crds', 'read the settings from the cluster instead: delivery.ocm.software/v1alpha1 Deployer → Resource → Component → Repository objects; write their status')
    .option('--kubeconfig <file>', 'with --crds: the cluster to read the objects from and apply to (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'with --crds: the kubeconfig context')
    .option('--namespace <ns>', "with --crds: where objects are applied and Resources without a namespace are looked up (default: the context's)")
    .option('--once', 'reconcile every entry once and exit (non-zero if any entry is not Ready)')
    .option('--status-file <file>', 'write the status (applied version and digest, conditions, events) to this JSON file after every reconcile')
    .option('--metrics-listen <host:port>', 'serve Prometheus /metrics and /healthz here, e.g. 127.0.0.1:9090')
    // Root options must come before "controller" (its --config is the controller config); --debug is welcome here too.
    .option('--debug', 'as the root --debug: debug log and stack traces')
    .addHelpText(
      'after',
      `
The .ocmconfig (registry credentials) comes from discovery or the root option, e.g.
  $ ocm --config /etc/ocm/.ocmconfig controller run --config controller.yaml
--config after "run" is the controller config. SIGTERM stops the loop cleanly.
With --crds (instead of --config) every Deployer in the cluster is one entry: its Resource names the
deployable resource, the Resource's Component the component, semver, semverFilter, downgradePolicy,
interval and verify (public key from a Secret under the signature name, or value), the Component's
Repository the registry (spec.repositorySpec). Status is written to each object's status.

Example controller.yaml:
  apiVersion: controller.ocm.software/v1alpha1
  kind: ControllerConfig
  entries:
    - name: shop
      repository: registry.local:5000/prod
      component: acme.org/shop
      semver: ">=1.0.0 <2.0.0"
      interval: 30s
      verify: [{signature: acme, publicKey: acme.pub}]
      resource: name=manifests
      target: {namespace: shop}
`,
    )
    .action(
      action(async (opts: Opts, cmd: Command) => {
        if (opts.debug) process.env.OCM_DEBUG = '1';
        const { fromFsError, OcmError, ErrorCode } = await import('../../runtime/errors.js');
        if (opts.crds ? opts.config !== undefined : opts.config === undefined) {
          throw new OcmError(ErrorCode.INVALID_ARGUMENT, 'controller run: give either --config <controller.yaml> or --crds (settings from delivery.ocm.software objects)');
        }
        if (!opts.crds && (opts.kubeconfig ?? opts.context ?? opts.namespace) !== undefined) {
          throw new OcmError(ErrorCode.INVALID_ARGUMENT, 'controller run: --kubeconfig, --context and --namespace go with --crds; with --config each entry has its target');
        }
        if (opts.crds) return runCrds(opts, cmd);
        const { readFile } = await import('node:fs/promises');
        let text: string;
        try {
          text = await readFile(opts.config!, 'utf8');
        } catch (e) {
          throw fromFsError(e, `controller config ${opts.config}`);
        }
        const controller = await import('../../deploy/controller/index.js');
        const config = controller.parseControllerConfig(text, opts.config!);
        const ctx = await import('../context.js');
        const g = globals(cmd);
        const types = ctx.ocmSession(g).types;
        const credentials = await ctx.credentialsFor(g);
        const signal = ctx.cliSignal();
        let current: import('../../deploy/controller/index.js').ControllerStatus | undefined;
        const metrics = opts.metricsListen !== undefined ? await controller.serveMetrics(opts.metricsListen, () => current!) : undefined;
        try {
          if (metrics) process.stderr.write(`metrics on ${metrics.url}/metrics\n`);
          const result = await controller.runController(
            config,
            {
              open: async (reference) => (await ctx.openRepositoryReference(reference, g)).repository,
              types,
              credentials,
              ...(g.plainHttp ? { plainHttp: true } : {}),
            },
            {
              ...(opts.once ? { once: true } : {}),
              ...(opts.statusFile !== undefined ? { statusFile: opts.statusFile } : {}),
              onStatus: (s) => {
                current = s;
              },
              signal,
            },
          );
          await ctx.print(summary(result.status));
          if (opts.once && result.failed.length > 0) process.exitCode = 1;
        } finally {
          await metrics?.close();
        }
      }),
    );
}

function summary(status: import('../../deploy/controller/index.js').ControllerStatus): string {
  const lines = status.entries.map((e) => {
    const ready = e.conditions.find((c) => c.type === 'Ready');
    return `${e.name}: ${e.component}${e.lastAppliedVersion ? `:${e.lastAppliedVersion}` : ''} ${ready?.status === 'True' ? 'Ready' : 'NotReady'} (${ready?.reason ?? 'Unknown'}: ${ready?.message ?? ''})`;
  });
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** `--crds`: the same loop over the delivery.ocm.software objects, status written back to them. */
async function runCrds(opts: Opts, cmd: Command): Promise<void> {
  const controller = await import('../../deploy/controller/index.js');
  const ctx = await import('../context.js');
  const g = globals(cmd);
  const credentials = await ctx.credentialsFor(g);
  const signal = ctx.cliSignal();
  let current: import('../../deploy/controller/index.js').ControllerStatus = { apiVersion: 'controller.ocm.software/v1alpha1', kind: 'ControllerStatus', updated: new Date().toISOString(), entries: [] };
  let writing: Promise<void> = Promise.resolve();
  const metrics = opts.metricsListen !== undefined ? await controller.serveMetrics(opts.metricsListen, () => current) : undefined;
  try {
    if (metrics) process.stderr.write(`metrics on ${metrics.url}/metrics\n`);
    const result = await controller.runCrdController(
      {
        open: async (reference) => (await ctx.openRepositoryReference(reference, g)).repository,
        types: ctx.ocmSession(g).types,
        credentials,
        ...(g.plainHttp ? { plainHttp: true } : {}),
      },
      {
        ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}),
        ...(opts.context !== undefined ? { context: opts.context } : {}),
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        ...(opts.once ? { once: true } : {}),
        onStatus: (s) => {
          current = s;
          // Serialised, as in the file mode: a reader never sees half a file.
          if (opts.statusFile !== undefined) writing = writing.then(() => controller.writeStatusFile(opts.statusFile!, s));
        },
        onError: (e) => process.stderr.write(`controller: ${e.message}; retrying\n`),
        signal,
      },
    );
    await writing;
    await ctx.print(summary(result.status));
    if (opts.once && result.failed.length > 0) process.exitCode = 1;
  } finally {
    await metrics?.close();
  }
}
