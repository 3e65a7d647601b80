/**
 * Signing a component version in its repository: digest resources and references from content,
 * sign the normalised descriptor, store the result (the repository writes the tag last, so the
 * update is atomic). With `recursive`, referenced versions are signed (and stored) first.
 */
import type { ComponentDescriptor, Signature } from '../descriptor/types.js';
import type { ComponentVersionRepository } from '../repository/types.js';
import { throwIfAborted } from '../runtime/errors.js';
import {
  createLimiter,
  DEFAULT_CONCURRENCY,
  digestComponentVersion,
  memoResolver,
  sameRepositoryResolver,
  type ComponentVersionResolver,
  type DigestCache,
  type DigestOptions,
  type LocatedComponentVersion,
} from './digests.js';
import { DEFAULT_NORMALISATION, HASH_SHA256, canonicalHashName } from './normalise/index.js';
import type { TypedSpecLike } from '../runtime/type-registry.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import { createSignature, withSignature, type SignatureOptions } from './signature.js';
import { createSpecSignature } from './spec-signer.js';

/** Component versions stored at the same time by a recursive sign. */
const WRITE_CONCURRENCY = 8;

export interface SignComponentVersionOptions extends Omit<SignatureOptions, 'privateKey'>, DigestOptions {
  /** The RSA key (the built-in signer); exactly one of `privateKey` and `signerSpec`. */
  readonly privateKey?: SignatureOptions['privateKey'];
  /**
   * A signer config (e.g. a plugin's `HMAC/v1alpha1`): the registered `signer` of its type signs the
   * digest; credentials for the identity it names come from `credentials`.
   */
  readonly signerSpec?: TypedSpecLike;
  readonly repository: ComponentVersionRepository;
  readonly component: string;
  readonly version: string;
  /** Also sign every referenced component version (same name, key and algorithms). */
  readonly recursive?: boolean;
  /** Replace an existing signature of the same name. */
  readonly force?: boolean;
  /** Compute and return, but store nothing. */
  readonly dryRun?: boolean;
  /** Where referenced versions are found. Default: the same repository. */
  readonly resolve?: ComponentVersionResolver;
}

export interface SignResult {
  /** The signed descriptors, root last. */
  readonly descriptors: readonly ComponentDescriptor[];
  /** The root's new signature entry. */
  readonly signature: Signature;
}

export async function signComponentVersion(options: SignComponentVersionOptions): Promise<SignResult> {
  const { repository, signal } = options;
  if ((options.privateKey === undefined) === (options.signerSpec === undefined)) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, 'signing needs either a private key or a signer spec (not both)');
  }
  const resolve = memoResolver(options.resolve ?? sameRepositoryResolver(repository));
  const normalisation = options.normalisation ?? DEFAULT_NORMALISATION;
  const hashAlgorithm = canonicalHashName(options.hashAlgorithm ?? HASH_SHA256);
  const cache: DigestCache = new Map();
  const signed = new Map<string, Promise<Signed>>();
  const sigOptions = { ...options, normalisation, hashAlgorithm };
  const sign = async (cd: ComponentDescriptor) =>
    options.signerSpec
      ? await createSpecSignature(cd, { ...sigOptions, spec: options.signerSpec })
      : createSignature(cd, { ...sigOptions, privateKey: options.privateKey! } as SignatureOptions);
  const limiter = createLimiter(options.concurrency ?? DEFAULT_CONCURRENCY);
  const graph = { ...options, resolve, cache, limiter, normalisation, hashAlgorithm };

  // Versions in the root's repository are handed to it as soon as they are signed (when it can
  // store many as one unit): their content is written while the rest of the graph is still being
  // digested and signed; all become visible together at the end.
  const batch = !options.dryRun && isBatchWriter(repository) ? repository.beginComponentVersions({ overwrite: true, ...(signal ? { signal } : {}) }) : undefined;
  let batchable = true;
  const added: Promise<void>[] = [];

  // Signs one version after the versions it references (their new signatures do not change its
  // reference digests, but they are stored first).
  const signOne = (component: string, version: string): Promise<Signed> => {
    const key = `${component}:${version}`;
    const hit = signed.get(key);
    if (hit) return hit;
    const p = (async (): Promise<Signed> => {
      throwIfAborted(signal);
      const cv = await resolve(component, version, signal ? { signal } : {});
      const children = options.recursive
        ? await Promise.all((cv.descriptor.component.componentReferences ?? []).map((ref) => signOne(ref.componentName, ref.version ?? '')))
        : [];
      const digested = await digestComponentVersion(cv, 'sign', graph);
      const descriptor = withSignature(digested, await sign(digested), { force: options.force ?? false });
      if (batch && cv.repository === repository) added.push(batch.add(descriptor));
      else batchable = false;
      return { key, cv, descriptor, children };
    })();
    signed.set(key, p);
    return p;
  };

  let root: Signed;
  try {
    root = await signOne(options.component, options.version);
  } finally {
    // Nothing is left running in the background when signing fails.
    await Promise.allSettled(added);
  }
  // Children first in reference order, each once.
  const ordered: Signed[] = [];
  const seen = new Set<string>();
  const visit = (s: Signed): void => {
    if (seen.has(s.key)) return;
    seen.add(s.key);
    for (const c of s.children) visit(c);
    ordered.push(s);
  };
  visit(root);
  if (batch && batchable) await batch.commit();
  else if (!options.dryRun) await store(ordered, signal);
  return { descriptors: ordered.map((s) => s.descriptor), signature: root.descriptor.signatures!.find((sig) => sig.name === options.name)! };
}

interface Signed {
  readonly key: string;
  readonly cv: LocatedComponentVersion;
  readonly descriptor: ComponentDescriptor;
  readonly children: readonly Signed[];
}

/**
 * Stores the signed versions one at a time, each after the versions it references (repositories
 * that cannot store many as one unit, or graphs spanning repositories).
 */
async function store(ordered: readonly Signed[], signal: AbortSignal | undefined): Promise<void> {
  // Stores run concurrently (each is latency-bound: a few small files and fsyncs), bounded.
  const writes = createLimiter(WRITE_CONCURRENCY);
  const stored = new Map<string, Promise<void>>();
  const storeOne = (s: Signed): Promise<void> => {
    let p = stored.get(s.key);
    if (!p) {
      p = (async () => {
        await Promise.all(s.children.map(storeOne));
        // Each store gets its own signal following the operation's: concurrent requests would otherwise
        // all listen on one signal (Node's listener-leak warning); `any` adds no listener to the parent.
        await writes.run(() => s.cv.repository.addComponentVersion(s.descriptor, { overwrite: true, ...(signal ? { signal: AbortSignal.any([signal]) } : {}) }));
      })();
      stored.set(s.key, p);
    }
    return p;
  };
  await Promise.all(ordered.map(storeOne));
}

/** A repository that stores many component versions as one unit (`OciComponentRepository`). */
interface BatchWriter {
  beginComponentVersions(options: { overwrite?: boolean; signal?: AbortSignal }): { add(cd: ComponentDescriptor): Promise<void>; commit(): Promise<void> };
}

function isBatchWriter(r: unknown): r is BatchWriter {
  return typeof (r as BatchWriter | undefined)?.beginComponentVersions === 'function';
}
