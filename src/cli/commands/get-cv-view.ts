/**
 * `ocm get cv -o dot|mermaid|…`: the formats that render the view model (src/view) rather than
 * descriptors. Each renderer is loaded only when asked for, so `ocm get cv -o yaml` stays cheap.
 */
import type { Command } from 'commander';
import type { ComponentReference } from '../../repository/reference.js';
import type { ComponentVersionRepository } from '../../repository/types.js';
import type { ViewGraph } from '../../view/model.js';

/** Output format → its renderer. */
export const VIEW_FORMATS: Readonly<Record<string, () => Promise<(graph: ViewGraph) => string>>> = {
  dot: async () => (await import('../../view/dot.js')).toDot,
  mermaid: async () => (await import('../../view/mermaid.js')).toMermaid,
  cyclonedx: async () => {
    const { toCycloneDx } = await import('../../view/cyclonedx.js');
    return (g) => `${JSON.stringify(toCycloneDx(g), null, 2)}\n`;
  },
  spdx: async () => {
    const { toSpdx } = await import('../../view/spdx.js');
    return (g) => `${JSON.stringify(toSpdx(g), null, 2)}\n`;
  },
};

export interface ViewOpts {
  readonly output: string;
  readonly recursive?: boolean;
  readonly verifySignature?: string;
  readonly publicKey?: string;
}

/** Builds the graph of `ref` (all versions when it names none) and renders it as `opts.output`. */
export async function renderViewFormat(ref: ComponentReference, repository: ComponentVersionRepository, opts: ViewOpts, cmd: Command): Promise<string> {
  const [ctx, out, { buildViewGraph }, { NotFoundError, OcmError, ErrorCode }, { signingCommandContext }, { parsePublicKey }] = await Promise.all([
    import('../context.js'),
    import('../output/component-versions.js'),
    import('../../view/graph.js'),
    import('../../runtime/errors.js'),
    import('../signing-options.js'),
    import('../../signing/rsa.js'),
  ]);
  const render = await VIEW_FORMATS[opts.output]!();
  if (opts.verifySignature !== undefined && opts.publicKey === undefined) {
    await repository.close().catch(() => undefined);
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--verify-signature ${opts.verifySignature} needs --public-key FILE (the key the signature is checked with)`);
  }
  const sc = await signingCommandContext(cmd);
  let publicKey;
  try {
    publicKey = opts.publicKey !== undefined ? parsePublicKey(await sc.readPem(opts.publicKey, 'public key'), opts.publicKey) : undefined;
  } catch (e) {
    await repository.close().catch(() => undefined);
    throw e;
  }
  const signal = sc.signal;
  const graph = await ctx.using(repository, async (repo) => {
    const versions = ref.version ? [ref.version] : out.sortVersions(await repo.listComponentVersions(ref.component, { signal }));
    if (versions.length === 0) throw new NotFoundError(`component ${ref.component} has no versions in ${ctx.describeRepository(ref.repository)}`);
    return buildViewGraph(repo, ref.component, versions, {
      recursive: opts.recursive === true,
      describe: (r) => (r === repo ? ctx.describeRepository(ref.repository) : undefined),
      signal,
      ...(publicKey
        ? {
            verify: {
              publicKey,
              ...(opts.verifySignature !== undefined ? { signature: opts.verifySignature } : {}),
              credentials: sc.credentials,
              registry: sc.types,
              ...(sc.globals.plainHttp ? { plainHttp: true } : {}),
            },
          }
        : {}),
    });
  });
  return render(graph);
}
