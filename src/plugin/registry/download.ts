/**
 * `ocm download plugin <repo>//<component>:<version>` as Go v2 does it (spec §3.8 steps 1–6):
 * select a resource of the plugin type whose identity contains `{name?, version, os, architecture,
 * ...extra}` (first match wins), write it as `<output>/<last segment of the component name>`, 0755,
 * validate with `capabilities`. Unlike Go, the file appears only after the digest check and the
 * validation passed (Go writes, then deletes a failing file).
 */
import { join } from 'node:path';
import type { ComponentVersionRepository } from '../../repository/types.js';
import { commitFile } from '../../internal/atomic.js';
import { fromFsError } from '../../runtime/errors.js';
import type { Identity } from '../../runtime/identity.js';
import { dropStaging, fetchResource, makeStagingDir, selectPluginResources, validatePluginBinary, type FetchOptions } from './fetch.js';
import { pluginFileName } from './install.js';
import { currentPlatform, type Platform } from './platform.js';
import { PLUGIN_RESOURCE_TYPE } from './publish.js';

export interface DownloadPluginOptions extends FetchOptions {
  readonly repository: ComponentVersionRepository;
  readonly component: string;
  readonly version: string;
  /** Directory to write to (Go default `$HOME/.config/ocm/plugins`). */
  readonly output: string;
  readonly resourceName?: string;
  /** Default: the component version. */
  readonly resourceVersion?: string;
  readonly extraIdentity?: Identity;
  /** Default `ocmPlugin`. */
  readonly pluginType?: string;
  /** Default: this machine (`os`/`architecture` in --extra-identity override it). */
  readonly platform?: Platform;
  readonly skipValidation?: boolean;
  readonly timeoutMs?: number;
}

/** Go's output record: `{plugin, version, source, type, identity, location}`. */
export interface DownloadedPlugin {
  readonly plugin: string;
  readonly version: string;
  readonly source: string;
  readonly type: string;
  readonly identity: Identity;
  readonly location: string;
  /** Set when several resources matched (Go warns; the first is taken). */
  readonly warning?: string;
}

export async function downloadPlugin(o: DownloadPluginOptions): Promise<DownloadedPlugin> {
  const so = o.signal ? { signal: o.signal } : {};
  const cd = await o.repository.getComponentVersion(o.component, o.version, so);
  const base = o.platform ?? currentPlatform();
  const { os, architecture, ...extra } = o.extraIdentity ?? {};
  const platform = { os: os ?? base.os, architecture: architecture ?? base.architecture };
  const type = o.pluginType ?? PLUGIN_RESOURCE_TYPE;
  const identity: Identity = { ...(o.resourceName ? { name: o.resourceName } : {}), version: o.resourceVersion ?? o.version, ...extra };
  const hits = selectPluginResources(cd, { type, platform, identity });
  const resource = hits[0]!;
  const id = pluginFileName(o.component);
  const staging = await makeStagingDir(o.output);
  const location = join(o.output, id);
  try {
    const file = join(staging.path, id);
    await fetchResource(o.repository, cd, resource, file, o);
    if (!o.skipValidation) await validatePluginBinary(file, `plugin ${o.component}:${o.version}`, { ...so, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
    try {
      await commitFile(file, location);
    } catch (e) {
      throw fromFsError(e, location);
    }
  } catch (e) {
    await dropStaging(staging);
    throw e;
  }
  await dropStaging({ path: staging.path });
  return {
    plugin: o.component,
    version: o.version,
    source: `${o.component}:${o.version}`,
    type,
    identity: { name: resource.name, ...(resource.version !== undefined ? { version: resource.version } : {}), ...resource.extraIdentity },
    location,
    ...(hits.length > 1 ? { warning: `${hits.length} resources match; took the first, "${resource.name}"` } : {}),
  };
}
