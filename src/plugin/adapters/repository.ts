/**
 * A plugin's `componentVersionRepository` as a `RepositoryProvider` (kind `repository`): the
 * endpoints of spec §3.5, with our gap fix `repository=<base64url(spec)>` on the GET endpoints
 * (Go plugins ignore it). Credentials: the plugin's `/identity` for the spec, resolved once at
 * `open` by the caller's resolver; every call carries them, or `{}` when there are none (as Go).
 */
import type { ComponentDescriptor, Resource, Source, TypedSpec } from '../../descriptor/types.js';
import type {
  AddComponentVersionOptions,
  ComponentVersionRepository,
  LocalBlobContent,
  LocalBlobInput,
  OpenRepositoryOptions,
  OpOptions,
  RepositoryProvider,
  StoredLocalBlob,
} from '../../repository/types.js';
import type { Credentials } from '../../runtime/credentials-types.js';
import { ErrorCode, isOcmError, NotFoundError } from '../../runtime/errors.js';
import type { PluginCall, PluginConnection } from '../types.js';
import { blobDigestOf, identityOf, identityQuery, localFileOf, pluginError, readLocation, repositoryQuery, writeLocation } from './wire.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const sig = (o?: OpOptions) => (o?.signal ? { signal: o.signal } : {});

export function repositoryProvider(conn: PluginConnection): RepositoryProvider {
  return {
    consumerIdentity: (spec) => identityOf(conn, spec),
    async open(spec: TypedSpec, options: OpenRepositoryOptions = {}): Promise<ComponentVersionRepository> {
      const identity = options.credentials ? await identityOf(conn, spec, options.signal) : undefined;
      const credentials = identity && options.credentials ? await options.credentials.resolve(identity, sig(options)) : undefined;
      return new PluginRepository(conn, spec, credentials);
    },
  };
}

export class PluginRepository implements ComponentVersionRepository {
  readonly #conn: PluginConnection;
  readonly #spec: TypedSpec;
  readonly #credentials: Credentials | undefined;
  /** Descriptors read here, to find the element behind a local blob access (one read per version). */
  readonly #descriptors = new Map<string, Promise<ComponentDescriptor>>();

  constructor(conn: PluginConnection, spec: TypedSpec, credentials: Credentials | undefined) {
    this.#conn = conn;
    this.#spec = spec;
    this.#credentials = credentials;
  }

  /** A 404 from the plugin is NOT_FOUND, whatever the backend ("not found" is one code); the plugin's message is kept. */
  async #call<T>(call: Omit<PluginCall, 'credentials' | 'noCredentials'>): Promise<T> {
    try {
      return await this.#conn.call<T>({ ...call, ...(this.#credentials ? { credentials: this.#credentials } : {}), noCredentials: 'empty-object' });
    } catch (e) {
      if (isOcmError(e, ErrorCode.PLUGIN_ERROR) && e.details.status === 404) throw new NotFoundError(e.message, { details: e.details, cause: e });
      throw e;
    }
  }

  async getComponentVersion(component: string, version: string, options?: OpOptions): Promise<ComponentDescriptor> {
    const cd = await this.#call<unknown>({
      method: 'GET',
      path: '/component-version/download',
      query: { name: component, version, repository: repositoryQuery(this.#spec) },
      ...sig(options),
    });
    const c = isObject(cd) && isObject(cd.component) ? cd.component : undefined;
    if (!c) throw pluginError(this.#conn, `/component-version/download: ${component}:${version}: the answer is not a component descriptor`);
    if (c.name !== component || c.version !== version) {
      throw pluginError(this.#conn, `/component-version/download: asked for ${component}:${version}, got ${String(c.name)}:${String(c.version)}`);
    }
    return cd as unknown as ComponentDescriptor;
  }

  async listComponentVersions(component: string, options?: OpOptions): Promise<string[]> {
    const list = await this.#call<unknown>({
      method: 'GET',
      path: '/component-versions',
      query: { name: component, repository: repositoryQuery(this.#spec) },
      ...sig(options),
    }).catch((e: unknown) => {
      // The interface answers "no versions" with []; a plugin may say 404.
      if (isOcmError(e, ErrorCode.NOT_FOUND)) return [];
      throw e;
    });
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) throw pluginError(this.#conn, `/component-versions: expected a list of version strings`);
    return list as string[];
  }

  async addComponentVersion(descriptor: ComponentDescriptor, options?: AddComponentVersionOptions): Promise<void> {
    // The protocol has no overwrite flag: the plugin decides what an existing version means.
    await this.#call({ method: 'POST', path: '/component-version/upload', body: { repository: this.#spec, descriptor }, ...sig(options) });
    this.#descriptors.delete(`${descriptor.component.name}:${descriptor.component.version}`);
  }

  async addLocalBlob(component: string, version: string, blob: LocalBlobInput, options?: OpOptions): Promise<StoredLocalBlob> {
    const source = 'open' in blob.content && typeof blob.content.open === 'function' ? await blob.content.open(sig(options)) : (blob.content as import('node:stream').Readable);
    const written = await writeLocation(this.#conn, source, {
      mediaType: blob.mediaType,
      ...(blob.digest ? { digest: blob.digest } : {}),
      ...(blob.size !== undefined ? { size: blob.size } : {}),
      what: `local blob of ${component}:${version}`,
      ...sig(options),
    });
    try {
      const artifact = blob.artifacts?.[0];
      const kind = artifact?.kind ?? 'resource';
      const { name = 'blob', version: elVersion = version, ...extraIdentity } = artifact?.identity ?? {};
      const hex = written.digest.slice('sha256:'.length);
      const element = {
        name,
        version: elVersion,
        type: artifact?.type ?? 'blob',
        ...(kind === 'resource' ? { relation: 'local' } : {}),
        ...(Object.keys(extraIdentity).length ? { extraIdentity } : {}),
        access: { type: 'localBlob/v1', localReference: written.digest, mediaType: blob.mediaType },
        ...(kind === 'resource' ? { digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: hex } } : {}),
      };
      const path = kind === 'resource' ? '/local-resource/upload' : '/local-source/upload';
      const answer = await this.#call<unknown>({
        method: 'POST',
        path,
        body: {
          repository: this.#spec,
          name: component,
          version,
          [kind === 'resource' ? 'resourceLocation' : 'sourceLocation']: written.location,
          [kind]: element,
        },
        ...sig(options),
      });
      // The plugin answers with the element as it stored it; its access names the stored blob.
      const access = isObject(answer) && isObject(answer.access) ? answer.access : undefined;
      const localReference = typeof access?.localReference === 'string' && access.localReference !== '' ? access.localReference : written.digest;
      const mediaType = typeof access?.mediaType === 'string' && access.mediaType !== '' ? access.mediaType : blob.mediaType;
      return { localReference, mediaType, digest: written.digest, size: written.size };
    } finally {
      await written.remove();
    }
  }

  #descriptor(component: string, version: string, options?: OpOptions): Promise<ComponentDescriptor> {
    const key = `${component}:${version}`;
    let p = this.#descriptors.get(key);
    if (!p) {
      this.#descriptors.set(key, (p = this.getComponentVersion(component, version, options)));
      p.catch(() => this.#descriptors.delete(key));
    }
    return p;
  }

  async getLocalBlob(component: string, version: string, access: TypedSpec, options?: OpOptions): Promise<LocalBlobContent> {
    const cd = await this.#descriptor(component, version, options);
    const ref = access.localReference;
    const match = (list: readonly (Resource | Source)[]) => list.findIndex((el) => el.access?.localReference === ref);
    const resources = cd.component.resources ?? [];
    const sources = cd.component.sources ?? [];
    let kind: 'resource' | 'source' = 'resource';
    let index = match(resources);
    if (index === -1) {
      kind = 'source';
      index = match(sources);
    }
    if (index === -1) throw new NotFoundError(`local blob ${String(ref)} of ${component}:${version}: no resource or source of the component version has this access`);
    const list = kind === 'resource' ? resources : sources;
    const el = list[index]!;
    // As Go's ToIdentity(): extraIdentity plus name and version (always both).
    const identity: Record<string, string> = { ...(el.extraIdentity ?? {}), name: el.name, ...(el.version !== undefined ? { version: el.version } : {}) };
    const endpoint = kind === 'resource' ? '/local-resource/download' : '/local-source/download';
    const answer = await this.#call<unknown>({
      method: 'GET',
      path: endpoint,
      query: { name: component, version, identity: identityQuery(identity), repository: repositoryQuery(this.#spec) },
      ...sig(options),
    });
    const location = localFileOf(this.#conn, isObject(answer) ? answer.location : undefined, endpoint);
    const digest = (typeof ref === 'string' && /^sha256:[0-9a-f]{64}$/.test(ref) ? ref : undefined) ?? blobDigestOf((el as Resource).digest);
    const mediaType = typeof access.mediaType === 'string' ? access.mediaType : location.mediaType;
    const content = await readLocation(this.#conn, location, {
      ...(digest ? { digest } : {}),
      what: `${kind} ${identity.name ?? ''} of ${component}:${version} from plugin "${this.#conn.id}"`,
      ...sig(options),
    });
    return { ...content, ...(mediaType ? { mediaType } : {}) };
  }

  async close(): Promise<void> {
    this.#descriptors.clear();
  }
}
