/**
 * Looks things up in the component graph for deploy: the resource a rule or `--resource` names
 * (following `referencePath` through component references), the current location of an image
 * resource, and the digest-checked bytes of a resource.
 */
import type { Readable } from 'node:stream';
import type { ComponentDescriptor, Resource } from '../descriptor/types.js';
import { selectElements, elementIdentities } from '../descriptor/identity.js';
import { verifying } from '../digest/digest.js';
import { MediaType } from '../oci/content/media-types.js';
import { parseImageReference } from '../oci/remote/reference.js';
import { accessCredentials, accessMethod } from '../repository/access.js';
import { componentRepositoryName } from '../repository/oci-mapping/tags.js';
import { hasOciStore, type ComponentVersionRepository } from '../repository/types.js';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import { ErrorCode, NotFoundError, OcmError } from '../runtime/errors.js';
import { formatIdentity, type Identity } from '../runtime/identity.js';
import type { TypeRegistry } from '../runtime/type-registry.js';
import { isOciImageAccess } from '../transfer/image-ref.js';
import type { ImageLocation } from './rules.js';

/** The component version being deployed and how to read from its repository. */
export interface DeploySource {
  readonly repository: ComponentVersionRepository;
  readonly descriptor: ComponentDescriptor;
  readonly types?: TypeRegistry;
  readonly credentials?: CredentialResolver;
  readonly plainHttp?: boolean;
}

/** A resource found in the graph, with the component version holding it. */
export interface LocatedResource {
  readonly resource: Resource;
  readonly descriptor: ComponentDescriptor;
}

const cvName = (cd: ComponentDescriptor): string => `${cd.component.name}:${cd.component.version}`;

/** Exactly one resource of `cd` matching `selector`; `what` prefixes errors. */
export function findResource(cd: ComponentDescriptor, selector: Identity, what: string): Resource {
  const resources = cd.component.resources;
  const matches = selectElements(resources, selector);
  if (matches.length === 1) return matches[0]!;
  const available = elementIdentities(resources).map((id) => formatIdentity(id)).join('; ') || 'none';
  if (matches.length === 0) throw new NotFoundError(`${what}: no resource ${formatIdentity(selector)} in ${cvName(cd)} (available: ${available})`);
  throw new OcmError(ErrorCode.INVALID_ARGUMENT, `${what}: ${formatIdentity(selector)} matches ${matches.length} resources of ${cvName(cd)}; add extra identity to select one (available: ${available})`);
}

/** Follows component references by name from `cd` (same repository, as transfer --recursive stores them). */
export async function followReferences(src: DeploySource, path: readonly { name: string }[], what: string, options: { signal?: AbortSignal } = {}): Promise<ComponentDescriptor> {
  let cd = src.descriptor;
  for (const step of path) {
    const refs = cd.component.componentReferences ?? [];
    const ref = refs.find((r) => r.name === step.name);
    if (!ref) {
      throw new NotFoundError(`${what}: ${cvName(cd)} has no component reference named ${step.name} (references: ${refs.map((r) => r.name).join(', ') || 'none'})`);
    }
    if (!ref.version) throw new OcmError(ErrorCode.VALIDATION_FAILED, `${what}: component reference ${step.name} of ${cvName(cd)} has no version`);
    try {
      cd = await src.repository.getComponentVersion(ref.componentName, ref.version, options);
    } catch (e) {
      throw new OcmError((e as OcmError).code ?? ErrorCode.NOT_FOUND, `${what}: referenced ${ref.componentName}:${ref.version}: ${(e as Error).message}`, { cause: e });
    }
  }
  return cd;
}

const OCI_MANIFEST_TYPES = new Set<string>([MediaType.ociManifest, MediaType.ociIndex, 'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

/**
 * Where the image of `resource` lives now: the `imageReference` of an `ociArtifact` access, or,
 * for an image stored as a local blob of a component version in an OCI registry (what transfer
 * --copy-resources writes), the component's own OCI repository by digest, where the manifest is
 * pullable as it is.
 */
export function imageLocation(src: DeploySource, located: LocatedResource, what: string): ImageLocation {
  const { resource, descriptor } = located;
  const access = resource.access;
  const type = typeof access?.type === 'string' ? access.type : '';
  if (isOciImageAccess(type)) {
    const text = access['imageReference'];
    if (typeof text !== 'string') throw new OcmError(ErrorCode.VALIDATION_FAILED, `${what}: ${type} access of resource ${resource.name} has no imageReference`);
    const ref = parseImageReference(text);
    return { registry: ref.host, repository: ref.repository, ...(ref.tag ? { tag: ref.tag } : {}), ...(ref.digest ? { digest: ref.digest } : {}) };
  }
  if (/^localblob(\/v1)?$/i.test(type) && OCI_MANIFEST_TYPES.has(String(access['mediaType'] ?? '').split(';')[0]!)) {
    const oci = hasOciStore(src.repository) ? src.repository.ociStore() : undefined;
    const digest = access['localReference'];
    if (oci?.registryHost && typeof digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(digest)) {
      return { registry: oci.registryHost, repository: componentRepositoryName(descriptor.component.name, oci.subPath), digest };
    }
    throw new OcmError(
      ErrorCode.UNSUPPORTED,
      `${what}: resource ${resource.name} of ${cvName(descriptor)} is an image stored as a local blob outside an OCI registry (e.g. in a CTF); transfer the component version into a registry first`,
    );
  }
  throw new OcmError(ErrorCode.UNSUPPORTED, `${what}: resource ${resource.name} of ${cvName(descriptor)} has access type ${type || 'none'}; localization needs an OCI image (ociArtifact access or an image as local blob in an OCI registry)`);
}

/** The bytes of a resource, checked against its digest while read (plain SHA-256 blob digests). */
export async function openResource(
  src: DeploySource,
  located: LocatedResource,
  options: { signal?: AbortSignal } = {},
): Promise<{ stream: Readable; mediaType?: string; size?: number }> {
  const { resource, descriptor } = located;
  const method = accessMethod(resource.access, src.types);
  const creds = await accessCredentials(method, resource.access, src.credentials, options);
  const content = await method.open(resource.access, {
    repository: src.repository,
    component: descriptor.component.name,
    version: descriptor.component.version,
    resource,
    ...(creds ? { credentials: creds } : {}),
    ...(src.plainHttp ? { plainHttp: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const d = resource.digest;
  if (!d || d.normalisationAlgorithm !== 'genericBlobDigest/v1' || !/^sha-?256$/i.test(d.hashAlgorithm)) return content;
  const check = verifying({ digest: `sha256:${d.value.toLowerCase()}`, what: `resource ${resource.name} of ${cvName(descriptor)}` });
  content.stream.on('error', (e) => check.destroy(e));
  return { ...content, stream: content.stream.pipe(check) };
}
