/**
 * Test-only misbehaving OCI registry, for faults a real registry cannot produce (HTML where a
 * manifest belongs, wrong digest headers, endless or looping pagination, upload Locations on other
 * origins, broken token endpoints). One server serves many scenarios: the first path segment of
 * the repository name picks the scenario (`/v2/<scenario>/component-descriptors/...`), and a
 * scenario's handler may answer a request itself or leave it to the default behaviour — a small
 * in-memory registry that serves the CTFs it was seeded with and accepts uploads.
 */
import { randomUUID, createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { listenOnLoopback } from './loopback.js';

export type RouteKind = 'ping' | 'manifest' | 'blob' | 'upload' | 'tags' | 'token' | 'other';

export interface Route {
  kind: RouteKind;
  /** First segment of the repository name (or of the token path). */
  scenario: string;
  /** The repository name after the scenario segment. */
  name: string;
  /** Tag or digest (manifests), digest (blobs), session id (uploads). */
  ref?: string;
  url: URL;
}

/** Answers the request itself (returns true or nothing) or returns false for the default behaviour. */
export type ScenarioHandler = (req: IncomingMessage, res: ServerResponse, route: Route, registry: MisbehavingRegistry) => boolean | void | Promise<boolean | void>;

export interface RecordedRequest {
  method: string;
  path: string;
  scenario: string;
  authorization?: string;
}

export interface MisbehavingRegistry {
  url: string;
  host: string;
  port: number;
  requests: RecordedRequest[];
  /** Registers the handler of one scenario. */
  on(scenario: string, handler: ScenarioHandler): void;
  /** Serves a CTF directory's artifacts under every scenario (`<scenario>/<artifact repository>`). */
  seed(ctfDir: string): Promise<void>;
  /** The requests one scenario received. */
  requestsOf(scenario: string): RecordedRequest[];
  /** A manifest or blob as the default behaviour serves it. */
  content(digest: string): { mediaType?: string; data: Buffer } | undefined;
  /** The manifest digest of `<name>:<tag>`. */
  manifestDigest(name: string, tag: string): string | undefined;
  stop(): Promise<void>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(data.length), ...headers });
  res.end(data);
}

function errorBody(code: string, message: string): unknown {
  return { errors: [{ code, message }] };
}

function route(url: URL): Route {
  const p = url.pathname;
  const base = (kind: RouteKind, repo: string, ref?: string): Route => {
    const [scenario = '', ...rest] = repo.split('/');
    return { kind, scenario, name: rest.join('/'), url, ...(ref !== undefined ? { ref } : {}) };
  };
  if (p === '/v2/' || p === '/v2') return { kind: 'ping', scenario: '', name: '', url };
  let m = /^\/token\/([^/]+)/.exec(p);
  if (m) return { kind: 'token', scenario: m[1]!, name: '', url };
  m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(p);
  if (m) return base('manifest', m[1]!, decodeURIComponent(m[2]!));
  m = /^\/v2\/(.+)\/blobs\/uploads\/?([^/]*)$/.exec(p);
  if (m) return base('upload', m[1]!, m[2] || undefined);
  m = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(p);
  if (m) return base('blob', m[1]!, decodeURIComponent(m[2]!));
  m = /^\/v2\/(.+)\/tags\/list$/.exec(p);
  if (m) return base('tags', m[1]!);
  const [, scenario = ''] = p.split('/');
  return { kind: 'other', scenario, name: '', url };
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startMisbehavingRegistry(): Promise<MisbehavingRegistry> {
  const handlers = new Map<string, ScenarioHandler>();
  const blobs = new Map<string, { mediaType?: string; data: Buffer }>();
  /** `<name>:<tag>` → manifest digest */
  const tags = new Map<string, string>();
  const uploads = new Map<string, Buffer[]>();
  const requests: RecordedRequest[] = [];

  async function fallback(req: IncomingMessage, res: ServerResponse, r: Route): Promise<void> {
    const head = req.method === 'HEAD';
    const serve = (item: { mediaType?: string; data: Buffer }, digest: string) => {
      res.writeHead(200, { 'content-type': item.mediaType ?? 'application/octet-stream', 'content-length': String(item.data.length), 'docker-content-digest': digest });
      res.end(head ? undefined : item.data);
    };
    switch (r.kind) {
      case 'ping':
        return sendJson(res, 200, {});
      case 'manifest': {
        if (req.method === 'PUT') {
          const data = await body(req);
          const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
          blobs.set(digest, { mediaType: req.headers['content-type'] ?? 'application/vnd.oci.image.manifest.v1+json', data });
          if (!r.ref!.includes(':')) tags.set(`${r.name}:${r.ref}`, digest);
          res.writeHead(201, { location: `/v2/${r.scenario}/${r.name}/manifests/${digest}`, 'docker-content-digest': digest });
          return void res.end();
        }
        const digest = r.ref!.includes(':') ? r.ref! : tags.get(`${r.name}:${r.ref}`);
        const item = digest ? blobs.get(digest) : undefined;
        if (!item || !digest) return head ? void res.writeHead(404).end() : sendJson(res, 404, errorBody('MANIFEST_UNKNOWN', 'manifest unknown'));
        return serve(item, digest);
      }
      case 'blob': {
        const item = blobs.get(r.ref!);
        if (!item) return head ? void res.writeHead(404).end() : sendJson(res, 404, errorBody('BLOB_UNKNOWN', 'blob unknown'));
        return serve({ data: item.data }, r.ref!);
      }
      case 'upload': {
        const data = await body(req);
        if (req.method === 'POST') {
          const id = randomUUID();
          uploads.set(id, []);
          res.writeHead(202, { location: `/v2/${r.scenario}/${r.name}/blobs/uploads/${id}`, range: '0-0', 'docker-upload-uuid': id, 'content-length': '0' });
          return void res.end();
        }
        const parts = r.ref ? uploads.get(r.ref) : undefined;
        if (!parts) return sendJson(res, 404, errorBody('BLOB_UPLOAD_UNKNOWN', 'upload unknown'));
        parts.push(data);
        const size = parts.reduce((n, b) => n + b.length, 0);
        if (req.method === 'PATCH') {
          res.writeHead(202, { location: `/v2/${r.scenario}/${r.name}/blobs/uploads/${r.ref}`, range: `0-${Math.max(0, size - 1)}`, 'content-length': '0' });
          return void res.end();
        }
        if (req.method === 'PUT') {
          const all = Buffer.concat(parts);
          const digest = `sha256:${createHash('sha256').update(all).digest('hex')}`;
          if (digest !== r.url.searchParams.get('digest')) return sendJson(res, 400, errorBody('DIGEST_INVALID', 'digest does not match'));
          blobs.set(digest, { data: all });
          uploads.delete(r.ref!);
          res.writeHead(201, { location: `/v2/${r.scenario}/${r.name}/blobs/${digest}`, 'docker-content-digest': digest, 'content-length': '0' });
          return void res.end();
        }
        uploads.delete(r.ref!);
        return void res.writeHead(204).end();
      }
      case 'tags': {
        const list = [...tags.keys()].filter((k) => k.startsWith(`${r.name}:`)).map((k) => k.slice(r.name.length + 1));
        if (list.length === 0) return sendJson(res, 404, errorBody('NAME_UNKNOWN', 'repository name not known'));
        return sendJson(res, 200, { name: `${r.scenario}/${r.name}`, tags: list });
      }
      default:
        return sendJson(res, 404, errorBody('NOT_FOUND', 'no such endpoint'));
    }
  }

  const registry: MisbehavingRegistry = {} as MisbehavingRegistry;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const r = route(url);
    requests.push({ method: req.method ?? '', path: url.pathname + url.search, scenario: r.scenario, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    void (async () => {
      const handler = handlers.get(r.scenario);
      const handled = handler ? await handler(req, res, r, registry) : false;
      if (handled === false) await fallback(req, res, r);
    })().catch(() => res.socket?.destroy());
  });
  const port = await listenOnLoopback(server);
  Object.assign(registry, {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    requests,
    on(scenario: string, handler: ScenarioHandler) {
      handlers.set(scenario, handler);
    },
    async seed(ctfDir: string) {
      const index = JSON.parse(await readFile(join(ctfDir, 'artifact-index.json'), 'utf8')) as { artifacts: { repository: string; tag?: string; digest: string }[] };
      for (const f of await readdir(join(ctfDir, 'blobs'))) {
        blobs.set(f.replace('.', ':'), { data: await readFile(join(ctfDir, 'blobs', f)) });
      }
      for (const a of index.artifacts) {
        const m = blobs.get(a.digest);
        if (m) m.mediaType = (JSON.parse(m.data.toString('utf8')) as { mediaType?: string }).mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
        if (a.tag) tags.set(`${a.repository}:${a.tag}`, a.digest);
      }
    },
    requestsOf: (scenario: string) => requests.filter((q) => q.scenario === scenario),
    content: (digest: string) => blobs.get(digest),
    manifestDigest: (name: string, tag: string) => tags.get(`${name}:${tag}`),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return registry;
}
