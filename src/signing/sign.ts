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
} from './digests.js';
import { DEFAULT_NORMALISATION, HASH_SHA256, canonicalHashName } from './normalise/index.js';
import { createSignature, withSignature, type SignatureOptions } from './signature.js';

/** Component versions stored at the same time by a recursive sign. */
const WRITE_CONCURRENCY = 8;

export interface SignComponentVersionOptions extends SignatureOptions, DigestOptions {
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
  const resolve = memoResolver(options.resolve ?? sameRepositoryResolver(repository));
  const normalisation = options.normalisation ?? DEFAULT_NORMALISATION;
  const hashAlgorithm = canonicalHashName(options.hashAlgorithm ?? HASH_SHA256);
  const cache: DigestCache = new Map();
  const signed = new Map<string, Promise<ComponentDescriptor>>();
  const descriptors: ComponentDescriptor[] = [];
  const sigOptions: SignatureOptions = { ...options, normalisation, hashAlgorithm };
  const limiter = createLimiter(options.concurrency ?? DEFAULT_CONCURRENCY);
  const graph = { ...options, resolve, cache, limiter, normalisation, hashAlgorithm };

  // Stores run concurrently (each is latency-bound: a few small files and fsyncs), bounded.
  const writes = createLimiter(WRITE_CONCURRENCY);
  const results = new Map<string, ComponentDescriptor>();

  const signOne = (component: string, version: string): Promise<ComponentDescriptor> => {
    const key = `${component}:${version}`;
    const hit = signed.get(key);
    if (hit) return hit;
    const p = (async () => {
      throwIfAborted(signal);
      const cv = await resolve(component, version, signal ? { signal } : {});
      if (options.recursive) {
        await Promise.all((cv.descriptor.component.componentReferences ?? []).map((ref) => signOne(ref.componentName, ref.version ?? '')));
      }
      const digested = await digestComponentVersion(cv, 'sign', graph);
      const out = withSignature(digested, createSignature(digested, sigOptions), { force: options.force ?? false });
      // Each store gets its own signal following the operation's: concurrent requests would otherwise
      // all listen on one signal (Node's listener-leak warning); `any` adds no listener to the parent.
      if (!options.dryRun) await writes.run(() => cv.repository.addComponentVersion(out, { overwrite: true, ...(signal ? { signal: AbortSignal.any([signal]) } : {}) }));
      results.set(key, out);
      return out;
    })();
    signed.set(key, p);
    return p;
  };

  // Digest the whole graph first (concurrently, each version once); signing and storing then
  // walks it children-first, a referenced version stored before the versions referring to it.
  await digestComponentVersion(await resolve(options.component, options.version, signal ? { signal } : {}), 'sign', graph);
  const root = await signOne(options.component, options.version);
  // Report children-first in reference order, independent of which write finished first.
  const seen = new Set<string>();
  const visit = (key: string): void => {
    const cd = results.get(key);
    if (!cd || seen.has(key)) return;
    seen.add(key);
    if (options.recursive) for (const ref of cd.component.componentReferences ?? []) visit(`${ref.componentName}:${ref.version ?? ''}`);
    descriptors.push(cd);
  };
  visit(`${options.component}:${options.version}`);
  return { descriptors, signature: root.signatures!.find((s) => s.name === options.name)! };
}
