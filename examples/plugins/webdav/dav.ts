/**
 * A small WebDAV client for ocm-plugin-webdav on node:http(s): streamed bodies, Basic auth sent
 * only to the store's own origin (redirects are not followed), bounded metadata reads, PROPFIND
 * Depth 1 listings, collections created level by level (MKCOL), and PUT-to-temp + MOVE so a
 * reader never sees half a file.
 */
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PluginError, type Identity } from 'ocm-ts/plugin';

/** Bounds on what we read into memory: descriptors, listings and error texts, never blobs. */
export const MAX_METADATA_BYTES = 16 * 1024 * 1024;
const MAX_ERROR_BYTES = 4 * 1024;

const httpAgent = new HttpAgent({ keepAlive: true });
const httpsAgent = new HttpsAgent({ keepAlive: true });

export interface DavOptions {
  signal: AbortSignal;
  credentials: Record<string, string> | undefined;
}

/** The store: its base URL (ending in `/`) and how paths below it are spelled. */
export class DavStore {
  readonly base: URL;
  readonly #known = new Set<string>();

  constructor(url: string) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new PluginError(400, `WebDAV url ${JSON.stringify(url)} is not a URL (expected e.g. https://dav.example.org/ocm/)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new PluginError(400, `WebDAV url ${url}: only http and https are supported`);
    // Credentials in a URL end up in logs and error texts: they belong in the credential graph.
    if (u.username || u.password) throw new PluginError(400, `WebDAV url for ${u.host}: remove the user:password part; give credentials for the consumer {type: WebDAV, hostname: ${u.hostname}} instead`);
    if (u.search || u.hash) throw new PluginError(400, `WebDAV url ${u.origin}${u.pathname}: no query or fragment allowed`);
    if (!u.pathname.endsWith('/')) u.pathname += '/';
    this.base = u;
  }

  /** Consumer identity, built like Go's Wget/OCIRegistry ones: hostname, scheme, port only if explicit, path without slashes. */
  identity(): Identity {
    const path = this.base.pathname.replace(/^\/+|\/+$/g, '');
    return {
      type: 'WebDAV',
      hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
      scheme: this.base.protocol.slice(0, -1),
      ...(this.base.port ? { port: this.base.port } : {}),
      ...(path ? { path } : {}),
    };
  }

  /** URL of `segments` (resource names, URL-escaped here) below the base; `dir` adds a trailing `/`. */
  url(segments: readonly string[], dir = false): URL {
    return new URL(segments.map(encodeURIComponent).join('/') + (dir && segments.length ? '/' : ''), this.base);
  }

  where(): string {
    return `${this.base.origin}${this.base.pathname}`;
  }

  /** One request; resolves with the response once its head arrived (the body still to read). */
  send(method: string, target: URL, o: DavOptions & { headers?: OutgoingHttpHeaders; body?: Readable | string }): Promise<IncomingMessage> {
    const headers: OutgoingHttpHeaders = { ...o.headers };
    const user = o.credentials?.username;
    const pass = o.credentials?.password;
    if (user !== undefined && pass !== undefined) headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    if (typeof o.body === 'string') headers['content-length'] = Buffer.byteLength(o.body);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(target, { method, headers, agent: target.protocol === 'https:' ? httpsAgent : httpAgent, signal: o.signal }, resolve);
      req.on('error', (e) => reject(o.signal.aborted ? e : new PluginError(502, `WebDAV ${method} ${target.pathname} on ${target.host}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
      if (o.body === undefined || typeof o.body === 'string') req.end(o.body);
      // An early answer (401, 507) ends the upload; the status then tells what happened.
      else pipeline(o.body, req).catch(() => undefined);
    });
  }

  /** A request whose status must be one of `ok`; anything else becomes a PluginError naming the server's status. */
  async expect(method: string, target: URL, ok: readonly number[], o: DavOptions & { headers?: OutgoingHttpHeaders; body?: Readable | string }): Promise<IncomingMessage> {
    const res = await this.send(method, target, o);
    if (ok.includes(res.statusCode ?? 0)) return res;
    const text = (await readBounded(res, MAX_ERROR_BYTES, true)).toString('utf8');
    throw this.failure(method, target, res.statusCode ?? 0, text, o.credentials);
  }

  failure(method: string, target: URL, status: number, body: string, credentials: Record<string, string> | undefined): PluginError {
    const what = `WebDAV ${method} ${decodeURIComponent(target.pathname)} on ${target.host}`;
    const id = JSON.stringify(this.identity());
    if (status === 401) {
      return new PluginError(401, credentials?.username !== undefined
        ? `${what}: 401 Unauthorized: the server rejected the credentials for consumer ${id}`
        : `${what}: 401 Unauthorized: no credentials for consumer ${id}; add them to the credential configuration`);
    }
    if (status === 403) return new PluginError(403, `${what}: 403 Forbidden: the credentials for consumer ${id} may not do this`);
    const title = /<title>([^<]{1,200})<\/title>/i.exec(body)?.[1] ?? body.replace(/\s+/g, ' ').trim().slice(0, 200);
    return new PluginError(status === 404 ? 404 : 502, `${what}: status ${status}${title ? ` (${title})` : ''}`);
  }

  /** Makes the collections `segments[0..i]` for every i (205/201 made, 405 there already). */
  async mkcols(segments: readonly string[], o: DavOptions): Promise<void> {
    // The base collection too (a fresh store): each level of its path, once per process.
    const levels = this.base.pathname.split('/').filter((x) => x !== '');
    for (let i = 1; i <= levels.length; i++) {
      const target = new URL(`/${levels.slice(0, i).join('/')}/`, this.base);
      if (this.#known.has(target.href)) continue;
      await this.expect('MKCOL', target, [201, 405], o).then(drain);
      this.#known.add(target.href);
    }
    for (let i = 1; i <= segments.length; i++) {
      const target = this.url(segments.slice(0, i), true);
      if (this.#known.has(target.href)) continue;
      await this.expect('MKCOL', target, [201, 405], o).then(drain);
      this.#known.add(target.href);
    }
  }

  /**
   * Writes `body` atomically: PUT to a temp resource in `tmpDir`, then MOVE it to the path `target()`
   * names — called after the upload, so it may depend on what was sent (a digest) or refuse it
   * (throw); the temp resource is then deleted.
   */
  async putAtomicTo(tmpDir: readonly string[], body: Readable | string, size: number | undefined, o: DavOptions, target: () => readonly string[]): Promise<void> {
    await this.mkcols(tmpDir, o);
    const tmp = this.url([...tmpDir, `.upload-${process.pid}-${randomBytes(8).toString('hex')}`]);
    const headers: OutgoingHttpHeaders = { 'content-type': 'application/octet-stream', ...(size !== undefined && typeof body !== 'string' ? { 'content-length': size } : {}) };
    try {
      await this.expect('PUT', tmp, [200, 201, 204], { ...o, headers, body }).then(drain);
      const segments = target();
      await this.mkcols(segments.slice(0, -1), o);
      await this.expect('MOVE', tmp, [201, 204], { ...o, headers: { destination: this.url(segments).href, overwrite: 'T' } }).then(drain);
    } catch (e) {
      await this.send('DELETE', tmp, { ...o, signal: AbortSignal.timeout(10_000) }).then(drain, () => undefined);
      throw e;
    }
  }

  /** Child resource names of a collection (PROPFIND Depth 1); `undefined` when it does not exist. */
  async children(segments: readonly string[], o: DavOptions): Promise<{ name: string; collection: boolean }[] | undefined> {
    const target = this.url(segments, true);
    const body = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>';
    const res = await this.expect('PROPFIND', target, [207, 404], { ...o, headers: { depth: '1', 'content-type': 'application/xml; charset=utf-8' }, body });
    if (res.statusCode === 404) return drain(res).then(() => undefined);
    const xml = (await readBounded(res, MAX_METADATA_BYTES)).toString('utf8');
    return parseMultistatus(xml, target);
  }
}

/** `<response>` blocks of a multistatus → the direct children of `self` (names URL-unescaped once). */
export function parseMultistatus(xml: string, self: URL): { name: string; collection: boolean }[] {
  const out: { name: string; collection: boolean }[] = [];
  const selfPath = self.pathname.replace(/\/+$/, '');
  for (const m of xml.matchAll(/<(?:[\w.-]+:)?response\b[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?response>/g)) {
    const href = /<(?:[\w.-]+:)?href\b[^>]*>([^<]*)<\/(?:[\w.-]+:)?href>/.exec(m[1]!)?.[1];
    if (href === undefined) continue;
    const path = new URL(unescapeXml(href.trim()), self).pathname.replace(/\/+$/, '');
    if (path === selfPath || !path.startsWith(`${selfPath}/`)) continue;
    const rest = path.slice(selfPath.length + 1);
    if (rest.includes('/')) continue;
    let name: string;
    try {
      name = decodeURIComponent(rest);
    } catch {
      continue;
    }
    out.push({ name, collection: /<(?:[\w.-]+:)?collection\s*\/>/.test(m[1]!) });
  }
  return out;
}

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
    e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : e === 'amp' ? '&' : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)));
}

/** Reads a body up to `limit` bytes; over it: an error, or (with `truncate`) the first `limit` bytes. */
export async function readBounded(res: IncomingMessage, limit: number, truncate = false): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.destroy();
      if (truncate) break;
      throw new PluginError(502, `WebDAV answer exceeds ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

export function drain(res: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (res.readableEnded) return resolve();
    res.on('end', resolve).on('error', () => resolve()).on('close', resolve);
    res.resume();
  });
}
