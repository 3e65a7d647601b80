/**
 * Delta export and import across an air gap (issue 15).
 *
 * Export (`TransferOptions.deltaAgainst`, CTF target): manifests, configs and descriptor layers
 * always travel; a layer blob the far side already holds (same digest and size) is left out and
 * recorded in `ocm-delta.json` at the CTF root, written before the tags (inside the archive for
 * tar/tgz), so a version is never visible without the record of what it lacks:
 *
 *   { "kind": "ocm.software/delta/v1alpha1", "base": "<what the far side was taken from>",
 *     "omitted": [ { "digest", "size", "mediaType", "repository", "neededBy": ["comp:ver"],
 *                    "availableIn": ["<repositories of the far side holding it>"] } ] }
 *
 * Import (a source CTF with that file): planning checks, read-only, that every omitted blob a
 * planned version needs is at the target — in the repository that needs it, or (registries) in
 * one it can be mounted from. Anything missing fails the plan with one error listing the blobs,
 * before a byte is written. Mounts happen at the start of execution.
 */
import { ComponentConfigMediaTypes, isManifestMediaType, MediaType } from '../oci/content/media-types.js';
import { isMounter, type OciDescriptor, type OpOptions, type RepositoryStore, type Target } from '../oci/content/types.js';
import { ErrorCode, OcmError, throwIfAborted } from '../runtime/errors.js';
import type { DeltaBase, PlannedVersion, RepositoryLocation, TransferOptions, TransferPlan } from './types.js';

export const DELTA_FILE = 'ocm-delta.json';
export const DELTA_KIND = 'ocm.software/delta/v1alpha1';

export interface DeltaEntry {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
  /** Repository that needs the blob, relative to the store's sub path. */
  readonly repository: string;
  readonly neededBy: readonly string[];
  readonly availableIn: readonly string[];
}

export interface DeltaManifest {
  readonly kind: typeof DELTA_KIND;
  readonly base: string;
  readonly omitted: readonly DeltaEntry[];
}

/** A CTF store's metadata files (see ctf/archive.ts METADATA_FILES); duck-typed to keep layers apart. */
interface MetadataStore {
  readMetadata(name: string, options?: OpOptions): Promise<Buffer | undefined>;
  writeMetadata(name: string, bytes: string, options?: OpOptions): Promise<void>;
}

function metadataStore(loc: RepositoryLocation): MetadataStore | undefined {
  const s = loc.store as Partial<MetadataStore>;
  return typeof s.readMetadata === 'function' && typeof s.writeMetadata === 'function' ? (s as MetadataStore) : undefined;
}

const relativeTo = (loc: RepositoryLocation, repo: string): string => {
  const p = loc.subPath ? `${loc.subPath.replace(/^\/+|\/+$/g, '')}/` : '';
  return p && repo.startsWith(p) ? repo.slice(p.length) : repo;
};
const absoluteIn = (loc: RepositoryLocation, repo: string): string => (loc.subPath ? `${loc.subPath.replace(/^\/+|\/+$/g, '')}/${repo}` : repo);

/** Descriptors (and the repositories needing them) of what each planned version left out. */
const omittedDescs = new WeakMap<PlannedVersion, Map<string, { desc: OciDescriptor; repositories: Set<string> }>>();

/** Export, planning: refuses targets that cannot carry the record (only a CTF can) and a read-back of what is left out. */
export function checkDeltaTarget(target: RepositoryLocation, options: TransferOptions): void {
  if (!options.deltaAgainst) return;
  if (target.registryHost) {
    throw new OcmError(ErrorCode.UNSUPPORTED, `--delta-against writes a CTF (directory, .tar or .tgz), not ${target.description ?? target.id}; export into a CTF and import that`);
  }
  if (options.verify) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--verify reads every blob back, but a delta leaves some out: verify after the import instead`);
}

/**
 * Export, planning: true when `desc` (missing at the target, needed in `repository`) is left out
 * because the far side holds it; recorded in `pv.omitted`. Manifests, component configs and
 * descriptor layers always travel (the delta must be complete in descriptors and manifests).
 */
export function omitInDelta(pv: PlannedVersion, base: DeltaBase | undefined, desc: OciDescriptor, repository: string): boolean {
  if (!base || !pv.omitted || isManifestMediaType(desc.mediaType)) return false;
  if (desc.digest === pv.stored.descriptorLayer.digest || desc.digest === pv.stored.manifest.config.digest || ComponentConfigMediaTypes.includes(desc.mediaType)) return false;
  if (desc.mediaType === MediaType.componentDescriptorYamlTar || desc.mediaType === MediaType.componentDescriptorJson) return false;
  const held = base.has.get(desc.digest);
  if (!held || held.size !== desc.size) return false;
  pv.omitted.set(desc.digest, desc.size);
  let m = omittedDescs.get(pv);
  if (!m) omittedDescs.set(pv, (m = new Map()));
  const e = m.get(desc.digest) ?? { desc, repositories: new Set<string>() };
  e.repositories.add(repository);
  m.set(desc.digest, e);
  return true;
}

/**
 * Export, execution: the target as the graph copy should see it — what was omitted reads as
 * present, so it is neither fetched nor written. The plan's target itself when nothing was omitted.
 */
export function targetWithoutOmitted(plan: TransferPlan): RepositoryLocation {
  const omitted = new Set<string>();
  for (const v of plan.versions) if (v.action === 'copy') for (const d of v.omitted?.keys() ?? []) omitted.add(d);
  if (omitted.size === 0) return plan.target;
  // Proxies forward to the real objects (bound: stores keep private fields) and change `exists`;
  // `pushUnlessPresent` (which would ask the target itself) is hidden so the copy asks `exists`.
  const forward = <T extends object>(obj: T, override: Partial<Record<PropertyKey, unknown>>): T =>
    new Proxy(obj, {
      get: (o, p) => {
        if (p in override) return override[p];
        const v = Reflect.get(o, p, o) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(o) : v;
      },
    });
  const repository = (name: string): Target => {
    const t = plan.target.store.repository(name);
    return forward(t, { exists: async (desc: OciDescriptor, op?: OpOptions) => omitted.has(desc.digest) || t.exists(desc, op), pushUnlessPresent: undefined });
  };
  return { ...plan.target, store: forward<RepositoryStore>(plan.target.store, { repository }) };
}

/** Export, execution (before the tags): writes/extends `ocm-delta.json` in the target CTF. */
export async function writeDeltaManifest(plan: TransferPlan, options: Pick<TransferOptions, 'deltaAgainst' | 'signal'>): Promise<void> {
  const base = options.deltaAgainst;
  const store = metadataStore(plan.target);
  if (!base || !store) return;
  const op: OpOptions = options.signal ? { signal: options.signal } : {};
  const entries = new Map<string, DeltaEntry>();
  const previous = await readDeltaManifest(plan.target, op);
  for (const e of previous?.omitted ?? []) entries.set(`${e.repository}@${e.digest}`, e);
  for (const v of plan.versions) {
    if (v.action !== 'copy') continue;
    for (const { desc, repositories } of omittedDescs.get(v)?.values() ?? []) {
      for (const r of repositories) {
        const repository = relativeTo(plan.target, r);
        const key = `${repository}@${desc.digest}`;
        const old = entries.get(key);
        const neededBy = [...new Set([...(old?.neededBy ?? []), `${v.component}:${v.version}`])].sort();
        const availableIn = [...new Set([...(old?.availableIn ?? []), ...(base.has.get(desc.digest)?.repositories ?? [])])].sort();
        entries.set(key, { digest: desc.digest, size: desc.size, mediaType: desc.mediaType, repository, neededBy, availableIn });
      }
    }
  }
  const omitted = [...entries.values()].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : a.repository < b.repository ? -1 : a.repository > b.repository ? 1 : 0));
  const doc: DeltaManifest = { kind: DELTA_KIND, base: previous && previous.base !== base.description ? `${previous.base}; ${base.description}` : base.description, omitted };
  await store.writeMetadata(DELTA_FILE, `${JSON.stringify(doc, null, 2)}\n`, op);
}

/** The delta record of a CTF, or undefined when it has none (or is no CTF). */
export async function readDeltaManifest(loc: RepositoryLocation, op: OpOptions = {}): Promise<DeltaManifest | undefined> {
  const store = metadataStore(loc);
  const bytes = store ? await store.readMetadata(DELTA_FILE, op) : undefined;
  if (!bytes) return undefined;
  const what = `${DELTA_FILE} of ${loc.description ?? loc.id}`;
  let doc: Partial<DeltaManifest>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Partial<DeltaManifest>;
  } catch (e) {
    throw new OcmError(ErrorCode.PARSE_ERROR, `${what} is not valid JSON: ${(e as Error).message}`);
  }
  if (doc?.kind !== DELTA_KIND || !Array.isArray(doc.omitted)) throw new OcmError(ErrorCode.VALIDATION_FAILED, `${what}: kind ${JSON.stringify(doc?.kind)} is not ${DELTA_KIND} with an omitted list`);
  for (const e of doc.omitted) {
    if (typeof e?.digest !== 'string' || typeof e.size !== 'number' || typeof e.repository !== 'string' || !Array.isArray(e.neededBy)) {
      throw new OcmError(ErrorCode.VALIDATION_FAILED, `${what}: an omitted entry lacks digest, size, repository or neededBy`);
    }
  }
  return { kind: DELTA_KIND, base: String(doc.base ?? ''), omitted: doc.omitted.map((e) => ({ ...e, availableIn: Array.isArray(e.availableIn) ? e.availableIn : [] })) };
}

/** Blobs to mount at the start of execution, per plan (import from a delta into a registry). */
const pendingMounts = new WeakMap<TransferPlan, { desc: OciDescriptor; repository: string; from: string }[]>();

/**
 * Import, planning: every omitted blob a planned version needs must be at the target. Read-only;
 * throws NOT_FOUND listing what is missing (digest, size, needed by) so nothing is written.
 */
export async function checkDeltaImport(plan: TransferPlan, source: RepositoryLocation, op: OpOptions = {}): Promise<void> {
  const delta = await readDeltaManifest(source, op);
  if (!delta) return;
  const target = plan.target;
  const copying = new Map(plan.versions.filter((v) => v.action === 'copy').map((v) => [`${v.component}:${v.version}`, v]));
  const missing: string[] = [];
  const mounts: { desc: OciDescriptor; repository: string; from: string }[] = [];
  for (const e of delta.omitted) {
    const needers = e.neededBy.filter((n) => copying.has(n));
    if (needers.length === 0) continue;
    throwIfAborted(op.signal);
    const desc: OciDescriptor = { mediaType: e.mediaType || MediaType.octetStream, digest: e.digest, size: e.size };
    const repository = absoluteIn(target, e.repository);
    const dst = target.store.repository(repository);
    if (await dst.exists(desc, op)) {
      for (const n of needers) copying.get(n)!.missing.delete(e.digest);
      continue;
    }
    let from: string | undefined;
    if (isMounter(dst)) {
      for (const r of e.availableIn.map((a) => absoluteIn(target, a)).filter((a) => a !== repository)) {
        if (await target.store.repository(r).exists(desc, op)) {
          from = r;
          break;
        }
      }
    }
    if (from) mounts.push({ desc, repository, from });
    else missing.push(`${e.digest} (${e.size} bytes, ${e.mediaType || 'blob'}) needed by ${needers.join(', ')} in ${e.repository}`);
  }
  if (missing.length > 0) {
    throw new OcmError(
      ErrorCode.NOT_FOUND,
      `delta ${source.description ?? source.id} was made against ${delta.base || 'another repository'}; ${target.description ?? target.id} lacks ${missing.length} blob(s) it left out: ${missing.join('; ')}; import into the repository the delta was made against, or transfer a full export first`,
      { details: { missing: missing.length } },
    );
  }
  if (mounts.length > 0) pendingMounts.set(plan, mounts);
}

/** Import, execution (before any content): mounts omitted blobs from the repository holding them. */
export async function mountDeltaBlobs(plan: TransferPlan, op: OpOptions = {}): Promise<void> {
  for (const m of pendingMounts.get(plan) ?? []) {
    throwIfAborted(op.signal);
    const dst = plan.target.store.repository(m.repository);
    const ok = isMounter(dst) && (await dst.mount(m.desc, m.from, op).catch(() => false));
    if (!ok) {
      throw new OcmError(ErrorCode.NOT_FOUND, `${plan.target.description ?? plan.target.id} refused to mount ${m.desc.digest} (${m.desc.size} bytes) from ${m.from} into ${m.repository}, and the delta does not carry it`);
    }
    for (const v of plan.versions) v.missing.delete(m.desc.digest);
  }
}
