/**
 * ocm-plugin-filestore: a component version repository and lister on a plain directory (an example
 * of the ocm-ts plugin SDK). Repository spec `FileStore/v1alpha1` `{type, path}`. Layout:
 *   <path>/components/<urlencoded name>/<urlencoded version>/descriptor.json
 *   <path>/blobs/sha256.<hex>            (local blobs, content-addressed)
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PluginError, openLocation, runPlugin, s, writeLocation, type CallContext, type Identity, type Infer, type Json, type Location } from 'ocm-ts/plugin';

const FileStore = s.object({ type: s.string(), path: s.string({ minLength: 1 }) }, { required: ['type', 'path'] });
type Spec = Infer<typeof FileStore>;

/** Page size of `/components/list` (small values make paging visible in tests). */
const PAGE_SIZE = Math.max(1, Number(process.env.OCM_FILESTORE_PAGE_SIZE) || 100);

function root(repository: Spec | undefined): string {
  // Go hosts do not send the repository on GET calls; ours does (the `repository` query parameter).
  if (!repository) throw new PluginError(400, 'the repository spec is required: the host did not send the repository parameter');
  return resolve(repository.path);
}
const cvDir = (repo: Spec | undefined, name: string, version: string) =>
  join(root(repo), 'components', encodeURIComponent(name), encodeURIComponent(version));

async function readDescriptor(repo: Spec | undefined, name: string, version: string): Promise<Json> {
  try {
    return JSON.parse(await readFile(join(cvDir(repo, name, version), 'descriptor.json'), 'utf8')) as Json;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new PluginError(404, `component version ${name}:${version} not found in ${root(repo)}`);
    throw e;
  }
}

/** Writes via temp file + rename: a reader never sees half a file. */
async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode: 0o644 });
  await rename(tmp, path);
}

/** Streams a location into the blob store while hashing; returns `sha256:<hex>`. */
async function storeBlob(repo: Spec, location: Location, signal: AbortSignal): Promise<string> {
  const blobs = join(root(repo), 'blobs');
  await mkdir(blobs, { recursive: true });
  const tmp = join(blobs, `.upload-${process.pid}-${Date.now()}`);
  const hash = createHash('sha256');
  const input = await openLocation(location, { signal });
  try {
    await pipeline(input, async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk);
        yield chunk;
      }
    }, createWriteStream(tmp, { mode: 0o644 }), { signal });
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const hex = hash.digest('hex');
  await rename(tmp, join(blobs, `sha256.${hex}`));
  return `sha256:${hex}`;
}

function elementIdentity(element: Json): Identity {
  const id: Identity = {};
  if (typeof element.name === 'string') id.name = element.name;
  if (typeof element.version === 'string') id.version = element.version;
  for (const [k, v] of Object.entries((element.extraIdentity as Record<string, unknown> | undefined) ?? {})) if (typeof v === 'string') id[k] = v;
  return id;
}

async function localElement(kind: 'resources' | 'sources', req: { repository?: Spec; name: string; version: string; identity: Identity }, ctx: CallContext) {
  const descriptor = await readDescriptor(req.repository, req.name, req.version);
  const elements = (((descriptor.component as Json | undefined)?.[kind]) as Json[] | undefined) ?? [];
  const element = elements.find((e) => Object.entries(req.identity).every(([k, v]) => elementIdentity(e)[k] === v));
  if (!element) throw new PluginError(404, `${kind.slice(0, -1)} ${JSON.stringify(req.identity)} not found in ${req.name}:${req.version}`);
  const access = element.access as { type?: string; localReference?: string; mediaType?: string } | undefined;
  const ref = access?.localReference ?? '';
  if (!/^sha256:[0-9a-f]{64}$/.test(ref)) throw new PluginError(400, `${kind.slice(0, -1)} ${JSON.stringify(req.identity)} has no local blob in this store`);
  const data = createReadStream(join(root(req.repository), 'blobs', `sha256.${ref.slice(7)}`), { signal: ctx.signal });
  const location = await writeLocation(data, { name: 'blob', signal: ctx.signal, ...(access?.mediaType ? { mediaType: access.mediaType } : {}) });
  return { location, element };
}

await runPlugin({
  capabilities: {
    componentVersionRepository: {
      types: [{ type: 'FileStore/v1alpha1', schema: FileStore }],
      getComponentVersion: ({ repository, name, version }) => readDescriptor(repository, name, version),
      async listComponentVersions({ repository, name }) {
        const dir = join(root(repository), 'components', encodeURIComponent(name));
        const entries = await readdir(dir).catch(() => [] as string[]);
        return entries.filter((v) => !v.startsWith('.')).map(decodeURIComponent).sort();
      },
      async getLocalResource(req, ctx) {
        const { location, element } = await localElement('resources', req, ctx);
        return { location, resource: element };
      },
      async getLocalSource(req, ctx) {
        const { location, element } = await localElement('sources', req, ctx);
        return { location, source: element };
      },
      async addComponentVersion({ repository, descriptor }) {
        const component = descriptor.component as { name?: unknown; version?: unknown } | undefined;
        if (typeof component?.name !== 'string' || typeof component.version !== 'string') throw new PluginError(400, 'descriptor.component needs a name and a version');
        const dir = cvDir(repository, component.name, component.version);
        await mkdir(dir, { recursive: true });
        await writeAtomic(join(dir, 'descriptor.json'), JSON.stringify(descriptor));
      },
      async addLocalResource({ repository, resourceLocation, resource }, ctx) {
        const ref = await storeBlob(repository, resourceLocation, ctx.signal);
        return { ...resource, access: { type: 'localBlob/v1', localReference: ref, mediaType: resourceLocation.mediaType ?? 'application/octet-stream' } };
      },
      async addLocalSource({ repository, sourceLocation, source }, ctx) {
        const ref = await storeBlob(repository, sourceLocation, ctx.signal);
        return { ...source, access: { type: 'localBlob/v1', localReference: ref, mediaType: sourceLocation.mediaType ?? 'application/octet-stream' } };
      },
      async checkHealth({ repository }) {
        await readdir(root(repository)).catch(() => {
          throw new PluginError(500, `file store ${root(repository)} is not a readable directory`);
        });
      },
    },
    componentLister: {
      types: [{ type: 'FileStore/v1alpha1', schema: FileStore }],
      async listComponents({ repository, last }) {
        const names = (await readdir(join(root(repository), 'components')).catch(() => [] as string[]))
          .filter((n) => !n.startsWith('.')).map(decodeURIComponent).sort();
        const rest = last ? names.filter((n) => n > last) : names;
        const list = rest.slice(0, PAGE_SIZE);
        return rest.length > PAGE_SIZE ? { list, last: list[list.length - 1]! } : { list };
      },
    },
  },
});
