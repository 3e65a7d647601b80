/**
 * One `RegistryClient` per (connector, upstream, hash of the resolved credentials). Credentials are
 * resolved from the session on every request, so a rotated secret is used on the next request and
 * gets a fresh client — and with it a fresh token cache (a token from the old secret is never
 * reused). Clients of superseded credentials are closed after a grace period (requests in flight
 * keep theirs). Token requests are counted for `/metrics` by observing the client's transport.
 */
import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { Credentials } from '../runtime/credentials-types.js';
import type { Logger } from '../runtime/logger.js';
import type { Session } from '../session/session.js';
import { RegistryClient } from '../oci/remote/client.js';
import { FastGet } from '../oci/remote/fast-get.js';
import type { RetryPolicy } from '../oci/remote/http.js';
import type { ProxyMetrics } from './metrics.js';
import type { Connector } from './types.js';

export interface UpstreamOptions {
  session: Session;
  metrics: ProxyMetrics;
  logger?: Logger;
  retry?: Partial<RetryPolicy>;
  /** Upstream connections per origin and credential set (default 256). */
  connections?: number;
  /** How long a superseded client stays open for requests in flight (default 10 min). */
  retireAfterMs?: number;
}

export interface Upstream {
  client: RegistryClient;
  /** Whether the upstream's auth scheme has been learnt (a streamed body cannot answer a 401 itself). */
  primed: boolean;
  /** The socket fast path for blob GETs (512 KiB reads), closed with the client. */
  fastGet?: FastGet;
}

interface Entry extends Upstream {
  connector: string;
  key: string;
  dispatcher: Dispatcher;
}

export class UpstreamPool {
  readonly #entries = new Map<string, Entry>();
  readonly #options: UpstreamOptions;
  readonly #retired = new Map<NodeJS.Timeout, Entry>();

  constructor(options: UpstreamOptions) {
    this.#options = options;
  }

  /** The client for a connector with its current credentials (resolved now). */
  async get(connector: Connector, signal?: AbortSignal): Promise<Upstream> {
    const creds = connector.upstreamIdentity ? await this.#options.session.credentials.resolve(connector.upstreamIdentity, { signal }) : undefined;
    const key = `${connector.name}\n${connector.upstream.scheme}://${connector.upstream.host}\n${fingerprint(creds)}`;
    const found = this.#entries.get(key);
    if (found) return found;
    // The OCI client's default pool (16 connections per origin) would queue the 17th concurrent
    // blob behind whole transfers; a proxy relays many at once. Loaded here: only `proxy serve` pays.
    // Through `default` (module.exports): the CLI bundle's split chunk of a CommonJS package exports
    // nothing else (esbuild #3245), while Node also derives named exports; `default` works in both.
    const { Agent } = (await import('undici')).default;
    const again = this.#entries.get(key);
    if (again) return again;
    const dispatcher = new Agent({ connections: this.#options.connections ?? 256, keepAliveTimeout: 10_000, pipelining: 1 });
    const entry: Entry = { client: this.#create(connector, creds, dispatcher), primed: false, fastGet: new FastGet(), connector: connector.name, key, dispatcher };
    for (const old of this.#entries.values()) if (old.connector === connector.name) this.#retire(old);
    this.#entries.set(key, entry);
    return entry;
  }

  #create(connector: Connector, creds: Credentials | undefined, dispatcher: Dispatcher): RegistryClient {
    const credentials = Object.assign(async () => creds, connector.upstreamIdentity ? { identity: connector.upstreamIdentity } : {});
    const client = new RegistryClient({
      credentials,
      // The proxy uses its own FastGet (one per entry, see forward.ts), not the repository API's.
      fastBlobGet: false,
      dispatcher,
      retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2_000, maxElapsedMs: 10_000, ...this.#options.retry },
      logger: this.#options.logger,
    });
    const upstreamOrigin = `${connector.upstream.scheme}://${connector.upstream.host}`;
    const metrics = this.#options.metrics;
    const send = client.transport.send.bind(client.transport);
    // Anything the client sends that is not a /v2/ request to the upstream is a token request (a cache miss).
    client.transport.send = (req) => {
      let u: URL | undefined;
      try {
        u = new URL(req.url);
      } catch {
        /* the transport reports it */
      }
      if (u && (u.origin !== upstreamOrigin || !u.pathname.startsWith('/v2/'))) metrics.token(connector.name, false);
      else if (/^bearer /i.test(req.headers?.authorization ?? '')) metrics.token(connector.name, true);
      return send(req);
    };
    return client;
  }

  #retire(entry: Entry): void {
    this.#entries.delete(entry.key);
    const t = setTimeout(() => {
      this.#retired.delete(t);
      void closeEntry(entry, false);
    }, this.#options.retireAfterMs ?? 600_000);
    t.unref();
    this.#retired.set(t, entry);
  }

  async close(): Promise<void> {
    for (const t of this.#retired.keys()) clearTimeout(t);
    const all = [...this.#entries.values(), ...this.#retired.values()];
    this.#retired.clear();
    await Promise.all(all.map((e) => closeEntry(e, true)));
    this.#entries.clear();
  }
}

/** A retired client finishes what it carries (close); at shutdown everything in flight was already aborted (destroy). */
async function closeEntry(e: Entry, hard: boolean): Promise<void> {
  e.fastGet?.close();
  await e.client.close().catch(() => undefined);
  await (hard ? e.dispatcher.destroy() : e.dispatcher.close()).catch(() => undefined);
}

/** A hash of the credential values: equal credentials share a client, and nothing secret is kept in a key. */
function fingerprint(creds: Credentials | undefined): string {
  if (!creds) return 'anonymous';
  const sorted = Object.keys(creds)
    .sort()
    .map((k) => [k, creds[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}
