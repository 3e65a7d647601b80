/**
 * Publishing: `addToRegistry` writes the next registry version with a plugin component referenced
 * and labelled (`ocm.software/pluginInfo`: platforms from the plugin's `ocmPlugin` resources,
 * description from its `ocm.software/description` label or the caller). An existing version is never overwritten.
 */
import type { ComponentDescriptor, ComponentReference, Label } from '../../descriptor/types.js';
import type { ComponentVersionRepository } from '../../repository/types.js';
import { ErrorCode, NotFoundError, OcmError, isOcmError } from '../../runtime/errors.js';
import { latestVersion, nextMinor } from './platform.js';
import { DEFAULT_REGISTRY_COMPONENT, PLUGIN_INFO_LABEL } from './registry.js';

export const PLUGIN_RESOURCE_TYPE = 'ocmPlugin';
export const DESCRIPTION_LABEL = 'ocm.software/description';
/** The first registry version, with the labels of the template (`plugin-registry-constructor.yaml`). */
export const FIRST_REGISTRY_VERSION = '0.1.0';
export const REGISTRY_TEMPLATE_LABELS: readonly Label[] = [
  { name: 'ocm.software/category', value: 'plugin-registry' },
  { name: 'ocm.software/registry', value: 'official' },
  { name: DESCRIPTION_LABEL, value: 'Official OCM plugin registry' },
];

export interface AddToRegistryOptions {
  /** The repository holding the registry and the plugin component. */
  readonly repository: ComponentVersionRepository;
  readonly plugin: { readonly component: string; readonly version: string };
  /** Default `ocm.software/plugin-registry`. */
  readonly registryComponent?: string;
  /** The new registry version; default: the latest plus one minor, or 0.1.0. */
  readonly version?: string;
  /** Overrides the plugin's `ocm.software/description` label. */
  readonly description?: string;
  /** Provider of a new registry (default `ocm.software`, as the template). */
  readonly provider?: string;
  readonly signal?: AbortSignal;
}

export interface AddToRegistryResult {
  readonly component: string;
  readonly version: string;
  readonly previous?: string;
  readonly reference: ComponentReference;
}

/** The reference name CI uses: the component name with `.` and `/` replaced by `-`. */
export function referenceNameFor(component: string): string {
  return component.replace(/[./]/g, '-');
}

/** `os/architecture` of every `ocmPlugin` resource, in descriptor order, without duplicates. */
export function platformsOf(cd: ComponentDescriptor): string[] {
  const out: string[] = [];
  for (const r of cd.component.resources ?? []) {
    if (r.type !== PLUGIN_RESOURCE_TYPE) continue;
    const os = r.extraIdentity?.os;
    const arch = r.extraIdentity?.architecture;
    if (os && arch && !out.includes(`${os}/${arch}`)) out.push(`${os}/${arch}`);
  }
  return out;
}

export async function addToRegistry(o: AddToRegistryOptions): Promise<AddToRegistryResult> {
  const so = o.signal ? { signal: o.signal } : {};
  const name = o.registryComponent ?? DEFAULT_REGISTRY_COMPONENT;
  const { repository: repo, plugin } = o;
  let pluginCd: ComponentDescriptor;
  try {
    pluginCd = await repo.getComponentVersion(plugin.component, plugin.version, so);
  } catch (e) {
    if (isOcmError(e, ErrorCode.NOT_FOUND)) {
      throw new NotFoundError(`plugin component ${plugin.component}:${plugin.version} is not in the registry's repository; add or transfer it there first (installs read plugins from there)`);
    }
    throw e;
  }
  const platforms = platformsOf(pluginCd);
  if (platforms.length === 0) {
    throw new OcmError(ErrorCode.VALIDATION_FAILED, `${plugin.component}:${plugin.version} has no resource of type ${PLUGIN_RESOURCE_TYPE} with extraIdentity os and architecture: it is not a plugin component`);
  }
  const labelled = (pluginCd.component.labels ?? []).find((l) => l.name === DESCRIPTION_LABEL)?.value;
  const description = o.description ?? (typeof labelled === 'string' ? labelled : '');

  const versions = await repo.listComponentVersions(name, so);
  const previous = latestVersion(versions);
  const version = o.version ?? (previous ? nextMinor(previous) : FIRST_REGISTRY_VERSION);
  if (versions.includes(version)) {
    throw new OcmError(ErrorCode.ALREADY_EXISTS, `plugin registry ${name}:${version} already exists; registry versions are never overwritten (choose another --registry-version, or omit it for ${previous ? nextMinor(previous) : FIRST_REGISTRY_VERSION})`);
  }
  const base = previous ? await repo.getComponentVersion(name, previous, so) : undefined;
  const reference: ComponentReference = {
    name: referenceNameFor(plugin.component),
    componentName: plugin.component,
    version: plugin.version,
    labels: [{ name: PLUGIN_INFO_LABEL, value: { description, platforms } }],
  };
  // Same reference name = the plugin's new version replaces its old one (one version per plugin per registry version).
  const refs = (base?.component.componentReferences ?? []).filter((r) => r.name !== reference.name).map(({ digest: _d, ...r }) => r);
  const cd: ComponentDescriptor = {
    meta: { schemaVersion: 'v2' },
    component: {
      name,
      version,
      provider: base?.component.provider ?? o.provider ?? 'ocm.software',
      labels: base?.component.labels ?? REGISTRY_TEMPLATE_LABELS,
      creationTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      repositoryContexts: [],
      resources: [],
      sources: [],
      componentReferences: [...refs, reference].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    },
  };
  await repo.addComponentVersion(cd, so);
  return { component: name, version, ...(previous ? { previous } : {}), reference };
}
