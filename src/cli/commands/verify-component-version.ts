import { Option, type Command } from 'commander';
import { action } from '../run.js';

interface Opts {
  signature?: string;
  publicKey?: string;
  caCert?: string;
  verifierSpec?: string;
  recursive?: boolean;
  output: string;
}

/** `ocm verify component-version <ref>`: re-read every resource, recompute digests, check signatures. */
export function register(parent: Command): void {
  parent
    .command('component-version')
    .aliases(['component-versions', 'cv', 'cvs'])
    .description('verify a component version signature: every resource blob is re-read and checked, then the signature')
    .argument('<reference>', '[type::]repository//component:version, e.g. ./transport-archive//acme.org/app:1.0.0')
    .option('-s, --signature <name>', 'signature to verify (default: every signature of the component version)')
    .option('--public-key <file>', 'RSA public key (PEM: PUBLIC KEY, RSA PUBLIC KEY) or certificate; default: credentials for {type: RSA/v1alpha1, algorithm, signature}')
    .option('--verifier-spec <file>', 'verifier config (YAML/JSON) of any registered signer type, e.g. a plugin\'s {type: HMAC/v1alpha1, ...}; credentials for the identity it names come from .ocmconfig')
    .option('--ca-cert <file>', 'trusted CA certificate(s) (PEM): the signer certificate chain must lead to one of them')
    .option('-r, --recursive', 'also verify the same signature on every referenced component version')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Exit code 0 when every check passed; 5 (VERIFICATION_FAILED / DIGEST_MISMATCH) with a message that
names what changed (resource, reference or descriptor field; expected and found digest).

Example:
  $ ocm verify cv ./ctf//acme.org/app:1.0.0 --signature acme --public-key acme.pub.pem
  $ ocm verify cv ./ctf//acme.org/app:1.0.0 --signature acme --ca-cert root-ca.pem --recursive
  $ ocm verify cv ./ctf//acme.org/app:1.0.0 --signature acme --verifier-spec hmac-verifier.yaml
`,
    )
    .action(
      action(async (reference: string, opts: Opts, cmd: Command) => {
        const ctx = await import('../context.js');
        const signing = await import('../../signing/index.js');
        const { ErrorCode, OcmError } = await import('../../runtime/errors.js');
        const sc = await (await import('../signing-options.js')).signingCommandContext(cmd);
        const { globals: g, signal, credentials } = sc;
        const read = sc.readPem;
        if (opts.verifierSpec !== undefined && (opts.publicKey !== undefined || opts.caCert !== undefined)) {
          throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--verifier-spec cannot be combined with ${opts.publicKey !== undefined ? '--public-key' : '--ca-cert'}: the spec selects the verifier and its keys`);
        }
        const verifierSpec = opts.verifierSpec !== undefined ? await sc.readSpec(opts.verifierSpec, 'verifier spec') : undefined;
        if (verifierSpec) signing.specSigner(verifierSpec, sc.types); // unknown type or bad spec: fail before opening anything
        const keyed = opts.publicKey !== undefined || opts.caCert !== undefined;
        const entries = verifierSpec || keyed ? [] : (await (await import('../credentials.js')).configFor(g)).entries;
        const publicKey = opts.publicKey ? signing.parsePublicKey(await read(opts.publicKey, 'public key'), opts.publicKey) : undefined;
        const caCerts = opts.caCert ? signing.parseCertificates(await read(opts.caCert, 'CA certificate'), opts.caCert) : undefined;
        if (opts.caCert && caCerts!.length === 0) throw new OcmError(ErrorCode.KEY_ERROR, `${opts.caCert}: no CERTIFICATE block found`);

        const { component, version, repository } = await sc.openVersion(reference, 'verify');
        const verified = await ctx.using(repository, async (repo) => {
          const cd = await repo.getComponentVersion(component, version, { signal });
          const names = opts.signature ? [opts.signature] : (cd.signatures ?? []).map((s) => s.name);
          if (names.length === 0) throw new OcmError(ErrorCode.VERIFICATION_FAILED, `${component}:${version} has no signatures`);
          const out = [];
          for (const name of names) {
            // The flag, else a signing.config signer of a non-RSA type for this signature.
            const spec = verifierSpec ?? (keyed ? undefined : signing.signerConfigFor(entries, name, sc.types).spec);
            const common = {
              repository: repo,
              component,
              version,
              signature: name,
              registry: sc.types,
              recursive: opts.recursive === true,
              credentials,
              ...(g.plainHttp ? { plainHttp: true } : {}),
              signal,
            };
            if (spec) {
              out.push(...(await signing.verifyComponentVersion({ ...common, verifierSpec: spec })).verified);
              continue;
            }
            let key = publicKey;
            const sig = (cd.signatures ?? []).find((s) => s.name === name);
            if (!key && !caCerts && sig) {
              const alg = sig.signature.mediaType === signing.MEDIA_TYPE_RSA_PSS ? signing.RSASSA_PSS : safeAlg(signing.parseAlgorithm, sig.signature.algorithm);
              key = (await signing.keysFromCredentials(credentials, signing.signingConsumerIdentity(alg as 'RSASSA-PSS', name), { signal })).publicKey;
              if (!key) {
                throw new OcmError(
                  ErrorCode.INVALID_ARGUMENT,
                  `no public key for signature "${name}": pass --public-key FILE or --ca-cert FILE, or configure RSACredentials/v1 for consumer {type: RSA/v1alpha1, algorithm: ${alg}, signature: ${name}}`,
                );
              }
            }
            out.push(...(await signing.verifyComponentVersion({ ...common, ...(key ? { publicKey: key } : {}), ...(caCerts ? { caCerts } : {}) })).verified);
          }
          return out;
        });
        if (ctx.outputFormat(opts.output, ['text', 'json'] as const, 'text') === 'json') {
          await ctx.print(`${JSON.stringify({ verified }, null, 2)}\n`);
          return;
        }
        const lines = verified.map(
          (v) => `verified ${v.component} signature "${v.name}" (${v.algorithm}, ${v.normalisation} ${v.digest}${v.signer ? `, signer ${v.signer}` : ''})`,
        );
        await ctx.print(`${lines.join('\n')}\n`);
      }),
    );
}

function safeAlg(parse: (s: string) => 'RSASSA-PKCS1-V1_5' | 'RSASSA-PSS', text: string): string {
  try {
    return parse(text);
  } catch {
    return text;
  }
}
