/**
 * What install and `download plugin` share: choosing the plugin resource for a platform, streaming
 * it into a private temp directory beside the target (same filesystem: the final rename is atomic)
 * while checking its digest, and running `capabilities` on it before anything becomes visible.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComponentDescriptor, Resource } from '../../descriptor/types.js';
import { elementIdentity } from '../../descriptor/identity.js';
import { verifying } from '../../digest/digest.js';
import { streamToFileAtomic, sweepStaleTemps } from '../../internal/atomic.js';
import { accessCredentials, accessMethod } from '../../repository/access.js';
import type { ComponentVersionRepository } from '../../repository/types.js';
import type { CredentialResolver } from '../../runtime/credentials-types.js';
import { ErrorCode, OcmError, fromFsError } from '../../runtime/errors.js';
import { formatIdentity, identityContains, type Identity } from '../../runtime/identity.js';
import { defaultTypeRegistry, type TypeRegistry } from '../../runtime/type-registry.js';
import { CapabilitiesError, parseCapabilities, runCapabilities } from '../capabilities.js';
import type { PluginCapabilities } from '../types.js';
import { formatPlatform, type Platform } from './platform.js';
import { PLUGIN_RESOURCE_TYPE } from './publish.js';

/** Go's timeout for the validation run. */
export const VALIDATE_TIMEOUT_MS = 30_000;

export interface FetchOptions {
  readonly types?: TypeRegistry;
  readonly credentials?: CredentialResolver;
  readonly plainHttp?: boolean;
  readonly signal?: AbortSignal;
}

export interface ResourceSelector {
  readonly type?: string;
  readonly platform: Platform;
  /** Further identity attributes (`name`, `version`, anything from --extra-identity). */
  readonly identity?: Identity;
}

/**
 * The resources of `type` whose identity contains `{os, architecture, ...identity}` (Go's subset
 * match). Throws NOT_FOUND listing the platforms that are available.
 */
export function selectPluginResources(cd: ComponentDescriptor, sel: ResourceSelector): Resource[] {
  const type = sel.type ?? PLUGIN_RESOURCE_TYPE;
  const resources = cd.component.resources ?? [];
  const want: Identity = { ...sel.identity, os: sel.platform.os, architecture: sel.platform.architecture };
  const typed = resources.map((r, i) => ({ r, id: elementIdentity(resources, i) })).filter((x) => x.r.type === type);
  const hits = typed.filter((x) => identityContains({ ...x.id, ...(x.r.version !== undefined ? { version: x.r.version } : {}) }, want)).map((x) => x.r);
  if (hits.length > 0) return hits;
  const what = `${cd.component.name}:${cd.component.version}`;
  if (typed.length === 0) throw new OcmError(ErrorCode.NOT_FOUND, `${what} has no resource of type ${type}: it is not a plugin component`);
  const available = [...new Set(typed.map((x) => (x.r.extraIdentity?.os && x.r.extraIdentity.architecture ? `${x.r.extraIdentity.os}/${x.r.extraIdentity.architecture}` : formatIdentity(x.id))))];
  const extra = sel.identity && Object.keys(sel.identity).length > 0 ? ` with ${formatIdentity(sel.identity)}` : '';
  throw new OcmError(ErrorCode.NOT_FOUND, `${what} has no build for ${formatPlatform(sel.platform)}${extra}; available: ${available.join(', ')}`);
}

/** A fresh private directory inside `dir` (created when missing), named so stale ones are swept later. */
export async function makeStagingDir(dir: string): Promise<{ path: string; created?: string }> {
  let created: string | undefined;
  try {
    created = await mkdir(dir, { recursive: true });
  } catch (e) {
    throw fromFsError(e, `plugin directory ${dir}`);
  }
  // Left-overs of a killed install (its process is gone) are removed; a live one's are kept.
  if (!created) await sweepStaleTemps(dir, (n) => n.startsWith('.install.tmp-'));
  const path = join(dir, `.install.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(path, { mode: 0o700 });
  } catch (e) {
    throw fromFsError(e, `plugin directory ${dir}`);
  }
  return { path, ...(created ? { created } : {}) };
}

/** Removes the staging directory, and the plugin directory too when this operation created it. */
export async function dropStaging(staging: { path: string; created?: string }): Promise<void> {
  await rm(staging.path, { recursive: true, force: true }).catch(() => undefined);
  if (staging.created) await rm(staging.created, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Streams the resource into `file` (0755), checking a `genericBlobDigest/v1` SHA-256 digest while
 * writing (the repository checks the stored blob's own digest too). Returns `sha256:<hex>` when known.
 */
export async function fetchResource(
  repo: ComponentVersionRepository,
  cd: ComponentDescriptor,
  resource: Resource,
  file: string,
  o: FetchOptions,
): Promise<string | undefined> {
  const { name: component, version } = cd.component;
  const types = o.types ?? defaultTypeRegistry;
  const method = accessMethod(resource.access, types);
  const creds = await accessCredentials(method, resource.access, o.credentials, o.signal ? { signal: o.signal } : {});
  const content = await method.open(resource.access, {
    repository: repo,
    component,
    version,
    resource,
    ...(creds ? { credentials: creds } : {}),
    ...(o.plainHttp ? { plainHttp: true } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const d = resource.digest;
  const expected = d && d.normalisationAlgorithm === 'genericBlobDigest/v1' && /^sha-?256$/i.test(d.hashAlgorithm) ? `sha256:${d.value.toLowerCase()}` : undefined;
  const what = `plugin resource "${resource.name}" of ${component}:${version}`;
  await streamToFileAtomic(file, content.stream, expected ? [verifying({ digest: expected, what })] : [], { ...(o.signal ? { signal: o.signal } : {}), mode: 0o755 });
  await chmod(file, 0o755);
  return expected ?? content.digest;
}

/** Runs `<file> capabilities` (30 s, bounded output); it must print JSON with capabilities. One-line PLUGIN_ERROR otherwise. */
export async function validatePluginBinary(file: string, what: string, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<PluginCapabilities> {
  try {
    const out = await runCapabilities(file, { timeoutMs: o.timeoutMs ?? VALIDATE_TIMEOUT_MS, ...(o.signal ? { signal: o.signal } : {}) });
    return parseCapabilities(out);
  } catch (e) {
    if (e instanceof CapabilitiesError) throw new OcmError(ErrorCode.PLUGIN_ERROR, `${what} failed validation: ${e.message}`);
    throw e;
  }
}
