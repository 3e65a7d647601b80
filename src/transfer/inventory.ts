/**
 * What a repository holds, for the far side of an air gap (issue 15): its component versions and
 * every manifest and blob digest behind them, per OCI repository (registries scope blobs per
 * repository), taken from manifests and indexes only — blob bytes are never read, except a
 * component version's config and descriptor layer (small; they name references and `ociArtifact`
 * images, which are followed when they live in the same registry).
 *
 * The JSON form (`ocm get inventory -o json`, the `have.json` of a delta export):
 *
 *   { "kind": "ocm.software/inventory/v1alpha1",
 *     "source": "<where it was taken>",
 *     "componentVersions": [ { "component", "version", "repository", "digest", "mediaType", "size" } ],
 *     "repositories": [ { "name", "blobs": [ { "digest", "size", "mediaType" } ] } ] }
 *
 * Repository names are relative to the repository's sub path (so an inventory of `host/airgap`
 * compares with a CTF), except images outside it (full path). Every list is sorted (component,
 * version / name / digest), so two inventories diff line by line.
 */
import { fetchManifest, successors } from '../oci/content/copy.js';
import { isManifestMediaType } from '../oci/content/media-types.js';
import { isTagLister, type OciDescriptor, type OpOptions, type Target } from '../oci/content/types.js';
import { parseImageReference } from '../oci/remote/reference.js';
import { readStoredVersionAt } from '../repository/oci-mapping/stored.js';
import { COMPONENT_DESCRIPTORS, componentRepositoryName, isVersionTag, toVersion } from '../repository/oci-mapping/tags.js';
import { ErrorCode, OcmError, isOcmError, throwIfAborted } from '../runtime/errors.js';
import { compareVersions } from './cv-io.js';
import { locationOf } from './endpoint.js';
import { isOciImageAccess } from './image-ref.js';
import type { DeltaBase, RepositoryLocation, TransferEndpoint } from './types.js';

export const INVENTORY_KIND = 'ocm.software/inventory/v1alpha1';

export interface InventoryBlob {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

export interface InventoryVersion {
  readonly component: string;
  readonly version: string;
  /** Repository of the version (relative to the sub path). */
  readonly repository: string;
  /** Root (manifest or index) the version tag points to. */
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

export interface InventoryRepository {
  readonly name: string;
  /** Manifests, indexes and blobs, sorted by digest. */
  readonly blobs: readonly InventoryBlob[];
}

export interface Inventory {
  readonly kind: typeof INVENTORY_KIND;
  readonly source: string;
  readonly componentVersions: readonly InventoryVersion[];
  readonly repositories: readonly InventoryRepository[];
}

export interface InventoryOptions extends OpOptions {
  /** Components to start from (registries cannot list them). Default: every component the store lists. */
  readonly components?: readonly string[];
  /** Also inventory components that listed versions reference (default true). */
  readonly followReferences?: boolean;
}

/** Referrers-tag-schema / cosign tags (`sha256-<hex>[.sig|.att|.sbom]`) name content attached to `sha256:<hex>`. */
const REFERRER_TAG = /^(sha256|sha512)-([0-9a-f]+)(?:\.[a-z]+)?$/;

/** Takes the inventory of a CTF or registry (an OCI-mapped endpoint). */
export async function takeInventory(endpoint: TransferEndpoint, options: InventoryOptions = {}): Promise<Inventory> {
  const loc = locationOf(endpoint);
  if (!loc) throw new OcmError(ErrorCode.UNSUPPORTED, `an inventory needs a repository stored in OCI form (CTF, OCI registry)`);
  const op: OpOptions = options.signal ? { signal: options.signal } : {};
  const where = loc.description ?? loc.id;
  const prefix = loc.subPath ? `${loc.subPath.replace(/^\/+|\/+$/g, '')}/` : '';
  const relative = (repo: string): string => (prefix && repo.startsWith(prefix) ? repo.slice(prefix.length) : repo);

  const blobs = new Map<string, Map<string, InventoryBlob>>();
  const versions: InventoryVersion[] = [];
  const walked = new Set<string>();

  /** Records `desc` and, for a manifest/index, what it references (manifests are read, blobs are not). */
  const walk = async (repo: string, target: Target, desc: OciDescriptor): Promise<void> => {
    const key = `${repo}@${desc.digest}`;
    if (walked.has(key)) return;
    walked.add(key);
    let m = blobs.get(repo);
    if (!m) blobs.set(repo, (m = new Map()));
    m.set(desc.digest, { digest: desc.digest, size: desc.size, mediaType: desc.mediaType });
    if (!isManifestMediaType(desc.mediaType)) return;
    throwIfAborted(options.signal);
    const bytes = await fetchManifest(target, desc, op);
    await Promise.all(successors(desc, bytes).map((c) => walk(repo, target, c)));
  };

  /** Content attached under referrers tags to what was walked in `repo` (cheap: one tag list). */
  const walkReferrerTags = async (repo: string, target: Target): Promise<void> => {
    if (!isTagLister(target)) return;
    const tags = await target.listTags(op).catch((e: unknown) => (isOcmError(e, ErrorCode.NOT_FOUND) ? [] : Promise.reject(e)));
    for (const tag of tags) {
      const m = REFERRER_TAG.exec(tag);
      if (!m || !walked.has(`${repo}@${m[1]}:${m[2]}`)) continue;
      await walk(repo, target, await target.resolve(tag, op));
    }
  };

  const queue = [...(options.components ?? (await listComponents(loc, op)))];
  const seen = new Set<string>();
  const imageRepos = new Set<string>();
  while (queue.length > 0) {
    const component = queue.shift()!;
    if (seen.has(component)) continue;
    seen.add(component);
    const repoName = componentRepositoryName(component, loc.subPath);
    const target = loc.store.repository(repoName);
    if (!isTagLister(target)) throw new OcmError(ErrorCode.UNSUPPORTED, `${where} cannot list versions of ${component}`);
    let tags: string[];
    try {
      tags = await target.listTags(op);
    } catch (e) {
      if (!isOcmError(e, ErrorCode.NOT_FOUND)) throw e;
      tags = [];
    }
    for (const tag of tags.filter(isVersionTag).sort((a, b) => compareVersions(toVersion(a), toVersion(b)))) {
      const version = toVersion(tag);
      const root = await target.resolve(tag, op);
      versions.push({ component, version, repository: relative(repoName), digest: root.digest, mediaType: root.mediaType, size: root.size });
      await walk(relative(repoName), target, root);
      const stored = await readStoredVersionAt(target, root, component, version, { ...op, validate: false });
      if (options.followReferences !== false) for (const r of stored.descriptor.component.componentReferences) queue.push(r.componentName);
      // by-value images uploaded as ociArtifact into the same registry belong to what the far side holds
      for (const r of stored.descriptor.component.resources) {
        const text = r.access?.['imageReference'];
        if (!loc.registryHost || !isOciImageAccess(String(r.access?.type)) || typeof text !== 'string') continue;
        const ref = parseImageReference(text);
        if (ref.host !== loc.registryHost) continue;
        const image = loc.store.repository(ref.repository);
        let root: OciDescriptor;
        try {
          root = await image.resolve(ref.digest ?? ref.tag ?? 'latest', op);
        } catch (e) {
          if (isOcmError(e, ErrorCode.NOT_FOUND)) continue; // not held here: the inventory says so by omission
          throw e;
        }
        imageRepos.add(ref.repository);
        await walk(relative(ref.repository), image, root);
      }
    }
    await walkReferrerTags(relative(repoName), target);
  }
  for (const r of imageRepos) await walkReferrerTags(relative(r), loc.store.repository(r));

  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return {
    kind: INVENTORY_KIND,
    source: where,
    componentVersions: versions.sort((a, b) => byName(a.component, b.component) || compareVersions(a.version, b.version)),
    repositories: [...blobs.entries()]
      .sort(([a], [b]) => byName(a, b))
      .map(([name, m]) => ({ name, blobs: [...m.values()].sort((a, b) => byName(a.digest, b.digest)) })),
  };
}

async function listComponents(loc: RepositoryLocation, op: OpOptions): Promise<string[]> {
  if (!loc.store.listRepositories) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `${loc.description ?? loc.id} cannot list its components; name them (--component <name>)`);
  }
  const prefix = `${loc.subPath ? `${loc.subPath.replace(/^\/+|\/+$/g, '')}/` : ''}${COMPONENT_DESCRIPTORS}/`;
  return (await loc.store.listRepositories(op)).filter((r) => r.startsWith(prefix)).map((r) => r.slice(prefix.length));
}

/** What an inventory says the far side holds, as the base of a delta export. */
export function inventoryToDeltaBase(inv: Inventory): DeltaBase {
  const has = new Map<string, { size: number; repositories: string[] }>();
  for (const r of inv.repositories) {
    for (const b of r.blobs) {
      const e = has.get(b.digest);
      if (e) e.repositories.push(r.name);
      else has.set(b.digest, { size: b.size, repositories: [r.name] });
    }
  }
  return { description: inv.source, has };
}

/** Parses and checks an inventory document (JSON; YAML output parses to the same object). */
export function parseInventory(doc: unknown, what: string): Inventory {
  const bad = (why: string): OcmError => new OcmError(ErrorCode.VALIDATION_FAILED, `${what} is not an inventory: ${why}; write one with "ocm get inventory <repo> -o json"`);
  if (!doc || typeof doc !== 'object') throw bad('not an object');
  const d = doc as Partial<Inventory>;
  if (d.kind !== INVENTORY_KIND) throw bad(`kind is ${JSON.stringify(d.kind)}, expected ${INVENTORY_KIND}`);
  if (!Array.isArray(d.repositories) || !Array.isArray(d.componentVersions)) throw bad('repositories or componentVersions missing');
  for (const r of d.repositories) {
    if (typeof r?.name !== 'string' || !Array.isArray(r.blobs)) throw bad('a repository has no name or blobs');
    for (const b of r.blobs) {
      if (typeof b?.digest !== 'string' || !/^sha(256|512):[0-9a-f]+$/.test(b.digest) || typeof b.size !== 'number' || b.size < 0) {
        throw bad(`repository ${r.name}: blob ${JSON.stringify(b?.digest)} has no valid digest and size`);
      }
    }
  }
  return { kind: INVENTORY_KIND, source: typeof d.source === 'string' ? d.source : what, componentVersions: d.componentVersions, repositories: d.repositories };
}
