/**
 * Builds component versions from a parsed constructor and adds them to a repository.
 *
 * Order of work, so that a bad constructor writes nothing: (1) every component is checked up
 * front (input types known, input fields valid, input files present and inside the base
 * directory, the resulting descriptor schema-valid with placeholder accesses); (2) components
 * are built in dependency order (a component referenced by another one in the same file comes
 * first): inputs are streamed into `addLocalBlob`, whose digest (computed while storing) becomes
 * the resource digest; (3) the descriptor is validated and added.
 *
 * Written access type names are the legacy lower-camel ones (`localBlob`, `ociArtifact`,
 * `ociBlob`) that every v1 reader understands (spec model-and-formats.md §1.6).
 */
import { elementIdentity, formatProvider } from '../descriptor/identity.js';
import { validateDescriptor } from '../descriptor/validate.js';
import type {
  ComponentDescriptor,
  DigestSpec,
  Resource,
  Source,
  TypedSpec,
} from '../descriptor/types.js';
import type { ComponentVersionRepository } from '../repository/types.js';
import { ErrorCode, OcmError, ValidationError, isOcmError, throwIfAborted } from '../runtime/errors.js';
import { registerBuiltins } from '../repository/builtins.js';
import { accessCredentials, isArtifactDigester, type AccessMethod } from '../repository/access.js';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import { defaultTypeRegistry, type TypeRegistry } from '../runtime/type-registry.js';
import { registerBuiltinInputs } from './inputs/index.js';
import type {
  ConstructorComponent,
  ConstructorResource,
  ConstructorSource,
  ConstructorSpec,
  ConstructProgress,
  InputMethod,
} from './types.js';

export interface AddComponentVersionsOptions {
  /** Directory input paths are relative to (the constructor file's directory or --working-directory). */
  baseDir: string;
  signal?: AbortSignal;
  /** Replace existing versions with different content (default: ALREADY_EXISTS). */
  overwrite?: boolean;
  /** creationTime for components whose constructor does not set one (default: none, as the v2 CLI). */
  creationTime?: string;
  onProgress?: (e: ConstructProgress) => void;
  /** Where input types are looked up (default: the process-wide registry with the built-ins). */
  registry?: TypeRegistry;
  /** Resolves the consumer identity an input type asks for; its answer is handed to the input as data. */
  credentials?: CredentialResolver;
}

/** The legacy spelling the access type's registration declares for old v1 readers; other types are kept as written. */
export function legacyAccessType(type: string, registry: TypeRegistry = defaultTypeRegistry): string {
  return registerBuiltins(registry).find('access', type)?.legacyName ?? type;
}

const PLACEHOLDER_DIGEST = `sha256:${'0'.repeat(64)}`;

export async function addComponentVersions(
  spec: ConstructorSpec,
  repository: ComponentVersionRepository,
  options: AddComponentVersionsOptions,
): Promise<ComponentDescriptor[]> {
  const registry = options.registry ?? defaultTypeRegistry;
  registerBuiltinInputs(registry);
  const ordered = dependencyOrder(spec);

  // (1) Everything that can fail without I/O on the target fails here, before any write.
  for (const c of ordered) {
    await preflight(spec, c, registry, options);
  }

  // (2) + (3)
  const out: ComponentDescriptor[] = [];
  for (const c of ordered) {
    throwIfAborted(options.signal);
    options.onProgress?.({ phase: 'component-start', component: c.name, version: c.version });
    const resources: Resource[] = [];
    for (const [i, r] of c.resources.entries()) resources.push(await buildResource(spec, c, i, r, repository, registry, options));
    const sources: Source[] = [];
    for (const [i, s] of c.sources.entries()) sources.push(await buildSource(spec, c, i, s, repository, registry, options));
    const cd = descriptor(c, resources, sources, options);
    validateDescriptor(cd, `${spec.source}: ${c.path}`);
    try {
      await repository.addComponentVersion(cd, { overwrite: options.overwrite ?? false, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (e) {
      throw inElement(e, spec, c.path, `component ${c.name}:${c.version}`);
    }
    options.onProgress?.({ phase: 'component-done', component: c.name, version: c.version });
    out.push(cd);
  }
  return out;
}

/** Components ordered so that referenced components of the same file come first (stable otherwise). */
export function dependencyOrder(spec: ConstructorSpec): ConstructorComponent[] {
  const key = (name: string, version: string) => `${name}:${version}`;
  const byKey = new Map(spec.components.map((c) => [key(c.name, c.version), c]));
  const out: ConstructorComponent[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (c: ConstructorComponent, chain: string[]): void => {
    const k = key(c.name, c.version);
    if (state.get(k) === 'done') return;
    if (state.get(k) === 'visiting') {
      throw new ValidationError(`${spec.source}: ${c.path}: component references form a cycle: ${[...chain, k].join(' -> ')}`, { paths: [c.path] });
    }
    state.set(k, 'visiting');
    for (const ref of c.componentReferences) {
      const dep = byKey.get(key(ref.componentName, ref.version ?? ''));
      if (dep) visit(dep, [...chain, k]);
    }
    state.set(k, 'done');
    out.push(c);
  };
  for (const c of spec.components) visit(c, []);
  return out;
}

/** The input method for `input.type`, after checking the input against the type's schema (a plugin's declared one). */
function inputMethod(registry: TypeRegistry, input: TypedSpec): InputMethod {
  return registry.decode<InputMethod>('input', input).impl;
}

/** Prefixes an error with the file, the element path and its name; keeps code and details. */
function inElement(e: unknown, spec: ConstructorSpec, path: string, what: string): OcmError {
  const prefix = `${spec.source}: ${path} (${what})`;
  if (isOcmError(e)) {
    if (e.code === ErrorCode.ABORTED || e.message.startsWith(spec.source)) return e;
    return new OcmError(e.code, `${prefix}: ${e.message}`, { cause: e, details: { ...e.details, path } });
  }
  return new OcmError(ErrorCode.INTERNAL, `${prefix}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

async function preflight(
  spec: ConstructorSpec,
  c: ConstructorComponent,
  registry: TypeRegistry,
  options: AddComponentVersionsOptions,
): Promise<void> {
  const ctx = { baseDir: options.baseDir, ...(options.signal ? { signal: options.signal } : {}) };
  for (const [kind, list] of [['resource', c.resources], ['source', c.sources]] as const) {
    for (const el of list) {
      if (!el.input) continue;
      throwIfAborted(options.signal);
      try {
        await inputMethod(registry, el.input).check?.(el.input, ctx);
      } catch (e) {
        throw inElement(e, spec, el.path, `${kind} "${el.name}"`);
      }
    }
  }
  // Schema and identity rules with placeholder accesses, so duplicates fail before blobs are written.
  const placeholder = (el: ConstructorResource | ConstructorSource): TypedSpec =>
    el.input ? { type: 'localBlob', localReference: PLACEHOLDER_DIGEST, mediaType: 'application/octet-stream' } : accessOf(el, registry);
  const resources = c.resources.map((r) => resourceOf(r, placeholder(r), r.input ? { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: '0'.repeat(64) } : r.digest));
  const sources = c.sources.map((s) => sourceOf(s, placeholder(s)));
  validateDescriptor(descriptor(c, resources, sources, options), `${spec.source}: ${c.path}`);
}

function accessOf(el: ConstructorResource | ConstructorSource, registry: TypeRegistry): TypedSpec {
  const access = el.access!;
  return { ...access, type: legacyAccessType(access.type, registry) };
}

function resourceOf(r: ConstructorResource, access: TypedSpec, digest: DigestSpec | undefined): Resource {
  return {
    name: r.name,
    version: r.version,
    type: r.type,
    relation: r.relation,
    ...(r.extraIdentity ? { extraIdentity: r.extraIdentity } : {}),
    ...(r.labels ? { labels: r.labels } : {}),
    ...(r.srcRefs ? { srcRefs: r.srcRefs } : {}),
    access,
    ...(digest ? { digest } : {}),
  };
}

function sourceOf(s: ConstructorSource, access: TypedSpec): Source {
  return {
    name: s.name,
    version: s.version,
    type: s.type,
    ...(s.extraIdentity ? { extraIdentity: s.extraIdentity } : {}),
    ...(s.labels ? { labels: s.labels } : {}),
    access,
  };
}

function descriptor(c: ConstructorComponent, resources: Resource[], sources: Source[], options: AddComponentVersionsOptions): ComponentDescriptor {
  const creationTime = c.creationTime ?? options.creationTime;
  return {
    meta: { schemaVersion: 'v2' },
    component: {
      name: c.name,
      version: c.version,
      provider: formatProvider(c.provider.name, c.provider.labels ?? []),
      ...(c.labels ? { labels: c.labels } : {}),
      ...(creationTime !== undefined ? { creationTime } : {}),
      repositoryContexts: [],
      resources,
      sources,
      componentReferences: c.componentReferences,
    },
  };
}

/** Streams an input into the repository; returns the `localBlob` access and the stored digest. */
async function storeInput(
  kind: 'resource' | 'source',
  c: ConstructorComponent,
  index: number,
  el: ConstructorResource | ConstructorSource,
  repository: ComponentVersionRepository,
  registry: TypeRegistry,
  options: AddComponentVersionsOptions,
): Promise<{ access: TypedSpec; digest?: string; digestSpec?: DigestSpec; size?: number }> {
  const input = el.input!;
  const signalOpt = options.signal ? { signal: options.signal } : {};
  const method = inputMethod(registry, input);
  const identity = await method.consumerIdentity(input);
  const credentials = identity && options.credentials ? await options.credentials.resolve(identity, signalOpt) : undefined;
  const element = { kind, spec: elementSpec(el) };
  const result = await method.process(input, { baseDir: options.baseDir, element, ...(credentials ? { credentials } : {}), ...signalOpt });
  if (result.access) {
    return { access: { ...result.access, type: legacyAccessType(result.access.type, registry) }, ...(result.digest ? { digestSpec: result.digest } : {}) };
  }
  const { blob, mediaType } = result;
  const list = kind === 'resource' ? c.resources : c.sources;
  const stored = await repository.addLocalBlob(
    c.name,
    c.version,
    { content: blob, mediaType, artifacts: [{ kind, identity: elementIdentity(list, index), type: el.type }] },
    signalOpt,
  );
  return {
    access: { type: 'localBlob', localReference: stored.localReference, mediaType },
    digest: stored.digest,
    size: stored.size,
  };
}

/** The constructor element as written (without its file position), for input types that want all of it. */
function elementSpec(el: ConstructorResource | ConstructorSource): Record<string, unknown> {
  const { path: _path, options: _options, ...rest } = el as ConstructorResource;
  return rest;
}

function blobDigestSpec(digest: string): DigestSpec {
  const [alg, hex] = digest.split(':');
  const hashAlgorithm = alg === 'sha512' ? 'SHA-512' : 'SHA-256';
  return { hashAlgorithm, normalisationAlgorithm: 'genericBlobDigest/v1', value: hex ?? '' };
}

async function buildResource(
  spec: ConstructorSpec,
  c: ConstructorComponent,
  index: number,
  r: ConstructorResource,
  repository: ComponentVersionRepository,
  registry: TypeRegistry,
  options: AddComponentVersionsOptions,
): Promise<Resource> {
  throwIfAborted(options.signal);
  try {
    if (r.input) {
      const s = await storeInput('resource', c, index, r, repository, registry, options);
      options.onProgress?.({
        phase: 'element-done', component: c.name, version: c.version, kind: 'resource', name: r.name,
        ...(s.size !== undefined ? { size: s.size } : {}), ...(s.digest ? { digest: s.digest } : {}),
      });
      return resourceOf(r, s.access, s.digest ? blobDigestSpec(s.digest) : s.digestSpec);
    }
    // A `localBlob` by reference is checked by the repository when the version is added.
    const access = accessOf(r, registry);
    const digest = r.digest ?? (await processorDigest(c, r, access, registry, options));
    options.onProgress?.({ phase: 'element-done', component: c.name, version: c.version, kind: 'resource', name: r.name });
    return resourceOf(r, access, digest);
  } catch (e) {
    throw inElement(e, spec, r.path, `resource "${r.name}"`);
  }
}

/**
 * The digest of an external resource whose access type has a digest processor that serves any
 * normalisation (a plugin's `digestProcessorRepository`), computed when the version is built, as
 * Go v2 does. Built-in access types (OCI) are digested at signing time instead, so building stays offline.
 */
async function processorDigest(
  c: ConstructorComponent,
  r: ConstructorResource,
  access: TypedSpec,
  registry: TypeRegistry,
  options: AddComponentVersionsOptions,
): Promise<DigestSpec | undefined> {
  const method = registry.find<AccessMethod>('access', access.type)?.impl;
  if (!isArtifactDigester(method) || !method.anyNormalisation) return undefined;
  const signalOpt = options.signal ? { signal: options.signal } : {};
  const credentials = await accessCredentials(method, access, options.credentials, signalOpt);
  const resource = resourceOf(r, access, undefined);
  return await method.artifactDigest(
    access,
    { component: c.name, version: c.version, resource, ...(credentials ? { credentials } : {}), ...signalOpt },
    'genericBlobDigest/v1',
  );
}

async function buildSource(
  spec: ConstructorSpec,
  c: ConstructorComponent,
  index: number,
  s: ConstructorSource,
  repository: ComponentVersionRepository,
  registry: TypeRegistry,
  options: AddComponentVersionsOptions,
): Promise<Source> {
  throwIfAborted(options.signal);
  try {
    if (s.input) {
      const st = await storeInput('source', c, index, s, repository, registry, options);
      options.onProgress?.({
        phase: 'element-done', component: c.name, version: c.version, kind: 'source', name: s.name,
        ...(st.size !== undefined ? { size: st.size } : {}), ...(st.digest ? { digest: st.digest } : {}),
      });
      return sourceOf(s, st.access);
    }
    const access = accessOf(s, registry);
    options.onProgress?.({ phase: 'element-done', component: c.name, version: c.version, kind: 'source', name: s.name });
    return sourceOf(s, access);
  } catch (e) {
    throw inElement(e, spec, s.path, `source "${s.name}"`);
  }
}
