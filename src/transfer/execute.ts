/**
 * Phase 2 of a transfer: move what the plan says. Content first (all versions in parallel, blobs
 * bounded by one shared limiter), optionally read back (`verify`), then the tags, children before
 * parents (on a CTF all in one index write). A tag is the only thing
 * that makes a version visible, so an interrupted run leaves at most unreferenced blobs and
 * untagged manifests behind, and a rerun skips everything that already arrived.
 */
import { Readable } from 'node:stream';
import { Limiter, copyGraph, sideError, type CopyOptions } from '../oci/content/copy.js';
import type { OpOptions, RepositoryStore } from '../oci/content/types.js';
import { isTagBatcher, type TagBatcher } from '../repository/oci-mapping/capabilities.js';
import { throwIfAborted } from '../runtime/errors.js';
import { toTag } from '../repository/oci-mapping/tags.js';
import { DEFAULT_CONCURRENCY } from './types.js';
import { mountDeltaBlobs, targetWithoutOmitted, writeDeltaManifest } from './delta.js';
import { referrerManifests, versionReferrers, writeReferrerTags } from './referrers.js';
import type { PlannedVersion, RepositoryLocation, TransferOptions, TransferPlan, TransferSummary } from './types.js';

export async function executeTransfer(plan: TransferPlan, options: Omit<TransferOptions, 'roots'> = {}): Promise<TransferSummary> {
  const t0 = Date.now();
  const target = targetWithoutOmitted(plan); // delta export: omitted blobs read as present
  const op: OpOptions = options.signal ? { signal: options.signal } : {};
  const ev = options.events ?? {};
  const summary: TransferSummary = {
    components: new Set(plan.versions.map((v) => v.component)).size,
    versions: plan.versions.length,
    versionsWritten: 0,
    versionsPresent: 0,
    resources: plan.versions.reduce((n, v) => n + v.stored.descriptor.component.resources.length, 0),
    artifacts: plan.versions.reduce((n, v) => n + (v.action === 'copy' ? v.artifacts.length : 0), 0),
    blobsCopied: 0,
    blobsSkipped: 0,
    blobsMounted: 0,
    bytesMoved: 0,
    durationMs: 0,
  };
  const limiter = new Limiter(options.concurrency ?? DEFAULT_CONCURRENCY);
  // one in-flight map per target repository: a blob shared by several versions is copied once
  const inflight = new Map<string, Map<string, Promise<void>>>();
  const inflightFor = (repo: string): Map<string, Promise<void>> => {
    let m = inflight.get(repo);
    if (!m) inflight.set(repo, (m = new Map()));
    return m;
  };
  const hooks = (v: PlannedVersion): CopyOptions => ({
    ...op,
    limiter,
    knownMissing: v.missing,
    onStart: (d) => ev.onStart?.(d),
    onBytes: (d, n) => ev.onBytes?.(d, n),
    onCopy: (d) => {
      summary.blobsCopied++;
      summary.bytesMoved += d.size;
      ev.onCopy?.(d);
    },
    onSkip: (d) => {
      summary.blobsSkipped++;
      ev.onSkip?.(d);
    },
    onMount: (d, from) => {
      summary.blobsMounted++;
      ev.onMount?.(d, from);
    },
  });
  // Blobs are fetched unverified and verified once, by the target's push (see CopyOptions.verify).
  const mountFrom = (from: RepositoryLocation, repo: string): { mountFrom?: string } => (from.id === target.id ? { mountFrom: repo } : {});

  const content = async (v: PlannedVersion): Promise<void> => {
    const dst = target.store.repository(v.targetRepository);
    const src = v.from.store.repository(v.fromRepository);
    const jobs: Promise<void>[] = [];
    for (const a of v.artifacts) {
      const aDst = target.store.repository(a.targetRepository);
      const aSrc = a.from.store.repository(a.fromRepository);
      const aOpts = { ...hooks(v), ...mountFrom(a.from, a.fromRepository), inflight: inflightFor(a.targetRepository) };
      // referrers after their subject (a registry may check that `subject` exists)
      jobs.push(copyGraph(aSrc, aDst, a.root, aOpts).then(async () => {
        for (const r of referrerManifests(a.referrers ?? [])) await copyGraph(aSrc, aDst, r, aOpts);
      }));
    }
    const copyOpts = { ...hooks(v), ...mountFrom(v.from, v.fromRepository), inflight: inflightFor(v.targetRepository) };
    if (!v.rewritten) {
      jobs.push(copyGraph(src, dst, v.stored.root, copyOpts));
      await Promise.all(jobs);
      return;
    }
    const keep = v.stored.manifest.layers.filter((l) => l.digest !== v.stored.descriptorLayer.digest);
    for (const l of [...keep, ...(v.stored.index?.manifests.slice(1) ?? [])]) jobs.push(copyGraph(src, dst, l, copyOpts));
    await Promise.all(jobs);
    // regenerated descriptor layer, config, manifest, index: in that order (successors first)
    for (const b of v.rewritten.blobs) {
      throwIfAborted(options.signal);
      if (await wrap('target', `check ${b.desc.digest}`, () => dst.exists(b.desc, op))) continue;
      await wrap('target', `push ${b.desc.digest}`, () => dst.push(b.desc, Readable.from([b.bytes]), op));
    }
  };

  // Referrer tags (cosign's, the `sha256-<hex>` fallback index) of images next to the components and
  // of images inside CV indexes (also from a CTF by reference); a CTF keeps them in the CV index only.
  const referrerTags = async (v: PlannedVersion): Promise<void> => {
    for (const a of v.artifacts) {
      if (a.uploadAs === 'ociArtifact' && a.referrers?.length) {
        await wrap('target', `referrer tags in ${a.targetRepository}`, () => writeReferrerTags(target.store.repository(a.targetRepository), a.referrers!, op));
      }
    }
    const inCv = versionReferrers(v);
    if (inCv.length > 0) await wrap('target', `referrer tags in ${v.targetRepository}`, () => writeReferrerTags(target.store.repository(v.targetRepository), inCv, op));
  };

  const todo = plan.versions.filter((v) => v.action === 'copy');
  await mountDeltaBlobs(plan, op); // delta import: blobs the delta left out, from where the target holds them
  await Promise.all(todo.map((v) => content(v)));
  // Read back before anything becomes visible (loaded only when asked for: it needs the signing code).
  if (options.verify && todo.length > 0) await (await import('./verify.js')).verifyAtTarget(plan, options);

  // The record of what a delta left out lands before any tag: no version is visible without it.
  if (options.deltaAgainst && todo.length > 0) await writeDeltaManifest(plan, options);
  // Tags last: images copied by value as ociArtifact, then the versions, children before parents.
  for (const v of todo) {
    for (const a of v.artifacts) {
      if (a.uploadAs !== 'ociArtifact' || !a.targetTag) continue;
      throwIfAborted(options.signal);
      const aDst = target.store.repository(a.targetRepository);
      await wrap('target', `tag ${a.targetRepository}:${a.targetTag}`, () => aDst.tag(a.root, a.targetTag!, op));
    }
    if (target.registryHost && options.referrers !== false) await referrerTags(v);
  }
  throwIfAborted(options.signal);
  if (isTagBatcher(target.store) && todo.length > 0) {
    // one step (a CTF: one index write), so the whole set becomes visible together
    const tags = todo.map((v) => ({ repository: v.targetRepository, tag: toTag(v.version), desc: v.targetRoot }));
    await wrap('target', `tag ${todo.length} component version(s)`, () => (target.store as RepositoryStore & TagBatcher).tagMany(tags, op));
  }
  for (const v of plan.versions) {
    if (v.action === 'present') {
      summary.versionsPresent++;
      ev.onVersion?.(v, 'present');
      continue;
    }
    if (!isTagBatcher(target.store)) {
      const dst = target.store.repository(v.targetRepository);
      await wrap('target', `tag ${v.component}:${v.version}`, () => dst.tag(v.targetRoot, toTag(v.version), op));
    }
    summary.versionsWritten++;
    ev.onVersion?.(v, 'written');
  }
  summary.durationMs = Date.now() - t0;
  return summary;
}

async function wrap<T>(side: 'source' | 'target', what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw sideError(side, what, e);
  }
}

