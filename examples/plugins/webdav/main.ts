/**
 * ocm-plugin-webdav: a component version repository and lister on a WebDAV server (nginx's DAV
 * module, Apache mod_dav, an artifact server's generic repository), an example of the ocm-ts
 * plugin SDK and the network sibling of ocm-plugin-filestore. Repository spec
 * `WebDAV/v1alpha1` `{type, url}`. Layout below `url` (each name one resource, its name
 * `encodeURIComponent(<component name | version>)`):
 *   components/<name>/<version>/descriptor.json
 *   blobs/sha256/<hex>            local blobs, content-addressed
 *   uploads/.upload-*             in-flight writes (PUT here, then MOVE into place)
 * Credentials: Basic auth from the consumer `{type: WebDAV, hostname, scheme, port?, path?}` the
 * plugin's `/identity` names (port only when the url has one, path = the url path without slashes).
 */
import { createHash } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { PluginError, openLocation, runPlugin, s, writeLocation, type CallContext, type Identity, type Infer, type Json, type Location } from 'ocm-ts/plugin';
import { DavStore, MAX_METADATA_BYTES, drain, readBounded, type DavOptions } from './dav.js';

const WebDAV = s.object({ type: s.string(), url: s.string({ minLength: 1 }) }, { required: ['type', 'url'] });
type Spec = Infer<typeof WebDAV>;

/** Page size of `/components/list`. */
const PAGE_SIZE = Math.max(1, Number(process.env.OCM_WEBDAV_PAGE_SIZE) || 100);
const HEX = /^sha256:([0-9a-f]{64})$/;

const stores = new Map<string, DavStore>();
function storeOf(repository: Spec | undefined): DavStore {
  // Go hosts do not send the repository on GET calls; ours does (the `repository` query parameter).
  if (!repository) throw new PluginError(400, 'the repository spec is required: the host did not send the repository parameter');
  let store = stores.get(repository.url);
  if (!store) stores.set(repository.url, (store = new DavStore(repository.url)));
  return store;
}
const opts = (ctx: CallContext): DavOptions => ({ signal: ctx.signal, credentials: ctx.credentials });
/** Resource names on the server: a component name has `/`, a version may have `+`. */
const resourceName = encodeURIComponent;
const cvPath = (name: string, version: string) => ['components', resourceName(name), resourceName(version), 'descriptor.json'];

async function readDescriptor(repository: Spec | undefined, name: string, version: string, ctx: CallContext): Promise<Json> {
  const store = storeOf(repository);
  const res = await store.expect('GET', store.url(cvPath(name, version)), [200, 404], opts(ctx));
  if (res.statusCode === 404) {
    await drain(res);
    throw new PluginError(404, `component version ${name}:${version} not found in ${store.where()}`);
  }
  const text = (await readBounded(res, MAX_METADATA_BYTES)).toString('utf8');
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new PluginError(502, `component version ${name}:${version} in ${store.where()}: descriptor.json is not JSON`);
  }
}

/**
 * Streams a location into `blobs/sha256/<hex>` while hashing it, checks the digest the host named
 * (if any) before the MOVE makes it visible; returns `sha256:<hex>`. A blob already there is kept.
 */
async function storeBlob(repository: Spec, location: Location, expectedHex: string | undefined, ctx: CallContext): Promise<string> {
  const store = storeOf(repository);
  const o = opts(ctx);
  const input = await openLocation(location, { signal: ctx.signal });
  try {
    const size = (await stat(location.value)).size;
    if (expectedHex) {
      const head = await store.send('HEAD', store.url(['blobs', 'sha256', expectedHex]), o);
      await drain(head);
      if (head.statusCode === 200 && Number(head.headers['content-length']) === size) return `sha256:${expectedHex}`;
    }
    const hash = createHash('sha256');
    // Hashed on its way out: the digest is checked before the MOVE makes the blob visible.
    const hashed = Readable.from((async function* () {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        hash.update(chunk);
        yield chunk;
      }
    })());
    let hex = '';
    // The target name is the content's digest, known only after the upload: MOVE needs it then.
    await store.putAtomicTo(['uploads'], hashed, size, o, () => {
      hex = hash.digest('hex');
      if (expectedHex && hex !== expectedHex) throw new PluginError(400, `local blob content hashes to sha256:${hex}, not the sha256:${expectedHex} the element names`);
      return ['blobs', 'sha256', hex];
    });
    return `sha256:${hex}`;
  } finally {
    input.destroy();
  }
}

function elementIdentity(element: Json): Identity {
  const id: Identity = {};
  if (typeof element.name === 'string') id.name = element.name;
  if (typeof element.version === 'string') id.version = element.version;
  for (const [k, v] of Object.entries((element.extraIdentity as Record<string, unknown> | undefined) ?? {})) if (typeof v === 'string') id[k] = v;
  return id;
}

/** The expected hex of an element's blob: a genericBlobDigest/v1 SHA-256 digest, if it names one. */
function expectedHexOf(element: Json): string | undefined {
  const d = element.digest as { hashAlgorithm?: string; normalisationAlgorithm?: string; value?: string } | undefined;
  return d?.hashAlgorithm?.toUpperCase() === 'SHA-256' && d.normalisationAlgorithm === 'genericBlobDigest/v1' && /^[0-9a-f]{64}$/.test(d.value ?? '') ? d.value : undefined;
}

async function localElement(kind: 'resources' | 'sources', req: { repository?: Spec; name: string; version: string; identity: Identity }, ctx: CallContext) {
  const descriptor = await readDescriptor(req.repository, req.name, req.version, ctx);
  const elements = (((descriptor.component as Json | undefined)?.[kind]) as Json[] | undefined) ?? [];
  const element = elements.find((e) => Object.entries(req.identity).every(([k, v]) => elementIdentity(e)[k] === v));
  const what = kind.slice(0, -1);
  if (!element) throw new PluginError(404, `${what} ${JSON.stringify(req.identity)} not found in ${req.name}:${req.version}`);
  const access = element.access as { localReference?: string; mediaType?: string } | undefined;
  const hex = HEX.exec(access?.localReference ?? '')?.[1];
  if (!hex) throw new PluginError(400, `${what} ${JSON.stringify(req.identity)} has no local blob in this store`);
  const store = storeOf(req.repository);
  const res = await store.expect('GET', store.url(['blobs', 'sha256', hex]), [200], opts(ctx));
  const hash = createHash('sha256');
  // Streamed into the location file while hashing: the blob is never held in memory.
  const location = await writeLocation(
    (async function* () {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        hash.update(chunk);
        yield chunk;
      }
    })(),
    { name: 'blob', signal: ctx.signal, ...(access?.mediaType ? { mediaType: access.mediaType } : {}) },
  );
  const got = hash.digest('hex');
  if (got !== hex) {
    await rm(location.value, { force: true });
    throw new PluginError(502, `blob sha256:${hex} in ${store.where()} is corrupt: its content hashes to sha256:${got}`);
  }
  return { location, element };
}

async function addLocal(repository: Spec, location: Location, element: Json, ctx: CallContext): Promise<Json> {
  const ref = await storeBlob(repository, location, expectedHexOf(element), ctx);
  return { ...element, access: { type: 'localBlob/v1', localReference: ref, mediaType: location.mediaType ?? 'application/octet-stream' } };
}

async function childNames(repository: Spec, segments: string[], ctx: CallContext): Promise<string[]> {
  const children = (await storeOf(repository).children(segments, opts(ctx))) ?? [];
  const names: string[] = [];
  for (const c of children) {
    if (!c.collection || c.name.startsWith('.')) continue;
    try {
      names.push(decodeURIComponent(c.name));
    } catch {
      // not ours: a name this plugin did not write
    }
  }
  return names.sort();
}

await runPlugin({
  capabilities: {
    componentVersionRepository: {
      types: [{ type: 'WebDAV/v1alpha1', schema: WebDAV }],
      identity: (spec: Spec) => storeOf(spec).identity(),
      getComponentVersion: ({ repository, name, version }, ctx) => readDescriptor(repository, name, version, ctx),
      listComponentVersions: ({ repository, name }, ctx) => childNames(repository!, ['components', resourceName(name)], ctx),
      async getLocalResource(req, ctx) {
        const { location, element } = await localElement('resources', req, ctx);
        return { location, resource: element };
      },
      async getLocalSource(req, ctx) {
        const { location, element } = await localElement('sources', req, ctx);
        return { location, source: element };
      },
      async addComponentVersion({ repository, descriptor }, ctx) {
        const component = descriptor.component as { name?: unknown; version?: unknown } | undefined;
        if (typeof component?.name !== 'string' || typeof component.version !== 'string') throw new PluginError(400, 'descriptor.component needs a name and a version');
        const store = storeOf(repository);
        const target = cvPath(component.name, component.version);
        await store.mkcols(target.slice(0, -1), opts(ctx));
        await store.putAtomicTo(['uploads'], JSON.stringify(descriptor), undefined, opts(ctx), () => target);
      },
      addLocalResource: async ({ repository, resourceLocation, resource }, ctx) => addLocal(repository, resourceLocation, resource, ctx),
      addLocalSource: async ({ repository, sourceLocation, source }, ctx) => addLocal(repository, sourceLocation, source, ctx),
      async checkHealth({ repository }, ctx) {
        const store = storeOf(repository);
        if ((await store.children([], opts(ctx))) === undefined) throw new PluginError(404, `WebDAV collection ${store.where()} does not exist`);
      },
    },
    componentLister: {
      types: [{ type: 'WebDAV/v1alpha1', schema: WebDAV }],
      identity: (spec: Spec) => storeOf(spec).identity(),
      async listComponents({ repository, last }, ctx) {
        const names = await childNames(repository, ['components'], ctx);
        const rest = last ? names.filter((n) => n > last) : names;
        const list = rest.slice(0, PAGE_SIZE);
        return rest.length > PAGE_SIZE ? { list, last: list[list.length - 1]! } : { list };
      },
    },
  },
});
