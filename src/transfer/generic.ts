/**
 * Transfer through the repository interface, for repositories that are not stored in OCI form
 * (e.g. a plugin's): getComponentVersion + getLocalBlob at the source, addLocalBlob +
 * addComponentVersion at the target, referenced versions first. Blobs stream through; the
 * target stores each version only once all of its blobs arrived.
 */
import type { ComponentDescriptor, TypedSpec } from '../descriptor/types.js';
import { elementIdentity } from '../descriptor/identity.js';
import { mapLimit } from '../internal/limiter.js';
import { accessCredentials, accessMethod } from '../repository/access.js';
import { defaultTypeRegistry } from '../runtime/type-registry.js';
import { isLocalBlobAccess } from '../repository/oci-mapping/repository.js';
import type { ArtifactRef, ComponentVersionRepository, StoredLocalBlob } from '../repository/types.js';
import { ErrorCode, NotFoundError, OcmError, isOcmError, throwIfAborted } from '../runtime/errors.js';
import { selectVersions } from './select.js';
import { isRepository } from './endpoint.js';
import { DEFAULT_CONCURRENCY, type TransferEndpoint, type TransferOptions, type TransferSummary } from './types.js';

interface Found {
  readonly repository: ComponentVersionRepository;
  readonly descriptor: ComponentDescriptor;
}

function repositoryOf(e: TransferEndpoint, role: string): ComponentVersionRepository {
  if (!isRepository(e)) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `${role} ${e.description ?? e.id} is an OCI location, not a repository; open it with openEndpoint()`);
  return e;
}

async function getOptional(repo: ComponentVersionRepository, component: string, version: string, signal: AbortSignal | undefined): Promise<ComponentDescriptor | undefined> {
  try {
    return await repo.getComponentVersion(component, version, signal ? { signal } : {});
  } catch (e) {
    if (isOcmError(e, ErrorCode.NOT_FOUND)) return undefined;
    throw e;
  }
}

/** JSON with sorted keys and without what a repository assigns itself (local references), for "already there" checks. */
function comparable(cd: ComponentDescriptor): string {
  const strip = (v: unknown, key?: string): unknown => {
    if (Array.isArray(v)) return v.map((x) => strip(x));
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const local = key === 'access' && isLocalBlobAccess(o as TypedSpec);
    return Object.fromEntries(
      Object.keys(o)
        .filter((k) => !(local && (k === 'localReference' || k === 'globalAccess')))
        .sort()
        .map((k) => [k, strip(o[k], k)]),
    );
  };
  return JSON.stringify(strip(cd));
}

export async function transferGeneric(sourceEndpoint: TransferEndpoint, targetEndpoint: TransferEndpoint, options: TransferOptions): Promise<TransferSummary> {
  const t0 = Date.now();
  const source = repositoryOf(sourceEndpoint, 'source');
  const target = repositoryOf(targetEndpoint, 'target');
  const resolvers = (options.resolvers ?? []).map((r) => repositoryOf(r, 'resolver'));
  if (options.verify) throw new OcmError(ErrorCode.UNSUPPORTED, `--verify needs repositories stored in OCI form (CTF, OCI registry)`);
  const { signal } = options;
  const op = signal ? { signal } : {};

  // Plan: every version, referenced ones first (post-order), found in the source or a resolver.
  const order: Found[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const locate = async (component: string, version: string, parent?: string): Promise<Found> => {
    for (const repository of [source, ...resolvers]) {
      const descriptor = await getOptional(repository, component, version, signal);
      if (descriptor) return { repository, descriptor };
    }
    throw new NotFoundError(`component version ${component}:${version}${parent ? ` (referenced by ${parent})` : ''} not found; check the name or configure a resolver`, {
      details: { component, version },
    });
  };
  const visit = async (component: string, version: string, parent?: string): Promise<void> => {
    const key = `${component}:${version}`;
    if (done.has(key)) return;
    if (visiting.has(key)) throw new OcmError(ErrorCode.VALIDATION_FAILED, `component reference cycle through ${key}`);
    visiting.add(key);
    const found = await locate(component, version, parent);
    if (options.recursive) {
      for (const r of found.descriptor.component.componentReferences) {
        if (!r.version) throw new OcmError(ErrorCode.VALIDATION_FAILED, `${key}: reference ${r.name} to ${r.componentName} has no version`);
        await visit(r.componentName, r.version, key);
      }
    }
    visiting.delete(key);
    done.add(key);
    order.push(found);
  };
  for (const root of options.roots) {
    const versions = root.version ? [root.version] : selectVersions(root.component, await source.listComponentVersions(root.component, op), options, 'the source');
    for (const v of versions) await visit(root.component, v);
  }

  const summary: TransferSummary = {
    components: new Set(order.map((f) => f.descriptor.component.name)).size,
    versions: order.length,
    versionsWritten: 0,
    versionsPresent: 0,
    resources: order.reduce((n, f) => n + f.descriptor.component.resources.length, 0),
    artifacts: 0,
    blobsCopied: 0,
    blobsSkipped: 0,
    blobsMounted: 0,
    bytesMoved: 0,
    durationMs: 0,
  };
  for (const { repository, descriptor } of order) {
    throwIfAborted(signal);
    const { name, version } = descriptor.component;
    const existing = await getOptional(target, name, version, signal);
    if (existing && comparable(existing) === comparable(descriptor)) {
      summary.versionsPresent++;
      continue;
    }
    if (existing && !options.overwrite) {
      throw new OcmError(ErrorCode.ALREADY_EXISTS, `${name}:${version} already exists at the target with different content; use --overwrite to replace it`, {
        details: { component: name, version },
      });
    }
    const local = await copyLocalBlobs(repository, target, descriptor, options.concurrency ?? DEFAULT_CONCURRENCY, signal, summary);
    const copied = options.copyResources ? await copyResourcesByValue(repository, target, local, options, summary) : local;
    await target.addComponentVersion(copied, { ...op, ...(options.overwrite ? { overwrite: true } : {}) });
    summary.versionsWritten++;
  }
  summary.durationMs = Date.now() - t0;
  return summary;
}

/** Streams every local blob (each distinct reference once) to the target; returns the descriptor with the target's references. */
async function copyLocalBlobs(
  from: ComponentVersionRepository,
  to: ComponentVersionRepository,
  cd: ComponentDescriptor,
  concurrency: number,
  signal: AbortSignal | undefined,
  summary: TransferSummary,
): Promise<ComponentDescriptor> {
  const { name, version } = cd.component;
  const op = signal ? { signal } : {};
  const accesses = new Map<string, TypedSpec>();
  // Which elements a blob belongs to: a plugin repository files the blob under the element's identity.
  const owners = new Map<string, ArtifactRef[]>();
  const elements = [
    ...cd.component.resources.map((el, i) => ({ el, kind: 'resource' as const, identity: elementIdentity(cd.component.resources, i) })),
    ...cd.component.sources.map((el, i) => ({ el, kind: 'source' as const, identity: elementIdentity(cd.component.sources, i) })),
  ];
  for (const { el, kind, identity } of elements) {
    const ref = el.access?.localReference;
    if (!isLocalBlobAccess(el.access) || typeof ref !== 'string') continue;
    if (!accesses.has(ref)) accesses.set(ref, el.access);
    owners.set(ref, [...(owners.get(ref) ?? []), { kind, identity, type: el.type }]);
  }
  const stored = new Map<string, StoredLocalBlob>();
  await mapLimit([...accesses], concurrency, async ([ref, access]) => {
    const blob = await from.getLocalBlob(name, version, access, op);
    const mediaType = typeof access.mediaType === 'string' ? access.mediaType : (blob.mediaType ?? 'application/octet-stream');
    const s = await to.addLocalBlob(
      name,
      version,
      { content: blob.stream, mediaType, ...(blob.digest ? { digest: blob.digest } : {}), ...(blob.size !== undefined ? { size: blob.size } : {}), artifacts: owners.get(ref) ?? [] },
      op,
    );
    stored.set(ref, s);
    summary.blobsCopied++;
    summary.bytesMoved += s.size;
  });
  const rewrite = <T extends { access: TypedSpec }>(el: T): T => {
    const ref = el.access?.localReference;
    const s = typeof ref === 'string' && isLocalBlobAccess(el.access) ? stored.get(ref) : undefined;
    if (!s || s.localReference === ref) return el;
    const { globalAccess: _g, ...access } = el.access;
    return { ...el, access: { ...access, localReference: s.localReference } };
  };
  return { ...cd, component: { ...cd.component, resources: cd.component.resources.map(rewrite), sources: cd.component.sources.map(rewrite) } };
}

/**
 * `--copy-resources` through the repository interface: every resource whose access is neither
 * local nor `none` is read through its access method (a plugin's resource repository, ...) and
 * stored as a local blob of the target; its digest entry is kept, so signatures stay valid.
 * OCI artifacts need the OCI-form path (manifests and layers are copied as they are).
 */
async function copyResourcesByValue(
  from: ComponentVersionRepository,
  to: ComponentVersionRepository,
  cd: ComponentDescriptor,
  options: TransferOptions,
  summary: TransferSummary,
): Promise<ComponentDescriptor> {
  const { name, version } = cd.component;
  const { signal } = options;
  const op = signal ? { signal } : {};
  const registry = options.registry ?? defaultTypeRegistry;
  const resources = await mapLimit([...cd.component.resources.entries()], options.concurrency ?? DEFAULT_CONCURRENCY, async ([i, r]) => {
    const access = r.access;
    if (!access || isLocalBlobAccess(access) || /^none(\/v1)?$/i.test(access.type)) return r;
    if (registry.same('access', access.type, 'ociArtifact')) {
      throw new OcmError(
        ErrorCode.UNSUPPORTED,
        `resource "${r.name}" of ${name}:${version} is an OCI artifact: copying it by value needs repositories stored in OCI form (CTF, OCI registry) on both sides; transfer through a CTF or drop --copy-resources`,
      );
    }
    const method = accessMethod(access, registry);
    const credentials = await accessCredentials(method, access, options.credentials, op);
    const content = await method.open(access, {
      repository: from,
      component: name,
      version,
      resource: r,
      ...(credentials ? { credentials } : {}),
      ...(options.plainHttp ? { plainHttp: true } : {}),
      ...op,
    });
    const mediaType = content.mediaType ?? (typeof access.mediaType === 'string' ? access.mediaType : 'application/octet-stream');
    const stored = await to.addLocalBlob(
      name,
      version,
      {
        content: content.stream,
        mediaType,
        ...(content.digest ? { digest: content.digest } : {}),
        ...(content.size !== undefined ? { size: content.size } : {}),
        artifacts: [{ kind: 'resource', identity: elementIdentity(cd.component.resources, i), type: r.type }],
      },
      op,
    );
    summary.artifacts++;
    summary.blobsCopied++;
    summary.bytesMoved += stored.size;
    return { ...r, relation: r.relation, access: { type: 'localBlob', localReference: stored.localReference, mediaType: stored.mediaType } };
  });
  return { ...cd, component: { ...cd.component, resources } };
}
