import { Option, type Command } from 'commander';
import { action } from '../run.js';

interface Opts {
  signature: string;
  privateKey?: string;
  signerSpec?: string;
  algorithm?: string;
  hash: string;
  normalisation: string;
  issuer?: string;
  certificate?: string;
  recursive?: boolean;
  force?: boolean;
  dryRun?: boolean;
  output: string;
}

/** `ocm sign component-version <ref>`: digest resources and references, sign, store the signature. */
export function register(parent: Command): void {
  parent
    .command('component-version')
    .aliases(['component-versions', 'cv', 'cvs'])
    .description('sign a component version: compute resource and reference digests from content, sign the normalised descriptor, store it')
    .argument('<reference>', '[type::]repository//component:version, e.g. ./transport-archive//acme.org/app:1.0.0')
    .option('-s, --signature <name>', 'signature name (re-signing an existing name needs --force)', 'default')
    .option('--private-key <file>', 'RSA private key (PEM, PKCS#1 or PKCS#8); default: credentials for {type: RSA/v1alpha1, algorithm, signature}')
    .option('--signer-spec <file>', 'signer config (YAML/JSON) of any registered signer type, e.g. a plugin\'s {type: HMAC/v1alpha1, ...} or {type: RSASigningConfiguration/v1alpha1}; keys/credentials for the identity it names come from .ocmconfig')
    .option('--algorithm <name>', 'RSASSA-PKCS1-V1_5 (default; verifies in Go v1 and v2) or RSASSA-PSS; default from signing.config.ocm.software')
    .addOption(new Option('--hash <name>', 'hash algorithm of the descriptor digest').choices(['SHA-256', 'SHA-512']).default('SHA-256'))
    .addOption(
      new Option('--normalisation <name>', 'descriptor normalisation')
        .choices(['jsonNormalisation/v3', 'jsonNormalisation/v4alpha1', 'jsonNormalisation/v2', 'jsonNormalisation/v1'])
        .default('jsonNormalisation/v3'),
    )
    .option('--certificate <file>', 'signer certificate chain (PEM, leaf first): the signature is stored PEM-encoded with the chain')
    .option('--issuer <dn>', 'issuer DN recorded in the signature (must match the leaf certificate subject or issuer)')
    .option('-r, --recursive', 'also sign every referenced component version (same key and name)')
    .option('--force', 'replace an existing signature of the same name')
    .option('--dry-run', 'compute and show the signature, store nothing')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'yaml', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Resource digests are computed from the content (local blobs are re-read, OCI artifacts digested by
manifest); existing digests are checked, never replaced. References get the digest of the referenced
version's normalised descriptor, computed recursively from its content.

Example:
  $ ocm sign cv ./ctf//acme.org/app:1.0.0 --signature acme --private-key acme.priv.pem
  $ ocm sign cv ./ctf//acme.org/app:1.0.0 --signature acme --private-key key.pem --algorithm RSASSA-PSS --force
  $ ocm sign cv ./ctf//acme.org/app:1.0.0 --signature acme --private-key key.pem --certificate chain.pem --issuer "CN=acme signer,O=acme"
  $ ocm sign cv ./ctf//acme.org/app:1.0.0 --signature acme --signer-spec hmac-signer.yaml
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

        if (opts.signerSpec !== undefined) {
          const rsaOnly = (['privateKey', 'algorithm', 'certificate', 'issuer'] as const).filter((k) => opts[k] !== undefined);
          if (rsaOnly.length > 0) {
            const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
            throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--signer-spec cannot be combined with ${rsaOnly.map(flag).join(', ')}: the spec selects the signer and its keys`);
          }
        }
        const { configFor } = await import('../credentials.js');
        const config = await configFor(g);
        const signer = opts.signerSpec === undefined ? signing.signerConfigFor(config.entries, opts.signature, sc.types) : {};
        // A spec from the flag, or a signing.config signer of a non-RSA type (unless RSA flags were given: flags beat config).
        const signerSpec = opts.signerSpec !== undefined ? await sc.readSpec(opts.signerSpec, 'signer spec') : opts.privateKey || opts.algorithm ? undefined : signer.spec;
        const algorithm = opts.algorithm ? signing.parseAlgorithm(opts.algorithm) : (signer.algorithm ?? signing.RSASSA_PKCS1_V1_5);

        let privateKey = opts.privateKey ? signing.parsePrivateKey(await read(opts.privateKey, 'private key'), opts.privateKey) : undefined;
        if (signerSpec) signing.specSigner(signerSpec, sc.types); // unknown type or bad spec: fail before opening anything
        else if (!privateKey) {
          const identity = signing.signingConsumerIdentity(algorithm, opts.signature);
          privateKey = (await signing.keysFromCredentials(credentials, identity, { signal })).privateKey;
          if (!privateKey) {
            throw new OcmError(
              ErrorCode.INVALID_ARGUMENT,
              `no private key for signature "${opts.signature}": pass --private-key FILE or configure RSACredentials/v1 for consumer {type: RSA/v1alpha1, algorithm: ${algorithm}, signature: ${opts.signature}}`,
            );
          }
        }
        const certificateChain = opts.certificate ? signing.parseCertificates(await read(opts.certificate, 'certificate'), opts.certificate) : undefined;
        if (opts.certificate && certificateChain!.length === 0) throw new OcmError(ErrorCode.KEY_ERROR, `${opts.certificate}: no CERTIFICATE block found`);

        const { component, version, repository } = await sc.openVersion(reference, 'sign');
        const result = await ctx.using(repository, (repo) =>
          signing.signComponentVersion({
            repository: repo,
            component,
            version,
            name: opts.signature,
            ...(signerSpec ? { signerSpec } : { privateKey: privateKey!, algorithm }),
            registry: sc.types,
            hashAlgorithm: opts.hash,
            normalisation: opts.normalisation,
            ...(opts.issuer !== undefined ? { issuer: opts.issuer } : {}),
            ...(certificateChain ? { certificateChain } : {}),
            ...(signer.encoding ? { encoding: signer.encoding } : {}),
            recursive: opts.recursive === true,
            force: opts.force === true,
            dryRun: opts.dryRun === true,
            credentials,
            ...(g.plainHttp ? { plainHttp: true } : {}),
            signal,
          }),
        );
        const format = ctx.outputFormat(opts.output, ['text', 'yaml', 'json'] as const, 'text');
        if (format === 'text') {
          const lines = result.descriptors.map((d) => {
            const s = d.signatures!.find((x) => x.name === opts.signature)!;
            return `${opts.dryRun ? 'would sign' : 'signed'} ${d.component.name}:${d.component.version} signature "${s.name}" (${s.signature.algorithm}, ${s.digest.normalisationAlgorithm}, ${s.digest.hashAlgorithm} ${s.digest.value})`;
          });
          await ctx.print(`${lines.join('\n')}\n`);
          return;
        }
        const { serializeDescriptor } = await import('../../descriptor/codec.js');
        const root = result.descriptors[result.descriptors.length - 1]!;
        await ctx.print(serializeDescriptor(root, format));
      }),
    );
}
