/**
 * The endpoint table of spec §3.5, built from the author's handlers. Endpoints several capabilities
 * share in one binary (`/identity`, `/consumer-identity`, `/resolve`) dispatch on the spec's type or
 * on the body's shape, so a multi-capability binary serves them all (Go's mux would clash).
 */
import type { IncomingMessage } from 'node:http';
import { TypeIndex } from './capabilities.js';
import type { CallContext, Identity, Json, Location, PluginDefinition } from './contracts.js';
import { PluginError, asObject, decodeBase64Json, readJsonBody, typedCredentials } from './wire.js';

export interface Route {
  readonly method: 'GET' | 'POST';
  /** Returns the JSON answer (`undefined` → empty 200). */
  handle(req: IncomingMessage, url: URL, ctx: CallContext): Promise<unknown>;
}

type Body = Record<string, unknown>;

const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v === '') throw new PluginError(400, `invalid request: ${what} is required`);
  return v;
};
const obj = (v: unknown, what: string): Json => {
  if (v === undefined || v === null) throw new PluginError(400, `invalid request: ${what} is required`);
  return asObject(v, what);
};
const identityMap = (v: unknown, what: string): Identity => {
  const o = obj(v, what);
  for (const [k, x] of Object.entries(o)) if (typeof x !== 'string') throw new PluginError(400, `invalid request: ${what}.${k} must be a string`);
  return o as Identity;
};
const location = (v: unknown, what: string): Location => {
  const o = obj(v, what);
  str(o.type, `${what}.type`);
  str(o.value, `${what}.value`);
  return o as unknown as Location;
};
const query = (url: URL, key: string): string => {
  const v = url.searchParams.get(key);
  if (!v) throw new PluginError(400, `invalid request: query parameter ${key} is required`);
  return v;
};

export function buildRoutes(def: PluginDefinition): Map<string, Route> {
  const caps = def.capabilities;
  const routes = new Map<string, Route>();
  const limit = def.maxBodyBytes;
  const body = async (req: IncomingMessage): Promise<Body> => asObject(await readJsonBody(req, limit), 'body');
  const post = (path: string, fn: (b: Body, ctx: CallContext) => Promise<unknown> | unknown) =>
    routes.set(path, { method: 'POST', handle: async (req, _u, ctx) => fn(await body(req), ctx) });
  const get = (path: string, fn: (url: URL, ctx: CallContext) => Promise<unknown> | unknown) =>
    routes.set(path, { method: 'GET', handle: async (_r, url, ctx) => fn(url, ctx) });

  // `/identity` candidates: each capability with an identity handler, tried in declaration order.
  // Without an identity handler a type needs no credentials: `{"identity":{}}`.
  const identityServers: { index: TypeIndex; own: boolean; identity: (spec: Json, ctx: CallContext) => unknown }[] = [];
  const withIdentity = (c: { identity?: (s: any, ctx: CallContext) => unknown }, index: TypeIndex) => {
    identityServers.push({ index, own: !!c.identity, identity: c.identity ? c.identity.bind(c) : () => ({}) });
  };

  const cvr = caps.componentVersionRepository;
  if (cvr) {
    const idx = new TypeIndex(cvr.types);
    withIdentity(cvr, idx);
    // Our gap fix: the host sends the repository spec base64url-encoded; Go hosts do not.
    const repoOf = (url: URL) => {
      const raw = url.searchParams.get('repository');
      return raw ? idx.check(decodeBase64Json(raw, 'repository'), 'repository') : undefined;
    };
    const idOf = (url: URL) => identityMap(decodeBase64Json(query(url, 'identity'), 'identity'), 'identity');
    get('/component-version/download', (url, ctx) => cvr.getComponentVersion({ repository: repoOf(url), name: query(url, 'name'), version: query(url, 'version') }, ctx));
    get('/component-versions', (url, ctx) => cvr.listComponentVersions({ repository: repoOf(url), name: query(url, 'name') }, ctx));
    get('/local-resource/download', (url, ctx) => cvr.getLocalResource({ repository: repoOf(url), name: query(url, 'name'), version: query(url, 'version'), identity: idOf(url) }, ctx));
    if (cvr.getLocalSource) {
      const h = cvr.getLocalSource.bind(cvr);
      get('/local-source/download', (url, ctx) => h({ repository: repoOf(url), name: query(url, 'name'), version: query(url, 'version'), identity: idOf(url) }, ctx));
    }
    post('/component-version/upload', async (b, ctx) => {
      await cvr.addComponentVersion({ repository: idx.check(b.repository, 'repository'), descriptor: obj(b.descriptor, 'descriptor') }, ctx);
      return undefined;
    });
    post('/local-resource/upload', (b, ctx) => cvr.addLocalResource({
      repository: idx.check(b.repository, 'repository'), name: str(b.name, 'name'), version: str(b.version, 'version'),
      resourceLocation: location(b.resourceLocation, 'resourceLocation'), resource: obj(b.resource, 'resource'),
    }, ctx));
    if (cvr.addLocalSource) {
      const h = cvr.addLocalSource.bind(cvr);
      post('/local-source/upload', (b, ctx) => h({
        repository: idx.check(b.repository, 'repository'), name: str(b.name, 'name'), version: str(b.version, 'version'),
        sourceLocation: location(b.sourceLocation, 'sourceLocation'), source: obj(b.source, 'source'),
      }, ctx));
    }
    if (cvr.checkHealth) {
      const h = cvr.checkHealth.bind(cvr);
      post('/component-version/check-health', async (b, ctx) => {
        await h({ repository: idx.check(b.repository, 'repository') }, ctx);
        return undefined;
      });
    }
  }

  const lister = caps.componentLister;
  if (lister) {
    const idx = new TypeIndex(lister.types);
    withIdentity(lister, idx);
    post('/components/list', async (b, ctx) => {
      const last = b.last === undefined || b.last === null || b.last === '' ? undefined : str(b.last, 'last');
      const page = await lister.listComponents({ repository: idx.check(b.repository, 'repository'), last }, ctx);
      return page.last ? { list: page.list, header: { last: page.last } } : { list: page.list };
    });
  }

  // credentialRepository bodies carry `config`, credentialPlugin bodies `credential` / only `identity`.
  const credRepo = caps.credentialRepository;
  const credPlugin = caps.credentialPlugin;
  const repoIdx = credRepo && new TypeIndex(credRepo.types);
  const pluginIdx = credPlugin && new TypeIndex(credPlugin.types);
  if (credRepo || credPlugin) {
    post('/consumer-identity', async (b, ctx) => {
      if (credRepo && repoIdx && b.config !== undefined) return credRepo.consumerIdentity({ config: repoIdx.check(b.config, 'config') }, ctx);
      if (credPlugin && pluginIdx && b.credential !== undefined) return credPlugin.consumerIdentity({ credential: pluginIdx.check(b.credential, 'credential') }, ctx);
      throw new PluginError(400, `invalid request: ${credRepo ? 'config' : 'credential'} is required`);
    });
    post('/resolve', async (b, ctx) => {
      const identity = identityMap(b.identity, 'identity');
      if (credRepo && repoIdx && b.config !== undefined) {
        return typedCredentials(await credRepo.resolve({ config: repoIdx.check(b.config, 'config'), identity }, ctx));
      }
      if (!credPlugin) throw new PluginError(400, 'invalid request: config is required');
      return typedCredentials(await credPlugin.resolve({ identity }, ctx));
    });
  }

  const input = caps.inputRepository;
  if (input) {
    const idx = new TypeIndex(input.types);
    withIdentity(input, idx);
    post('/resource/process', (b, ctx) => {
      const resource = obj(b.resource, 'resource');
      idx.check(resource.input, 'resource.input');
      return input.processResource({ resource: resource as Json & { input: Json } }, ctx);
    });
    if (input.processSource) {
      const h = input.processSource.bind(input);
      post('/source/process', (b, ctx) => {
        const source = obj(b.source, 'source');
        idx.check(source.input, 'source.input');
        return h({ source: source as Json & { input: Json } }, ctx);
      });
    }
  }

  const digest = caps.digestProcessorRepository;
  if (digest) {
    const idx = new TypeIndex(digest.types);
    withIdentity(digest, idx);
    post('/resource/digest/process', async (b, ctx) => {
      const resource = obj(b.resource, 'resource');
      idx.check(resource.access, 'resource.access');
      return { resource: await digest.processResourceDigest({ resource: resource as Json & { access: Json } }, ctx) };
    });
  }

  const resources = caps.resourceRepository;
  if (resources) {
    const idx = new TypeIndex(resources.types);
    withIdentity(resources, idx);
    post('/resource/get', async (b, ctx) => {
      const resource = obj(b.resource, 'resource');
      idx.check(resource.access, 'resource.access');
      return { location: await resources.getResource({ resource: resource as Json & { access: Json } }, ctx) };
    });
    if (resources.addResource) {
      const h = resources.addResource.bind(resources);
      post('/resource/add', async (b, ctx) => ({
        resource: await h({ resourceLocation: location(b.resourceLocation, 'resourceLocation'), resource: obj(b.resource, 'resource') }, ctx),
      }));
    }
  }

  const signing = caps.signingHandler;
  if (signing) {
    const idx = new TypeIndex(signing.types);
    const digestOf = (v: unknown) => {
      const d = obj(v, 'digest');
      return { hashAlgorithm: str(d.hashAlgorithm, 'digest.hashAlgorithm'), normalisationAlgorithm: str(d.normalisationAlgorithm, 'digest.normalisationAlgorithm'), value: str(d.value, 'digest.value') };
    };
    const signatureOf = (v: unknown) => {
      const s = obj(v, 'signature');
      obj(s.signature, 'signature.signature');
      return { ...s, digest: digestOf(s.digest) } as never;
    };
    post('/sign/identity', async (b, ctx) => ({
      identity: await signing.signIdentity({ digest: digestOf(b.digest), config: idx.check(b.config, 'config'), name: typeof b.name === 'string' ? b.name : '' }, ctx),
    }));
    post('/verify/identity', async (b, ctx) => ({
      identity: await signing.verifyIdentity({ signature: signatureOf(b.signature), config: idx.check(b.config, 'config') }, ctx),
    }));
    post('/sign', async (b, ctx) => ({
      signature: await signing.sign({ digest: digestOf(b.digest), config: idx.check(b.config, 'config'), ...(typeof b.name === 'string' ? { name: b.name } : {}) }, ctx),
    }));
    post('/verify', async (b, ctx) => {
      await signing.verify({ signature: signatureOf(b.signature), config: idx.check(b.config, 'config') }, ctx);
      return {};
    });
  }

  const transformer = caps.blobTransformer;
  if (transformer) {
    const idx = new TypeIndex(transformer.types);
    withIdentity(transformer, idx);
    post('/blob/transform', async (b, ctx) => ({
      location: await transformer.transform({ location: location(b.location, 'location'), specification: idx.check(b.specification, 'specification') }, ctx),
    }));
  }

  if (identityServers.length) {
    post('/identity', async (b, ctx) => {
      const spec = obj(b.type, 'type');
      const type = typeof spec.type === 'string' ? spec.type : '';
      // Several capabilities may serve one type (resource + digest processor): the first with a handler answers.
      const server = identityServers.find((s) => s.own && s.index.has(type)) ?? identityServers.find((s) => s.index.has(type)) ?? identityServers[0]!;
      const checked = server.index.check(spec, 'type');
      return { identity: await server.identity(checked, ctx) };
    });
  }
  return routes;
}
