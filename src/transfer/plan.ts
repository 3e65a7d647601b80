/**
 * Phase 1 of a transfer: build the whole graph before moving a byte — which versions exist where,
 * what the target already has, which external artifacts move by value and how their accesses
 * change. Read-only on both sides, so `--dry-run` is just "plan and print".
 */
import { Limiter, fetchManifest, successors } from '../oci/content/copy.js';
import { isManifestMediaType } from '../oci/content/media-types.js';
import { isTagLister, type OciDescriptor, type OpOptions, type Target } from '../oci/content/types.js';
import { elementIdentity } from '../descriptor/identity.js';
import type { TypedSpec } from '../descriptor/types.js';
import { ErrorCode, NotFoundError, OcmError, isOcmError } from '../runtime/errors.js';
import { selectVersions, type VersionSelection } from './select.js';
import { withAccesses, rewriteVersion, type NestedArtifact, type StoredVersion } from './cv-io.js';
import { readStoredVersion } from '../repository/oci-mapping/stored.js';
import { locationsOf } from './endpoint.js';
import { parseImageReference } from '../oci/remote/reference.js';
import { componentRepositoryName, toTag, toVersion } from '../repository/oci-mapping/tags.js';
import { formatImageReference, isOciImageAccess } from './image-ref.js';
import { checkDeltaImport, checkDeltaTarget, omitInDelta } from './delta.js';
import { findReferrers, referrerEntries, referrerManifests } from './referrers.js';
import {
  DEFAULT_CONCURRENCY,
  type DeltaBase,
  type PlannedArtifact,
  type PlannedVersion,
  type RepositoryLocation,
  type TransferEndpoint,
  type TransferOptions,
  type TransferPlan,
  type UploadAs,
} from './types.js';

/** Transfer copies stored bytes unchanged, so it reads descriptors without judging them (no schema validation). */
function readStored(loc: RepositoryLocation, component: string, version: string, op: OpOptions): Promise<StoredVersion> {
  return readStoredVersion(loc.store.repository(componentRepositoryName(component, loc.subPath)), component, version, { ...op, validate: false });
}

/**
 * Plans an OCI-level transfer. Every endpoint (source, target, resolvers) must be OCI-mapped
 * (`ociStore()`); `transfer()` moves other repositories through the repository interface.
 */
export async function planTransfer(sourceEndpoint: TransferEndpoint, targetEndpoint: TransferEndpoint, options: TransferOptions): Promise<TransferPlan> {
  const locs = locationsOf([sourceEndpoint, targetEndpoint, ...(options.resolvers ?? [])]);
  if (!locs) throw new OcmError(ErrorCode.UNSUPPORTED, `a transfer plan needs repositories stored in OCI form (CTF, OCI registry); use transfer() for other repositories`);
  const [source, target, ...resolvers] = locs as [RepositoryLocation, RepositoryLocation, ...RepositoryLocation[]];
  checkDeltaTarget(target, options);
  // existence checks are tiny requests: allow more of them in parallel than blob copies
  const limiter = new Limiter(Math.max(8, options.concurrency ?? DEFAULT_CONCURRENCY));
  const op: OpOptions = options.signal ? { signal: options.signal } : {};
  const planned = new Map<string, PlannedVersion>();
  const order: PlannedVersion[] = [];
  const visiting = new Set<string>();

  const visit = async (component: string, version: string, loc?: RepositoryLocation, parent?: string): Promise<void> => {
    const key = `${component}:${version}`;
    if (planned.has(key)) return;
    if (visiting.has(key)) throw new OcmError(ErrorCode.VALIDATION_FAILED, `component reference cycle through ${key}`);
    visiting.add(key);
    const found = loc ? { loc, stored: await readStored(loc, component, version, op) } : await locate(source, resolvers, component, version, op, parent);
    const refs = found.stored.descriptor.component.componentReferences;
    const references = refs.map((r) => `${r.componentName}:${r.version}`);
    if (options.recursive) {
      for (const r of refs) {
      if (!r.version) throw new OcmError(ErrorCode.VALIDATION_FAILED, `${key}: reference ${r.name} to ${r.componentName} has no version`);
      await visit(r.componentName, r.version, undefined, key);
    }
    }
    const pv = await planVersion(found.loc, found.stored, target, options, limiter, op, options.recursive ? references : []);
    planned.set(key, pv);
    order.push(pv); // post-order: references first
    visiting.delete(key);
  };

  const roots: { component: string; version: string }[] = [];
  for (const root of options.roots) {
    const versions = root.version ? [root.version] : await listVersions(source, root.component, options, op);
    for (const v of versions) {
      roots.push({ component: root.component, version: v });
      await visit(root.component, v, root.version ? undefined : source);
    }
  }
  const plan = { versions: order, target, roots, ...(options.blobChecks === 'copy' && !options.deltaAgainst ? { blobsCheckedAtCopy: true } : {}) };
  await checkDeltaImport(plan, source, op); // a delta CTF as source: what it left out must be at the target
  return plan;
}

async function locate(
  source: RepositoryLocation,
  resolvers: readonly RepositoryLocation[],
  component: string,
  version: string,
  op: OpOptions,
  parent: string | undefined,
): Promise<{ loc: RepositoryLocation; stored: StoredVersion }> {
  for (const loc of [source, ...resolvers]) {
    try {
      return { loc, stored: await readStored(loc, component, version, op) };
    } catch (e) {
      if (!isOcmError(e, ErrorCode.NOT_FOUND)) throw e;
    }
  }
  const where = [source, ...resolvers].map((l) => l.description ?? l.id).join(', ');
  throw new NotFoundError(
    `component version ${component}:${version}${parent ? ` (referenced by ${parent})` : ''} not found in ${where}; check the name or configure a resolver`,
    { details: { component, version } },
  );
}

async function listVersions(loc: RepositoryLocation, component: string, sel: VersionSelection, op: OpOptions): Promise<string[]> {
  const repo = loc.store.repository(componentRepositoryName(component, loc.subPath));
  if (!isTagLister(repo)) throw new OcmError(ErrorCode.UNSUPPORTED, `${loc.description ?? loc.id} cannot list versions; give the version explicitly (${component}:<version>)`);
  let tags: string[];
  try {
    tags = await repo.listTags(op);
  } catch (e) {
    if (isOcmError(e, ErrorCode.NOT_FOUND)) tags = [];
    else throw e;
  }
  return selectVersions(component, tags.map(toVersion), sel, loc.description ?? loc.id);
}

async function resolveTag(t: Target, tag: string, op: OpOptions): Promise<OciDescriptor | undefined> {
  try {
    return await t.resolve(tag, op);
  } catch (e) {
    if (isOcmError(e, ErrorCode.NOT_FOUND)) return undefined;
    throw e;
  }
}

async function planVersion(
  from: RepositoryLocation,
  stored: StoredVersion,
  target: RepositoryLocation,
  options: TransferOptions,
  limiter: Limiter,
  op: OpOptions,
  references: string[],
): Promise<PlannedVersion> {
  const { component, version } = stored;
  const fromRepository = componentRepositoryName(component, from.subPath);
  const targetRepository = componentRepositoryName(component, target.subPath);
  const artifacts = options.copyResources ? await planArtifacts(stored, target, options, op) : [];
  let rewritten;
  let targetRoot = stored.root;
  if (artifacts.length > 0) {
    const nested: NestedArtifact[] = [];
    const accesses = new Map<number, TypedSpec>();
    for (const a of artifacts) {
      accesses.set(a.resourceIndex, a.newAccess as TypedSpec);
      if (a.uploadAs === 'localBlob') nested.push({ desc: a.root, identity: { ...a.resource } }, ...referrerEntries(a.referrers ?? []));
    }
    rewritten = rewriteVersion(stored, withAccesses(stored.descriptor, accesses), nested);
    targetRoot = rewritten.root;
  }
  const dst = target.store.repository(targetRepository);
  const existing = await resolveTag(dst, toTag(version), op);
  if (existing && existing.digest !== targetRoot.digest && !options.overwrite) {
    throw new OcmError(
      ErrorCode.ALREADY_EXISTS,
      `${component}:${version} already exists at ${target.description ?? target.id} with different content (${existing.digest}); use --overwrite to replace it`,
      { details: { component, version, existing: existing.digest, incoming: targetRoot.digest } },
    );
  }
  const pv: PlannedVersion = {
    component,
    version,
    from,
    fromRepository,
    stored,
    targetRepository,
    ...(rewritten ? { rewritten } : {}),
    targetRoot,
    action: existing?.digest === targetRoot.digest ? 'present' : 'copy',
    artifacts,
    references,
    missing: new Set(),
    missingBlobs: 0,
    missingBytes: 0,
    totalBytes: 0,
    ...(options.deltaAgainst ? { omitted: new Map<string, number>() } : {}),
  };
  if (pv.action === 'copy') await measure(pv, target, limiter, op, options.deltaAgainst, options.blobChecks === 'copy' && !options.deltaAgainst);
  return pv;
}

async function planArtifacts(stored: StoredVersion, target: RepositoryLocation, options: TransferOptions, op: OpOptions): Promise<PlannedArtifact[]> {
  const out: PlannedArtifact[] = [];
  const uploadAs: UploadAs = options.uploadAs === 'ociArtifact' && target.registryHost ? 'ociArtifact' : 'localBlob';
  const resources = stored.descriptor.component.resources;
  for (const [resourceIndex, r] of resources.entries()) {
    const access = r.access;
    if (!access || typeof access.type !== 'string' || !isOciImageAccess(access.type)) continue;
    const text = access['imageReference'];
    if (typeof text !== 'string') throw new OcmError(ErrorCode.VALIDATION_FAILED, `resource ${r.name} of ${stored.component}:${stored.version}: ${access.type} access has no imageReference`);
    const ref = parseImageReference(text);
    if (!options.openRegistry) throw new OcmError(ErrorCode.UNSUPPORTED, `cannot copy ${text} by value: no registry access configured`);
    const from = await options.openRegistry(ref.host);
    const fromRepository = from.subPath ? `${from.subPath}/${ref.repository}` : ref.repository;
    let root: OciDescriptor;
    try {
      root = await from.store.repository(fromRepository).resolve(ref.digest ?? ref.tag ?? 'latest', op);
    } catch (e) {
      throw new OcmError(isOcmError(e) ? e.code : ErrorCode.TRANSFER_ERROR, `resource ${r.name} of ${stored.component}:${stored.version}: cannot resolve ${text}: ${(e as Error).message}`, {
        cause: e,
        details: { side: 'source' },
      });
    }
    if (ref.digest && root.digest !== ref.digest) root = { ...root, digest: ref.digest };
    const identity = elementIdentity(resources, resourceIndex);
    const referrers = options.referrers === false ? [] : await findReferrers(from.store.repository(fromRepository), root, op);
    if (uploadAs === 'ociArtifact') {
      const targetRepository = target.subPath ? `${target.subPath}/${ref.repository}` : ref.repository;
      const imageReference = formatImageReference({ host: target.registryHost!, repository: targetRepository, ...(ref.tag ? { tag: ref.tag } : {}), digest: root.digest });
      out.push({ resourceIndex, resource: identity, imageReference: text, from, fromRepository, root, uploadAs, targetRepository, ...(ref.tag ? { targetTag: ref.tag } : {}), newAccess: { ...access, imageReference }, referrers });
    } else {
      const newAccess = { type: 'localBlob', localReference: root.digest, mediaType: root.mediaType, referenceName: `${ref.repository}${ref.tag ? `:${ref.tag}` : ''}` };
      out.push({ resourceIndex, resource: identity, imageReference: text, from, fromRepository, root, uploadAs, targetRepository: componentRepositoryName(stored.component, target.subPath), newAccess, referrers });
    }
  }
  return out;
}

/**
 * Walks the source graphs and asks the target which leaves it lacks (sizes for progress and
 * --dry-run). With `blobsAtCopy` only manifests are asked here: leaves count as missing and the
 * copy asks about each (not in `missing`) right before moving it.
 */
async function measure(pv: PlannedVersion, target: RepositoryLocation, limiter: Limiter, op: OpOptions, base: DeltaBase | undefined, blobsAtCopy: boolean): Promise<void> {
  const seen = new Set<string>();
  const work: Promise<void>[] = [];
  const walk = async (src: Target, dst: Target, desc: OciDescriptor): Promise<void> => {
    if (seen.has(desc.digest)) return;
    seen.add(desc.digest);
    if (isManifestMediaType(desc.mediaType)) {
      pv.totalBytes += desc.size;
      if (await limiter.run(() => dst.exists(desc, op))) return;
      pv.missing.add(desc.digest);
      pv.missingBytes += desc.size; // manifests move too (progress totals)
      const bytes = await fetchManifest(src, desc, op);
      await Promise.all(successors(desc, bytes).map((c) => walk(src, dst, c)));
      return;
    }
    pv.totalBytes += desc.size;
    if (blobsAtCopy) {
      pv.missingBlobs++;
      pv.missingBytes += desc.size;
      return;
    }
    if (!(await limiter.run(() => dst.exists(desc, op)))) {
      if (omitInDelta(pv, base, desc, pv.targetRepository)) return; // delta export: the far side holds it
      pv.missing.add(desc.digest);
      pv.missingBlobs++;
      pv.missingBytes += desc.size;
    }
  };
  const src = pv.from.store.repository(pv.fromRepository);
  const dst = target.store.repository(pv.targetRepository);
  if (pv.rewritten) {
    const keep = pv.stored.manifest.layers.filter((l) => l.digest !== pv.stored.descriptorLayer.digest);
    for (const l of [...keep, ...(pv.stored.index?.manifests.slice(1) ?? [])]) work.push(walk(src, dst, l));
  } else {
    work.push(walk(src, dst, pv.stored.root));
  }
  for (const a of pv.artifacts) {
    for (const d of [a.root, ...referrerManifests(a.referrers ?? [])]) work.push(walk(a.from.store.repository(a.fromRepository), target.store.repository(a.targetRepository), d));
  }
  await Promise.all(work);
}
