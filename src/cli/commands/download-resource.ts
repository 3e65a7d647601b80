import type { Command } from 'commander';
import type { Resource } from '../../descriptor/types.js';
import { globals } from '../global-options.js';
import { action } from '../run.js';

interface Opts {
  identity?: string;
  output?: string;
  repositorySpec?: string;
  transformer?: string;
}

/** `ocm download resource <ref> --identity name=x -O file|-`: the exact bytes of one resource. */
export function register(parent: Command): void {
  parent
    .command('resource')
    .aliases(['resources'])
    .description('download the content of one resource of a component version (exact bytes, digest-checked)')
    .argument('<reference>', '[type::]repository//component:version, e.g. ./transport-archive//acme.org/app:1.0.0')
    .requiredOption('--identity <k=v,...>', 'the resource identity, e.g. name=chart or name=image,version=1.0.0 (must select exactly one resource)')
    .option('-O, --output <file|->', 'where to write the bytes; "-" writes to stdout (default: a file named like the resource in the current directory)')
    .option('--repository-spec <file>', 'the repository as a YAML/JSON spec file (any repository type, e.g. one a plugin serves); the reference is then component:version')
    .option('--transformer <spec-file>', 'transform the (digest-checked) bytes before writing them, with a blob transformer spec (YAML/JSON, e.g. of a type a plugin serves)')
    .addHelpText(
      'after',
      `
The bytes are checked against the stored digest while they are written; a file appears only when the
check passed (with "-" a mismatch still fails the command with a non-zero exit code).

Example:
  $ ocm download resource ./transport-archive//acme.org/helloworld:1.0.0 --identity name=readme -O readme.txt
  $ ocm download resource ctf::archive.tgz//acme.org/helloworld:1.0.0 --identity name=data -O - | sha256sum
  $ ocm download resource ./transport-archive//acme.org/helloworld:1.0.0 --identity name=readme --transformer upper.yaml -O README
`,
    )
    .action(
      action(async (reference: string, opts: Opts, cmd: Command) => {
        const { mkdir } = await import('node:fs/promises');
        const { dirname, resolve } = await import('node:path');
        const { pipeline } = await import('node:stream/promises');
        const { Transform } = await import('node:stream');
        const ctx = await import('../context.js');
        const { selectElements, elementIdentities } = await import('../../descriptor/identity.js');
        const { accessMethod, accessCredentials } = await import('../../repository/access.js');
        const specs = await import('../repository-spec.js');
        const { PassThrough } = await import('node:stream');
        const { verifying } = await import('../../digest/digest.js');
        const { streamToFileAtomic } = await import('../../internal/atomic.js');
        const { parseIdentity, formatIdentity } = await import('../../runtime/identity.js');
        const { ErrorCode, NotFoundError, OcmError, fromFsError } = await import('../../runtime/errors.js');

        const selector = parseIdentity(opts.identity ?? '');
        if (Object.keys(selector).length === 0) throw new OcmError(ErrorCode.INVALID_ARGUMENT, '--identity must name the resource, e.g. --identity name=chart');
        const g = globals(cmd);
        const registry = ctx.ocmSession(g).types;
        // The transformer is checked before anything is read, so a bad spec file costs no download.
        const transformerSpec = opts.transformer !== undefined ? await specs.readSpecFile(opts.transformer, '--transformer') : undefined;
        const transformer = transformerSpec
          ? registry.decode<import('../../repository/transformer.js').BlobTransformer>('blob-transformer', transformerSpec).impl
          : undefined;
        const credentials = await ctx.credentialsFor(g);
        const { ref, repository } = await specs.openComponentReference(reference, g, opts.repositorySpec);
        const signal = ctx.cliSignal();

        await ctx.using(repository, async (repo) => {
          let version = ref.version;
          if (version === undefined) {
            const versions = await repo.listComponentVersions(ref.component, { signal });
            if (versions.length !== 1) {
              throw new OcmError(
                versions.length === 0 ? ErrorCode.NOT_FOUND : ErrorCode.INVALID_ARGUMENT,
                versions.length === 0
                  ? `component ${ref.component} has no versions in ${ctx.describeRepository(ref.repository)}`
                  : `reference "${reference}" has no version and ${ref.component} has several (${versions.join(', ')}); add :<version>`,
              );
            }
            version = versions[0]!;
          }
          const cd = await repo.getComponentVersion(ref.component, version, { signal });
          const resources = cd.component.resources;
          const matches = selectElements(resources, selector);
          if (matches.length !== 1) {
            const available = elementIdentities(resources).map((id) => formatIdentity(id)).join('; ') || 'none';
            const what = `${ref.component}:${version}`;
            if (matches.length === 0) throw new NotFoundError(`no resource with identity ${formatIdentity(selector)} in ${what} (available: ${available})`);
            throw new OcmError(
              ErrorCode.INVALID_ARGUMENT,
              `identity ${formatIdentity(selector)} matches ${matches.length} resources of ${what}; add attributes to select one (available: ${available})`,
            );
          }
          const resource: Resource = matches[0]!;
          // The default file name comes from the (remote-controlled) descriptor: it must stay a plain name in the cwd.
          if (opts.output === undefined && (/[\\/]/.test(resource.name) || resource.name === '.' || resource.name === '..' || resource.name === '')) {
            throw new OcmError(ErrorCode.UNSAFE_PATH, `resource name "${resource.name}" is not a plain file name; choose the output file with -O`);
          }
          const method = accessMethod(resource.access, registry);
          const accessCreds = await accessCredentials(method, resource.access, credentials, { signal });
          let content = await method.open(resource.access, {
            repository: repo,
            component: ref.component,
            version,
            resource,
            ...(accessCreds ? { credentials: accessCreds } : {}),
            ...(g.plainHttp ? { plainHttp: true } : {}),
            signal,
          });
          let checks = resourceDigestCheck(resource, `resource ${resource.name} of ${ref.component}:${version}`, verifying);
          if (transformer && transformerSpec) {
            // The transformer reads the bytes only through the digest checks; its output has no digest to check.
            const verified = new PassThrough();
            pipeline([content.stream, ...checks, verified], { signal }).catch((e: unknown) => verified.destroy(e as Error));
            const id = await transformer.consumerIdentity(transformerSpec);
            const tc = id ? await credentials.resolve(id, { signal }) : undefined;
            content = await transformer.transform({ ...content, stream: verified }, transformerSpec, { ...(tc ? { credentials: tc } : {}), signal });
            checks = [];
          }
          const output = opts.output ?? resource.name;
          if (output === '-') {
            // Holding back the last chunk until every check passed keeps a small corrupted blob off stdout entirely.
            try {
              await pipeline([content.stream, ...checks, holdLastChunk(Transform), process.stdout], { signal, end: false });
            } catch (e) {
              // The reader went away (`| head`): like any Unix filter, stop quietly.
              if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
            }
            return;
          }
          const target = resolve(output);
          try {
            await mkdir(dirname(target), { recursive: true });
          } catch (e) {
            throw fromFsError(e, dirname(target));
          }
          await streamToFileAtomic(target, content.stream, checks, { signal });
          await ctx.print(`${resource.name}: ${content.size ?? ''}${content.size !== undefined ? ' bytes ' : ''}written to ${output}\n`);
        });
      }),
    );
}

/**
 * A verifier for the resource's own digest when it is a plain SHA-256 blob digest (the
 * repository already checks the stored blob; this also catches a descriptor/blob mismatch).
 * Other normalisations (e.g. ociArtifactDigest/v1) are not a hash of these bytes.
 */
function resourceDigestCheck(
  resource: Resource,
  what: string,
  verifying: typeof import('../../digest/digest.js').verifying,
): NodeJS.ReadWriteStream[] {
  const d = resource.digest;
  if (!d || d.normalisationAlgorithm !== 'genericBlobDigest/v1' || !/^sha-?256$/i.test(d.hashAlgorithm)) return [];
  return [verifying({ digest: `sha256:${d.value.toLowerCase()}`, what })];
}

/** Passes chunks on one step late; the last is released in flush, i.e. only after upstream ended without error. */
function holdLastChunk(TransformClass: typeof import('node:stream').Transform): import('node:stream').Transform {
  let held: Buffer | undefined;
  return new TransformClass({
    transform(chunk: Buffer, _enc, cb) {
      const out = held;
      held = chunk;
      cb(null, out);
    },
    flush(cb) {
      cb(null, held);
    },
  });
}
