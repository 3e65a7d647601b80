import { Option, type Command } from 'commander';
import type { TypedSpec } from '../../descriptor/types.js';
import { globals, type GlobalOptions } from '../global-options.js';
import { action } from '../run.js';

interface Opts {
  recursive?: boolean;
  copyResources?: boolean;
  /** false with --no-referrers */
  referrers?: boolean;
  uploadAs?: 'localBlob' | 'ociArtifact';
  latest?: boolean;
  semverConstraint?: string;
  transferSpec?: string;
  concurrency?: string;
  overwrite?: boolean;
  dryRun?: boolean;
  output?: string;
  quiet?: boolean;
  progress?: 'auto' | 'bars' | 'lines' | 'none';
  format?: string;
  verify?: boolean;
  verifySignature?: string;
  publicKey?: string;
  repositorySpec?: string;
  targetRepositorySpec?: string;
  deltaAgainst?: string;
}

/** `ocm transfer component-version <source-ref> <target-repository>`. */
export function register(parent: Command): void {
  parent
    .command('component-version')
    .aliases(['component-versions', 'cv', 'cvs'])
    .description('copy component versions (and, recursively, the versions they reference) to another repository')
    .argument('[source-ref]', '[type::]repository//component[:version] (with --repository-spec: component[:version]); without a version every version is transferred; omit it with --transfer-spec')
    .argument('[target-repository]', 'target CTF (directory, .tar, .tgz; created if missing), OCI registry ([http://]host[:port][/path]) or <type>::<spec>; omit it with --target-repository-spec or --transfer-spec')
    .option('--repository-spec <file>', 'the source repository as a YAML/JSON spec file (any repository type, e.g. one a plugin serves)')
    .option('--target-repository-spec <file>', 'the target repository as a YAML/JSON spec file, instead of <target-repository>')
    .option('-r, --recursive', 'also transfer referenced component versions (from the source or configured resolvers)')
    .option('--copy-resources', 'copy external ociArtifact resources by value into the target')
    .option('--no-referrers', 'with --copy-resources: do not copy image referrers (signatures, SBOMs, attestations; cosign tags, OCI referrers)')
    .addOption(new Option('-u, --upload-as <how>', 'how resources copied by value are stored').choices(['localBlob', 'ociArtifact']))
    .option('--latest', 'with a versionless reference: only the highest (matching) version')
    .option('--semver-constraint <range>', 'with a versionless reference: only versions matching this constraint (Masterminds/semver, as Go v2: ">=1.2, <2", "~1.2", "^1", "1.x", "1.0 - 2.0", "a || b")')
    .option('--transfer-spec <file|->', 'replay a plan saved with -o yaml|json: source, target, roots and graph-shaping flags come from the file')
    .option('--concurrency <n>', 'parallel blob transfers (default 6)')
    .option('--overwrite', 'replace target versions whose content differs')
    .option('--dry-run', 'print the plan (what exists at the target, what must move) and stop')
    .option('--verify', 'before a version is tagged at the target, read it back: every blob, resource digests, signature digests')
    .option('--verify-signature <name>', 'with --verify: also verify this signature with --public-key')
    .option('--public-key <file>', 'RSA public key (PEM) or certificate for --verify-signature')
    .addOption(new Option('-o, --output <format>', 'print the plan as yaml or json on stdout (a transfer spec --transfer-spec replays), then transfer unless --dry-run').choices(['text', 'yaml', 'json']))
    .addOption(new Option('--format <format>', 'format of a new target CTF').choices(['directory', 'tar', 'tgz']))
    .addOption(new Option('--progress <mode>', 'progress display (auto: bars on a terminal, lines otherwise)').choices(['auto', 'bars', 'lines', 'none']).default('auto'))
    .option('-q, --quiet', 'print nothing but errors')
    .option('--delta-against <have>', 'delta export into a CTF: leave out blobs the far side holds (an inventory file from "ocm get inventory -o json", a CTF, or a registry)')
    .addHelpText(
      'after',
      `
Defaults come from a transfer.config.ocm.software/v1alpha1 entry in .ocmconfig (recursive: -1|0,
copyMode: localBlob|allResources, uploadType: localBlob|ociArtifact, concurrency); flags override them.
--copy-resources stores images either as local blobs inside the component version (an OCI index holding
the CV manifest and the images, all platforms) or, with --upload-as ociArtifact and a registry target,
as images next to the components (same repository path under the target). CTF targets always get local
blobs. Signatures stay valid: only accesses change, and resource digests are kept. Rerunning an interrupted
transfer completes it; a version becomes visible at the target only after all of its content arrived.
A failed transfer into a CTF that did not exist before removes it again; an existing CTF keeps its index.
Within one registry blobs are mounted, not read: --verify reads everything back before tagging.
-o yaml|json prints the plan (kind: ocm.software/transfer-spec/v1alpha1: source, target, the roots with the
exact versions --latest/--semver-constraint chose, the flags, and per version copy/present, artifacts and
bytes to move) before transferring. --transfer-spec <file|-> replays such a file: --recursive,
--copy-resources, --upload-as, --latest, --semver-constraint and the transfer config are then ignored.

Example:
  $ ocm transfer cv ./ctf//acme.org/app:1.0.0 http://127.0.0.1:5000/mirror --recursive
  $ ocm transfer cv 127.0.0.1:5000//acme.org/app:1.0.0 ./airgap.tgz -r --copy-resources
  $ ocm transfer cv ./airgap.tgz//acme.org/app:1.0.0 registry.example.com/ocm -r --dry-run
  $ ocm get inventory airgap.example/ocm --component acme.org/app -o json > have.json
  $ ocm transfer cv 127.0.0.1:5000//acme.org/app:1.1.0 ./delta.tgz -r --copy-resources --delta-against have.json
  $ ocm transfer cv ./ctf//acme.org/app ./out --semver-constraint '^1.2' --latest -o yaml --dry-run > plan.yaml
  $ ocm transfer cv --transfer-spec plan.yaml
A delta CTF records what it left out (ocm-delta.json); importing it checks the target holds all of
that before writing anything.
`,
    )
    .action(
      action(async (sourceRef: string | undefined, targetRef: string | undefined, opts: Opts, cmd: Command) => {
        await runTransfer(sourceRef, targetRef, opts, globals(cmd));
      }),
    );
}

async function runTransfer(sourceRef: string | undefined, targetRef: string | undefined, opts: Opts, g: GlobalOptions): Promise<void> {
  // Loaded together (not one after the other).
  const [ctx, { OcmError, ErrorCode }, { repositoryKindOf }, t, { openEndpoint, registryOpener }, progress, { config, resolverSpecs }, fs, types, specs] =
    await Promise.all([
      import('../session.js'),
      import('../../runtime/errors.js'),
      import('../../repository/reference.js'),
      import('../../transfer/index.js'),
      import('../../transfer/open.js'),
      import('../../transfer/progress.js'),
      transferConfig(g),
      import('node:fs/promises'),
      import('../../repository/types.js'),
      import('../repository-spec.js'),
    ]);
  const signal = ctx.cliSignal();

  const concurrency = opts.concurrency !== undefined ? Number(opts.concurrency) : config.concurrency;
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--concurrency "${opts.concurrency}": use an integer >= 1`);
  }
  if ((opts.verifySignature !== undefined) !== (opts.publicKey !== undefined)) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--verify-signature and --public-key go together: give both (the signature name and the key to check it with)`);
  }
  // A replayed plan names source, target and roots itself.
  const replay = opts.transferSpec !== undefined ? await (await import('../transfer-spec-file.js')).readTransferSpec(opts.transferSpec, [sourceRef, targetRef, opts.repositorySpec, opts.targetRepositorySpec]) : undefined;
  if (replay) {
    // nothing more to check about the target here
  } else if (sourceRef === undefined) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, 'missing source: give <source-ref> or --transfer-spec <file>');
  } else if ((targetRef === undefined) === (opts.targetRepositorySpec === undefined)) {
    throw new OcmError(
      ErrorCode.INVALID_ARGUMENT,
      targetRef === undefined ? 'missing target: give <target-repository> or --target-repository-spec <file>' : '<target-repository> and --target-repository-spec both name the target: give one of them',
    );
  }
  if (opts.targetRepositorySpec !== undefined && opts.format !== undefined) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, '--format applies to a CTF given as <target-repository>, not to --target-repository-spec');
  }
  const ref = replay ? undefined : await specs.componentReference(sourceRef!, g, opts.repositorySpec);
  if (ref?.digest) throw new OcmError(ErrorCode.UNSUPPORTED, `reference "${sourceRef}": pinning by @digest is not supported; drop the @digest part`);
  if (!replay && opts.semverConstraint !== undefined) {
    if (ref?.version) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--semver-constraint selects among versions: drop ":${ref.version}" from "${sourceRef}"`);
    t.checkSemverConstraint(opts.semverConstraint);
  }
  let verifySignature;
  if (opts.verifySignature !== undefined && opts.publicKey !== undefined) {
    const { parsePublicKey } = await import('../../signing/rsa.js');
    let pem: string;
    try {
      pem = await fs.readFile(opts.publicKey, 'utf8');
    } catch (e) {
      throw (await import('../../runtime/errors.js')).fromFsError(e, `public key ${opts.publicKey}`);
    }
    verifySignature = { name: opts.verifySignature, publicKey: parsePublicKey(pem, opts.publicKey) };
  }
  const credentials = await ctx.credentialsFor(g);
  const common = { credentials, signal, registry: ctx.ocmSession(g).types, ...(g.plainHttp ? { plainHttp: true } : {}) };
  const opened: import('../../repository/types.js').ComponentVersionRepository[] = [];
  const registries = registryOpener(common);
  const sourceSpec = replay ? replay.source : ref!.repository;
  const targetSpec = replay
    ? replay.target
    : opts.targetRepositorySpec !== undefined
      ? await specs.readSpecFile(opts.targetRepositorySpec, '--target-repository-spec')
      : ctx.repositorySpecFor(targetRef!, opts.format);
  // A CTF this command creates is removed again when the transfer fails (also when interrupted).
  const newCtf = !opts.dryRun && repositoryKindOf(targetSpec.type) === 'ctf' ? String(targetSpec['filePath']) : undefined;
  const created = newCtf !== undefined && !(await fs.stat(newCtf).then(() => true, () => false));
  let target: import('../../repository/types.js').ComponentVersionRepository | undefined;
  let ok = false;
  try {
    const source = await openEndpoint(sourceSpec, { ...common, readOnly: true });
    opened.push(source);
    target = await openEndpoint(targetSpec, { ...common, ...(opts.dryRun ? { emptyIfMissing: true, readOnly: true } : { create: true }) });
    const resolvers = [];
    for (const spec of resolverSpecs) {
      const r = await openEndpoint(spec, { ...common, readOnly: true });
      opened.push(r);
      resolvers.push(r);
    }
    // graph-shaping flags: from a replayed plan, else from the command line and the config
    const shape = replay
      ? { roots: replay.roots, ...replay.flags, overwrite: replay.flags.overwrite || (opts.overwrite ?? false) }
      : {
          roots: [{ component: ref!.component, ...(ref!.version ? { version: ref!.version } : {}) }],
          recursive: opts.recursive ?? config.recursive ?? false,
          copyResources: opts.copyResources ?? config.copyResources ?? false,
          uploadAs: opts.uploadAs ?? config.uploadAs ?? 'localBlob',
          ...(opts.referrers === false ? { referrers: false } : {}),
          latest: opts.latest ?? false,
          ...(opts.semverConstraint !== undefined ? { semverConstraint: opts.semverConstraint } : {}),
          overwrite: opts.overwrite ?? false,
        };
    const deltaAgainst =
      opts.deltaAgainst !== undefined
        ? await (await import('../delta-base.js')).resolveDeltaBase(opts.deltaAgainst, [...new Set(shape.roots.map((r) => r.component))], { ...common, readOnly: true })
        : undefined;
    const options = {
      ...shape,
      ...(deltaAgainst ? { deltaAgainst } : {}),
      resolvers,
      openRegistry: registries.open,
      // Read resources through their access methods (plugins) when copying by value outside OCI form.
      registry: common.registry,
      credentials,
      ...(g.plainHttp ? { plainHttp: true } : {}),
      signal,
      ...(opts.verify || verifySignature ? { verify: true } : {}),
      ...(verifySignature ? { verifySignature } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
    } as const;
    if (![source, target, ...resolvers].every((r) => types.hasOciStore(r))) {
      // A repository not stored in OCI form (e.g. a plugin's): through the repository interface.
      if (opts.dryRun) throw new OcmError(ErrorCode.UNSUPPORTED, `--dry-run needs repositories stored in OCI form (CTF, OCI registry)`);
      const summary = await t.transfer(source, target, options);
      ok = true;
      await report(summary, true);
      return;
    }
    // the plan as a replayable transfer spec, printed before anything moves
    const fmt = opts.output ?? 'text';
    // A plan nobody reads first need not ask about every blob before the first one moves.
    const plan = await t.planTransfer(source, target, { ...options, blobChecks: opts.dryRun || fmt !== 'text' ? 'plan' : 'copy' });
    const doc = fmt === 'text' ? undefined : t.transferSpecDocument(plan, sourceSpec, targetSpec, options);
    if (fmt === 'json') await ctx.print(`${JSON.stringify(doc, null, 2)}\n`);
    else if (fmt === 'yaml') await ctx.print((await import('yaml')).stringify(doc));
    if (opts.dryRun) {
      ok = true;
      if (fmt === 'text') await ctx.print(progress.describePlan(plan));
      return;
    }
    const mode = opts.quiet ? 'none' : opts.progress && opts.progress !== 'auto' ? opts.progress : process.stderr.isTTY ? 'bars' : 'lines';
    const reporter = progress.progressReporter(plan, process.stderr, mode);
    let summary;
    try {
      summary = await t.executeTransfer(plan, { ...options, events: reporter.events });
    } finally {
      reporter.stop();
    }
    ok = true;
    await report(summary);
  } finally {
    await registries.close().catch(() => undefined);
    for (const o of opened.reverse()) await o.close();
    // the target last: closing a tar/tgz CTF rewrites it; a failed transfer must not (or must not leave a new one)
    if (target) {
      if (ok || !types.isDiscardable(target)) await target.close();
      else await target.discard().catch(() => undefined);
    }
    // Writes the abort interrupted may still land while the tree is removed (ENOTEMPTY): fs.rm retries.
    if (!ok && created) await fs.rm(newCtf, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }

  async function report(summary: import('../../transfer/types.js').TransferSummary, generic = false): Promise<void> {
    if (!opts.quiet) process.stderr.write(progress.describeSummary(summary));
    // repositories not in OCI form have no plan to print: -o gives the summary there
    if (!generic) return;
    if (opts.output === 'json') await ctx.print(`${JSON.stringify(summary, null, 2)}\n`);
    else if (opts.output === 'yaml') await ctx.print((await import('yaml')).stringify(summary));
  }
}

/** Transfer defaults and resolver repositories from the configuration. */
async function transferConfig(g: GlobalOptions): Promise<{ config: import('../../transfer/config.js').TransferConfig; resolverSpecs: TypedSpec[] }> {
  const [{ configEntriesOfType }, { configFor }, { transferConfigFrom, TRANSFER_CONFIG_TYPE }] = await Promise.all([
    import('../../credentials/config.js'),
    import('../credentials.js'),
    import('../../transfer/config.js'),
  ]);
  const cfg = await configFor(g);
  const config = transferConfigFrom(configEntriesOfType(cfg, TRANSFER_CONFIG_TYPE).map((e) => e.value));
  const resolverSpecs: TypedSpec[] = [];
  for (const e of configEntriesOfType(cfg, 'ocm.config.ocm.software')) {
    const list = e.value['resolvers'];
    if (!Array.isArray(list)) continue;
    for (const r of list as { repository?: TypedSpec }[]) if (r?.repository && typeof r.repository.type === 'string') resolverSpecs.push(r.repository);
  }
  return { config, resolverSpecs };
}
