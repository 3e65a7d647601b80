/**
 * `ocm plugin install/upgrade/uninstall`: resolve a plugin through the registries, verify the
 * registry's and the plugin's signatures, fetch the build for this machine (digest-checked while
 * streaming) into a staging directory inside the plugin directory, run `capabilities`, then rename
 * it into place. Until that rename the plugin directory is unchanged; a failure leaves it as it was.
 *
 * Install metadata lives in `<pluginDir>/.ocm-installed/<id>.json`: discovery skips dot-entries.
 */
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, NotFoundError, OcmError, fromFsError } from '../../runtime/errors.js';
import { dropStaging, fetchResource, makeStagingDir, selectPluginResources, validatePluginBinary } from './fetch.js';
import { compareVersions, currentPlatform, formatPlatform, type Platform } from './platform.js';
import { choosePlugin, findPlugin, openRegistry, parsePluginSpec, type RegistryPlugin, type RegistryOptions } from './registry.js';
import { verifyTrusted, type PluginVerification } from './verify.js';

export const METADATA_DIR = '.ocm-installed';

/** What `<pluginDir>/.ocm-installed/<id>.json` records. */
export interface InstalledPlugin {
  /** The file name in the plugin directory (last segment of the component name). */
  readonly id: string;
  /** The registry's name for it. */
  readonly name: string;
  readonly version: string;
  readonly component: string;
  readonly registry: string;
  readonly resource: string;
  readonly platform: string;
  readonly digest?: string;
  readonly installedAt: string;
  /** Verified signatures, or false with --insecure-skip-verify. */
  readonly verified: boolean;
}

export interface InstallOptions extends RegistryOptions, PluginVerification {
  /** `name[:version]` (reference name, component name or its last segment). */
  readonly plugin: string;
  readonly registries: readonly string[];
  readonly pluginDir: string;
  /** Default: this machine. */
  readonly platform?: Platform;
  /** Replace an installed plugin of the same id (upgrade). */
  readonly replace?: boolean;
  readonly credentials?: PluginVerification['credentials'];
  readonly capabilitiesTimeoutMs?: number;
}

/** The file name a plugin component installs as (Go: `path.Base(componentName)`). */
export function pluginFileName(component: string): string {
  const id = component.split('/').at(-1) ?? '';
  if (id === '' || id === '.' || id === '..' || id.startsWith('.')) throw new OcmError(ErrorCode.UNSAFE_PATH, `component name ${component} gives no usable plugin file name`);
  return id;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function readText(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, 'utf8');
  } catch {
    return undefined;
  }
}

export async function installPlugin(o: InstallOptions): Promise<InstalledPlugin> {
  const found = await findPlugin(o.registries, o.plugin, o);
  return await installResolved(choosePlugin(found, o.registries), o);
}

/** Installs one registry entry (already resolved). */
export async function installResolved(info: RegistryPlugin, o: InstallOptions): Promise<InstalledPlugin> {
  const so = o.signal ? { signal: o.signal } : {};
  const id = pluginFileName(info.component);
  const target = join(o.pluginDir, id);
  if (!o.replace && (await exists(target))) {
    throw new OcmError(ErrorCode.ALREADY_EXISTS, `plugin ${id} is already installed in ${o.pluginDir}; use "ocm plugin upgrade ${id}", or uninstall it first`);
  }
  const platform = o.platform ?? currentPlatform();
  const reg = await openRegistry(info.registry, o);
  let staging: { path: string; created?: string } | undefined;
  try {
    await verifyTrusted(reg.repository, reg.component, reg.version, 'plugin registry', o, o.signal);
    await verifyTrusted(reg.repository, info.component, info.version, 'plugin', o, o.signal);
    const cd = await reg.repository.getComponentVersion(info.component, info.version, so);
    const resource = selectPluginResources(cd, { platform })[0]!;
    staging = await makeStagingDir(o.pluginDir);
    const file = join(staging.path, id);
    const digest = await fetchResource(reg.repository, cd, resource, file, { ...o, ...(o.types ? { types: o.types } : {}) });
    await validatePluginBinary(file, `plugin ${info.name} ${info.version} (${formatPlatform(platform)})`, { ...so, ...(o.capabilitiesTimeoutMs ? { timeoutMs: o.capabilitiesTimeoutMs } : {}) });
    const record: InstalledPlugin = {
      id,
      name: info.name,
      version: info.version,
      component: info.component,
      registry: info.registry,
      resource: resource.name,
      platform: formatPlatform(platform),
      ...(digest ? { digest } : {}),
      installedAt: new Date().toISOString(),
      verified: !o.insecureSkipVerify,
    };
    await writeFile(join(staging.path, `${id}.json`), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
    await commit(staging.path, o.pluginDir, id);
    await rm(staging.path, { recursive: true, force: true });
    return record;
  } catch (e) {
    if (staging) await dropStaging(staging);
    throw e;
  } finally {
    await reg.repository.close().catch(() => undefined);
  }
}

/** Metadata first, then the binary (the commit point); a failed binary rename restores the old metadata. */
async function commit(staging: string, pluginDir: string, id: string): Promise<void> {
  const metaDir = join(pluginDir, METADATA_DIR);
  const metaFile = join(metaDir, `${id}.json`);
  let createdMetaDir: string | undefined;
  try {
    createdMetaDir = await mkdir(metaDir, { recursive: true });
  } catch (e) {
    throw fromFsError(e, metaDir);
  }
  const oldMeta = await readText(metaFile);
  try {
    await rename(join(staging, `${id}.json`), metaFile);
    await rename(join(staging, id), join(pluginDir, id));
  } catch (e) {
    if (oldMeta !== undefined) await writeFile(metaFile, oldMeta).catch(() => undefined);
    else await rm(metaFile, { force: true }).catch(() => undefined);
    if (createdMetaDir) await rm(createdMetaDir, { recursive: true, force: true }).catch(() => undefined);
    throw fromFsError(e, join(pluginDir, id));
  }
}

/** The install records in a plugin directory (unreadable or foreign files are skipped). */
export async function listInstalled(pluginDir: string): Promise<InstalledPlugin[]> {
  let names: string[];
  try {
    names = await readdir(join(pluginDir, METADATA_DIR));
  } catch {
    return [];
  }
  const out: InstalledPlugin[] = [];
  for (const n of names.filter((x) => x.endsWith('.json')).sort()) {
    try {
      const r = JSON.parse((await readText(join(pluginDir, METADATA_DIR, n))) ?? '') as InstalledPlugin;
      if (typeof r?.id === 'string' && typeof r.version === 'string' && (await exists(join(pluginDir, r.id)))) out.push(r);
    } catch {
      /* not ours */
    }
  }
  return out;
}

/** Removes an installed plugin (file and record). NOT_FOUND when the plugin directory has no such plugin. */
export async function uninstallPlugin(o: { plugin: string; pluginDir: string }): Promise<{ id: string; version?: string }> {
  const name = parsePluginSpec(o.plugin).name;
  const record = (await listInstalled(o.pluginDir)).find((r) => r.id === name || r.name === name || r.component === name);
  const id = record?.id ?? name;
  if (id.includes('/') || id.startsWith('.')) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid plugin "${o.plugin}": name an installed plugin (see ocm plugin list)`);
  const file = join(o.pluginDir, id);
  if (!(await exists(file))) throw new NotFoundError(`plugin ${name} is not installed in ${o.pluginDir}`);
  try {
    await rm(file, { force: true });
    await rm(join(o.pluginDir, METADATA_DIR, `${id}.json`), { force: true });
  } catch (e) {
    throw fromFsError(e, file);
  }
  return { id, ...(record ? { version: record.version } : {}) };
}

export interface UpgradeResult {
  readonly id: string;
  readonly from: string;
  /** The installed version afterwards (equal to `from` when it was up to date). */
  readonly to: string;
  readonly upgraded: boolean;
}

/** Upgrades the named installed plugin, or all installed ones, to the latest version the registries offer. */
export async function upgradePlugins(o: Omit<InstallOptions, 'plugin' | 'replace'> & { plugin?: string }): Promise<UpgradeResult[]> {
  const installed = await listInstalled(o.pluginDir);
  const wanted = o.plugin === undefined ? installed : installed.filter((r) => [r.id, r.name, r.component].includes(parsePluginSpec(o.plugin!).name));
  if (o.plugin !== undefined && wanted.length === 0) throw new NotFoundError(`plugin ${o.plugin} was not installed from a plugin registry in ${o.pluginDir} (install it with ocm plugin install)`);
  const out: UpgradeResult[] = [];
  for (const r of wanted) {
    const found = await findPlugin(o.registries, r.component, o);
    const best = choosePlugin(found, o.registries);
    if (compareVersions(best.version, r.version) <= 0) {
      out.push({ id: r.id, from: r.version, to: r.version, upgraded: false });
      continue;
    }
    const done = await installResolved(best, { ...o, plugin: r.component, replace: true });
    out.push({ id: r.id, from: r.version, to: done.version, upgraded: true });
  }
  return out;
}
