/**
 * Reading plugin registries (spec §3.8): a registry is a component version (default component
 * `ocm.software/plugin-registry`) whose componentReferences are the plugins; each reference may carry
 * the label `ocm.software/pluginInfo` ({description, platforms}), read as Go reads it (unknown keys
 * rejected). The plugin components live in the registry's repository.
 */
import type { ComponentDescriptor, ComponentReference as DescriptorReference, TypedSpec } from '../../descriptor/types.js';
import { openRepository } from '../../repository/open.js';
import { parseComponentReference } from '../../repository/reference.js';
import type { ComponentVersionRepository } from '../../repository/types.js';
import { ErrorCode, NotFoundError, OcmError } from '../../runtime/errors.js';
import type { TypeRegistry } from '../../runtime/type-registry.js';
import { compareVersions, latestVersion } from './platform.js';

export const PLUGIN_INFO_LABEL = 'ocm.software/pluginInfo';
export const DEFAULT_REGISTRY_COMPONENT = 'ocm.software/plugin-registry';
const INFO_KEYS = ['name', 'version', 'platforms', 'description', 'registry', 'component'] as const;

/** One plugin version a registry offers (Go's `PluginInfo`). */
export interface RegistryPlugin {
  /** The reference name (CI: the component name with `.` and `/` replaced by `-`). */
  readonly name: string;
  readonly version: string;
  readonly platforms: readonly string[];
  readonly description: string;
  /** The registry reference it came from, with the registry version (`repo//component:version`). */
  readonly registry: string;
  /** The plugin's component name. */
  readonly component: string;
}

export interface RegistryOptions {
  /** Opens a repository (with the caller's credentials and transport options). Default: openRepository with `types`. */
  readonly open?: (spec: TypedSpec, options: { signal?: AbortSignal }) => Promise<ComponentVersionRepository>;
  readonly types?: TypeRegistry;
  readonly signal?: AbortSignal;
}

export interface OpenedRegistry {
  /** The registry reference with its version. */
  readonly ref: string;
  readonly spec: TypedSpec;
  /** Open: the caller closes it. */
  readonly repository: ComponentVersionRepository;
  readonly component: string;
  readonly version: string;
  readonly descriptor: ComponentDescriptor;
  readonly plugins: readonly RegistryPlugin[];
}

/** `repo` alone means the default registry component in it. */
export function registryReference(text: string): string {
  const rest = text.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  return rest.includes('//') ? text : `${text}//${DEFAULT_REGISTRY_COMPONENT}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The label value as `{description, platforms}`. Go's `get` decodes the value itself and `list`
 * a JSON string holding it; both forms are accepted. Unknown keys are refused like Go's DisallowUnknownFields.
 */
export function parsePluginInfoLabel(value: unknown, where: string): { description: string; platforms: string[] } {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v) as unknown;
    } catch {
      throw new OcmError(ErrorCode.PARSE_ERROR, `${where}: label ${PLUGIN_INFO_LABEL} is not JSON`);
    }
  }
  if (!isRecord(v)) throw new OcmError(ErrorCode.VALIDATION_FAILED, `${where}: label ${PLUGIN_INFO_LABEL} must be a mapping with description and platforms`);
  for (const key of Object.keys(v)) {
    if (!(INFO_KEYS as readonly string[]).includes(key)) {
      throw new OcmError(ErrorCode.VALIDATION_FAILED, `${where}: label ${PLUGIN_INFO_LABEL} has unknown key "${key}" (allowed: ${INFO_KEYS.join(', ')})`);
    }
  }
  const platforms = v.platforms ?? [];
  if (!Array.isArray(platforms) || platforms.some((p) => typeof p !== 'string')) {
    throw new OcmError(ErrorCode.VALIDATION_FAILED, `${where}: label ${PLUGIN_INFO_LABEL}: platforms must be a list of strings like linux/amd64`);
  }
  for (const key of ['name', 'version', 'description', 'registry', 'component']) {
    if (v[key] !== undefined && v[key] !== null && typeof v[key] !== 'string') {
      throw new OcmError(ErrorCode.VALIDATION_FAILED, `${where}: label ${PLUGIN_INFO_LABEL}: ${key} must be a string`);
    }
  }
  return { description: typeof v.description === 'string' ? v.description : '', platforms: platforms.map((p: string) => p.trim()) };
}

/** The plugins a registry descriptor references. */
export function pluginsOf(descriptor: ComponentDescriptor, registryRef: string): RegistryPlugin[] {
  return (descriptor.component.componentReferences ?? []).map((r: DescriptorReference) => {
    const label = (r.labels ?? []).find((l) => l.name === PLUGIN_INFO_LABEL);
    const info = label ? parsePluginInfoLabel(label.value, `plugin registry ${registryRef}: reference "${r.name}"`) : { description: '', platforms: [] };
    return { name: r.name, version: r.version ?? '', platforms: info.platforms, description: info.description, registry: registryRef, component: r.componentName };
  });
}

function defaultOpen(types: TypeRegistry | undefined): NonNullable<RegistryOptions['open']> {
  return (spec, o) => openRepository(spec, { ...(types ? { registry: types } : {}), ...(o.signal ? { signal: o.signal } : {}) });
}

/** Opens a registry (`repo//component[:version]`, or just `repo`); the latest (semver) version when none is given. */
export async function openRegistry(text: string, options: RegistryOptions = {}): Promise<OpenedRegistry> {
  const full = registryReference(text);
  const ref = parseComponentReference(full, options.types ? { registry: options.types } : {});
  const so = options.signal ? { signal: options.signal } : {};
  const repository = await (options.open ?? defaultOpen(options.types))(ref.repository, so);
  try {
    let version = ref.version;
    if (version === undefined) {
      const versions = await repository.listComponentVersions(ref.component, so);
      version = latestVersion(versions) ?? [...versions].sort(compareVersions).at(-1);
      if (version === undefined) throw new NotFoundError(`plugin registry ${text}: component ${ref.component} has no versions`);
    }
    const descriptor = await repository.getComponentVersion(ref.component, version, so);
    const display = ref.version === undefined ? `${full}:${version}` : full;
    return { ref: display, spec: ref.repository, repository, component: ref.component, version, descriptor, plugins: pluginsOf(descriptor, display) };
  } catch (e) {
    await repository.close().catch(() => undefined);
    throw e;
  }
}

/** Every plugin of every registry, sorted by name, version (semver), registry — as Go's list. */
export async function listPlugins(registries: readonly string[], options: RegistryOptions = {}): Promise<RegistryPlugin[]> {
  requireRegistries(registries);
  const all: RegistryPlugin[] = [];
  for (const text of registries) {
    const reg = await openRegistry(text, options);
    await reg.repository.close(options.signal ? { signal: options.signal } : {});
    all.push(...reg.plugins);
  }
  return sortPlugins(all);
}

export function sortPlugins(plugins: readonly RegistryPlugin[]): RegistryPlugin[] {
  return [...plugins].sort((a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : compareVersions(a.version, b.version) || (a.registry < b.registry ? -1 : a.registry > b.registry ? 1 : 0)));
}

/** `name[:version]` → parts. */
export function parsePluginSpec(text: string): { name: string; version?: string } {
  const at = text.lastIndexOf(':');
  const name = at > 0 ? text.slice(0, at) : text;
  const version = at > 0 ? text.slice(at + 1) : undefined;
  if (name === '' || version === '') throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid plugin "${text}": expected <name>[:<version>]`);
  return { name, ...(version !== undefined ? { version } : {}) };
}

/** A plugin is named by its reference name, its component name, or the last segment of it (its file name). */
export function pluginMatches(p: RegistryPlugin, name: string): boolean {
  return p.name === name || p.component === name || p.component.split('/').at(-1) === name;
}

export function requireRegistries(registries: readonly string[]): void {
  if (registries.length === 0) {
    throw new OcmError(
      ErrorCode.INVALID_ARGUMENT,
      'no plugin registry configured: pass --registry <repo>//ocm.software/plugin-registry, or list it under pluginRegistries in a plugin.config.ocm.software/v2alpha1 entry of .ocmconfig',
    );
  }
}

/** Every version of the named plugin in the registries (sorted); NOT_FOUND naming the registries when none. */
export async function findPlugin(registries: readonly string[], spec: string, options: RegistryOptions = {}): Promise<RegistryPlugin[]> {
  const { name, version } = parsePluginSpec(spec);
  const found = (await listPlugins(registries, options)).filter((p) => pluginMatches(p, name) && (version === undefined || p.version === version));
  if (found.length === 0) throw new NotFoundError(`plugin "${spec}" not found in plugin registries ${registries.join(', ')}`);
  return found;
}

/** The plugin version to install: the given one, else the latest; the first registry wins a tie. */
export function choosePlugin(found: readonly RegistryPlugin[], registries: readonly string[]): RegistryPlugin {
  const best = latestVersion(found.map((p) => p.version)) ?? found.at(-1)!.version;
  const same = found.filter((p) => p.version === best);
  const order = (p: RegistryPlugin) => registries.findIndex((r) => p.registry.startsWith(registryReference(r)));
  return [...same].sort((a, b) => order(a) - order(b))[0]!;
}
