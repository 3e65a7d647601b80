/**
 * `verify`: read a transferred version back from the target before its tag is written. A copy
 * within one registry mounts blobs without reading them, trusting that the registry's stored blob
 * matches its digest; a blob corrupted at rest would otherwise become part of a visible version.
 * Checks: every blob and manifest the version references (digest and size), resource digests
 * recomputed from the target's content against the descriptor, and the digest each signature covers.
 */
import { pipeline } from 'node:stream/promises';
import type { ComponentDescriptor, Resource } from '../descriptor/types.js';
import { verifying } from '../digest/digest.js';
import { Limiter, fetchManifest, successors } from '../oci/content/copy.js';
import { isManifestMediaType } from '../oci/content/media-types.js';
import type { OciDescriptor, OpOptions, RepositoryStore, Target } from '../oci/content/types.js';
import { OciComponentRepository, isLocalBlobAccess } from '../repository/oci-mapping/repository.js';
import { readStoredVersionAt } from '../repository/oci-mapping/stored.js';
import { toTag } from '../repository/oci-mapping/tags.js';
import { ErrorCode, OcmError, isOcmError, throwIfAborted } from '../runtime/errors.js';
import { signingTypes } from '../signing/types.js';
import { OCI_ARTIFACT_DIGEST_V1, digestResources, describeElement, isExcludedDigest } from '../signing/digests.js';
import { JSON_NORMALISATION_V1, hasNoneAccess, isNormalisation, normalisedDigest } from '../signing/normalise/index.js';
import { verifySignature } from '../signing/signature.js';
import { DEFAULT_CONCURRENCY, type PlannedVersion, type TransferOptions, type TransferPlan } from './types.js';

/** The target store as it will be once the tags are written: pending tags resolve to the planned roots. */
function withPendingTags(store: RepositoryStore, pending: ReadonlyMap<string, OciDescriptor>): RepositoryStore {
  return {
    repository(name: string): Target {
      const inner = store.repository(name);
      return new Proxy(inner, {
        get(t, p) {
          if (p === 'resolve') {
            return async (ref: string, options?: OpOptions) => pending.get(`${name}:${ref}`) ?? t.resolve(ref, options);
          }
          const v = Reflect.get(t, p, t) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        },
      });
    },
  };
}

/** Verifies every version the plan writes; throws (naming version and resource) on the first failure. */
export async function verifyAtTarget(plan: TransferPlan, options: Omit<TransferOptions, 'roots'> & Partial<Pick<TransferOptions, 'roots'>>): Promise<void> {
  const written = plan.versions.filter((v) => v.action === 'copy');
  const pending = new Map<string, OciDescriptor>();
  for (const v of written) pending.set(`${v.targetRepository}:${toTag(v.version)}`, v.targetRoot);
  const store = withPendingTags(plan.target.store, pending);
  const repo = new OciComponentRepository(store, plan.target.subPath ? { subPath: plan.target.subPath } : {});
  const limiter = new Limiter(options.concurrency ?? DEFAULT_CONCURRENCY);
  const where = plan.target.description ?? plan.target.id;
  for (const v of written) {
    throwIfAborted(options.signal);
    try {
      await verifyVersion(v, store, repo, limiter, options);
    } catch (e) {
      if (!isOcmError(e) || e.code === ErrorCode.ABORTED) throw e;
      throw new OcmError(e.code === ErrorCode.DIGEST_MISMATCH ? e.code : ErrorCode.VERIFICATION_FAILED, `--verify: ${v.component}:${v.version} at ${where}: ${e.message}; no version was tagged`, {
        cause: e,
        details: { ...(e.details ?? {}), component: v.component, version: v.version, side: 'target' },
      });
    }
  }
}

async function verifyVersion(
  v: PlannedVersion,
  store: RepositoryStore,
  repo: OciComponentRepository,
  limiter: Limiter,
  options: Omit<TransferOptions, 'roots'> & Partial<Pick<TransferOptions, 'roots'>>,
): Promise<void> {
  const op: OpOptions = options.signal ? { signal: options.signal } : {};
  const dst = store.repository(v.targetRepository);
  // Descriptor, config and manifest as stored at the target (digest-checked while read).
  const { descriptor: cd } = await readStoredVersionAt(dst, v.targetRoot, v.component, v.version, { ...op, validate: false });

  // Resource digests from the target's content: local blobs only (the rest is not stored here).
  const local = cd.component.resources.filter((r) => isLocalBlobAccess(r.access) && !hasNoneAccess(r) && !isExcludedDigest(r.digest));
  await digestResources({ descriptor: { ...cd, component: { ...cd.component, resources: local } }, repository: repo }, 'sign', {
    ...op,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
  });
  const read = new Set<string>();
  for (const r of local) for (const d of String(r.access.localReference ?? '').split(',')) read.add(d.trim());

  // Every other blob and manifest the version references (nested images, other layers).
  const owners = ownersOf(cd, v);
  const seen = new Set<string>();
  const walk = async (t: Target, desc: OciDescriptor, owner: string | undefined): Promise<void> => {
    if (seen.has(desc.digest)) return;
    seen.add(desc.digest);
    const who = owners.get(desc.digest) ?? owner;
    if (isManifestMediaType(desc.mediaType)) {
      const bytes = await limiter.run(() => named(who, desc, () => fetchManifest(t, desc, op)));
      await Promise.all(successors(desc, bytes).map((c) => walk(t, c, who)));
      return;
    }
    if (read.has(desc.digest)) return;
    await limiter.run(() =>
      named(who, desc, async () => {
        const check = verifying({ digest: desc.digest, size: desc.size, what: `blob ${desc.digest}` });
        await pipeline(await t.fetch(desc, { ...op, unverified: true }), check, async (src: AsyncIterable<unknown>) => {
          for await (const _ of src) throwIfAborted(options.signal);
        });
      }),
    );
  };
  await walk(dst, v.targetRoot, undefined);
  for (const a of v.artifacts) {
    if (a.uploadAs !== 'ociArtifact') continue;
    const what = `resource ${describeElement(a.resource as { name: string })}`;
    await walk(store.repository(a.targetRepository), a.root, what);
    // an image next to the components: its recorded digest is the manifest digest just read back
    const d = cd.component.resources[a.resourceIndex]?.digest;
    const hex = a.root.digest.slice(a.root.digest.indexOf(':') + 1);
    if (d && signingTypes().same('digest', d.normalisationAlgorithm, OCI_ARTIFACT_DIGEST_V1) && d.value !== hex) {
      throw new OcmError(ErrorCode.DIGEST_MISMATCH, `${what} records digest ${d.value}, the image at the target is ${a.root.digest}`, {
        details: { resource: a.resource['name'], expected: d.value, actual: hex },
      });
    }
  }

  // The digest each signature covers must be what the stored descriptor gives.
  for (const sig of cd.signatures ?? []) {
    const { normalisationAlgorithm: norm, hashAlgorithm, value } = sig.digest;
    if (!isNormalisation(norm)) continue;
    let found = normalisedDigest(cd, norm, hashAlgorithm).value;
    if (found !== value && norm === JSON_NORMALISATION_V1) found = normalisedDigest(cd, norm, hashAlgorithm, { historic: true }).value;
    if (found !== value) {
      throw new OcmError(ErrorCode.VERIFICATION_FAILED, `signature "${sig.name}" covers ${norm} digest ${value}, the stored descriptor gives ${found}`, {
        details: { signature: sig.name, expected: value, actual: found },
      });
    }
  }
  const wanted = options.verifySignature;
  if (wanted) {
    const isRoot = (options.roots ?? []).some((r) => r.component === v.component && (!r.version || r.version === v.version));
    if (isRoot || (cd.signatures ?? []).some((s) => s.name === wanted.name)) verifySignature(cd, wanted.name, { publicKey: wanted.publicKey });
  }
}

/** Which element a blob belongs to, for messages: local blobs by reference, by-value images by root digest. */
function ownersOf(cd: ComponentDescriptor, v: PlannedVersion): Map<string, string> {
  const out = new Map<string, string>();
  const add = (kind: string, els: readonly (Pick<Resource, 'name' | 'version' | 'extraIdentity' | 'access'>)[]) => {
    for (const el of els) {
      if (!isLocalBlobAccess(el.access)) continue;
      for (const d of String(el.access.localReference ?? '').split(',')) if (!out.has(d.trim())) out.set(d.trim(), `${kind} ${describeElement(el)}`);
    }
  };
  add('resource', cd.component.resources);
  add('source', cd.component.sources);
  for (const a of v.artifacts) if (!out.has(a.root.digest)) out.set(a.root.digest, `resource ${describeElement(a.resource as { name: string })}`);
  return out;
}

async function named<T>(owner: string | undefined, desc: OciDescriptor, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!isOcmError(e) || !owner) throw e;
    throw new OcmError(e.code, `${owner} (blob ${desc.digest}): ${e.message}`, { cause: e, ...(e.details ? { details: e.details } : {}) });
  }
}
