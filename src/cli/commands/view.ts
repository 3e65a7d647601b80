import type { Command } from 'commander';
import { action } from '../run.js';
import type { ViewVerifyOptions } from '../../view/graph.js';

interface Opts {
  output: string;
  recursive?: boolean;
  repositorySpec?: string;
  verifySignature?: string;
  publicKey?: string;
  verifierSpec?: string;
}


/** `ocm view <ref> -o report.html`: the Software Bill of Delivery, one self-contained HTML page. */
export function register(program: Command): void {
  program
    .command('view')
    .description('write the Software Bill of Delivery of a component version: one self-contained HTML page (graph, resources, sources, signatures)')
    .argument('<reference>', '[type::]repository//component:version, e.g. ./transport-archive//acme.org/app:1.0.0 (with --repository-spec: component:version)')
    .requiredOption('-o, --output <file>', 'the HTML file to write (replaced atomically), or - for stdout')
    .option('--recursive', 'also show the component versions it references (componentReferences), from the same repository')
    .option('--repository-spec <file>', 'the repository as a YAML/JSON spec file; the reference is then component:version')
    .option('--verify-signature <name>', 'verify this signature on every version shown and show the result (default: signatures are shown as not checked)')
    .option('--public-key <file>', 'RSA public key (PEM) or certificate for --verify-signature; default: credentials for {type: RSA/v1alpha1, ...}')
    .option('--verifier-spec <file>', 'verifier config (YAML/JSON) of any registered signer type, for --verify-signature')
    .addHelpText(
      'after',
      `
The page needs no network and no other file: open it from disk, archive it with the release, print
it. Signature states are computed when the page is written: verified, failed (with what changed,
e.g. which resource's digest differs) or not checked.

Example:
  $ ocm view ./transport-archive//acme.org/app:1.0.0 --recursive -o delivery.html
  $ ocm view ./transport-archive//acme.org/app:1.0.0 --recursive --verify-signature acme --public-key acme.pub.pem -o delivery.html
  $ ocm view http://127.0.0.1:5000/ocm//acme.org/app:1.0.0 -o - > delivery.html
`,
    )
    .action(
      action(async (reference: string, opts: Opts, cmd: Command) => {
        const [ctx, specs, { ErrorCode, OcmError }, { globals }] = await Promise.all([
          import('../context.js'),
          import('../repository-spec.js'),
          import('../../runtime/errors.js'),
          import('../global-options.js'),
        ]);
        const checking = opts.verifySignature !== undefined || opts.publicKey !== undefined || opts.verifierSpec !== undefined;
        if (checking && opts.verifySignature === undefined) {
          throw new OcmError(ErrorCode.INVALID_ARGUMENT, `${opts.publicKey !== undefined ? '--public-key' : '--verifier-spec'} needs --verify-signature <name>: the signature to check`);
        }
        if (opts.publicKey !== undefined && opts.verifierSpec !== undefined) {
          throw new OcmError(ErrorCode.INVALID_ARGUMENT, '--verifier-spec cannot be combined with --public-key: the spec selects the verifier and its keys');
        }
        // Everything that can fail on input is checked before the repository is opened.
        let verify: ViewVerifyOptions | undefined;
        if (checking) {
          const signing = await import('../../signing/index.js');
          const sc = await (await import('../signing-options.js')).signingCommandContext(cmd);
          const publicKey = opts.publicKey !== undefined ? signing.parsePublicKey(await sc.readPem(opts.publicKey, 'public key'), opts.publicKey) : undefined;
          const verifierSpec = opts.verifierSpec !== undefined ? await sc.readSpec(opts.verifierSpec, 'verifier spec') : undefined;
          if (verifierSpec) signing.specSigner(verifierSpec, sc.types);
          verify = { signature: opts.verifySignature!, credentials: sc.credentials, registry: sc.types, ...(publicKey ? { publicKey } : {}), ...(verifierSpec ? { verifierSpec } : {}) };
        }
        const { ref, repository } = await specs.openComponentReference(reference, globals(cmd), opts.repositorySpec);
        if (!ref.version || ref.digest) {
          await repository.close().catch(() => undefined);
          throw new OcmError(ErrorCode.INVALID_ARGUMENT, `reference "${reference}" must name one component version (component:version, no @digest)`);
        }
        const signal = ctx.cliSignal();
        const { buildViewGraph } = await import('../../view/graph.js');
        const graph = await ctx.using(repository, (repo) =>
          buildViewGraph(repo, ref.component, ref.version!, { recursive: opts.recursive === true, ...(verify ? { verify } : {}), signal }),
        );
        const html = (await import('../../view/html.js')).renderHtml(graph);
        if (opts.output === '-') {
          await ctx.print(html);
          return;
        }
        // Temp file beside the target, then rename: a reader never sees half a page.
        await (await import('../../internal/atomic.js')).writeFileAtomic(opts.output, html);
      }),
    );
}
