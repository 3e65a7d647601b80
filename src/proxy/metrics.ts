/**
 * Prometheus text exposition (format 0.0.4) for the proxy: request counts, bytes each way, upstream
 * latency as a histogram and upstream token requests (cache misses). Label values are connector
 * names, methods and statuses only — never repositories (unbounded) and never anything secret.
 */

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labels = (l: Record<string, string>): string =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(',')}}`;

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export class ProxyMetrics {
  readonly #requests = new Map<string, number>();
  readonly #bytes = new Map<string, number>();
  readonly #upstream = new Map<string, Histogram>();
  readonly #tokens = new Map<string, number>();
  #inFlight = 0;

  request(connector: string, method: string, status: number): void {
    const k = labels({ connector, method, status: String(status) });
    this.#requests.set(k, (this.#requests.get(k) ?? 0) + 1);
  }

  bytes(connector: string, direction: 'in' | 'out', n: number): void {
    if (n <= 0) return;
    const k = labels({ connector, direction });
    this.#bytes.set(k, (this.#bytes.get(k) ?? 0) + n);
  }

  /** Time to the upstream's response headers, in seconds. */
  upstreamSeconds(connector: string, seconds: number): void {
    const k = labels({ connector });
    let h = this.#upstream.get(k);
    if (!h) this.#upstream.set(k, (h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.counts[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  /** An upstream request answered from the token cache (`hit`) or needing a token request (`miss`). */
  token(connector: string, hit: boolean): void {
    const k = `${hit ? 'hit' : 'miss'}${labels({ connector })}`;
    this.#tokens.set(k, (this.#tokens.get(k) ?? 0) + 1);
  }

  inFlight(delta: number): void {
    this.#inFlight += delta;
  }

  render(): string {
    const out: string[] = [];
    const counter = (name: string, help: string, m: Map<string, number>, type = 'counter') => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [k, v] of m) out.push(`${name}${k} ${v}`);
    };
    counter('ocm_proxy_requests_total', 'Requests served, by connector, method and status.', this.#requests);
    counter('ocm_proxy_bytes_total', 'Body bytes relayed, by connector and direction (in = client to upstream).', this.#bytes);
    out.push('# HELP ocm_proxy_upstream_seconds Time from sending an upstream request to its response headers.', '# TYPE ocm_proxy_upstream_seconds histogram');
    for (const [k, h] of this.#upstream) {
      const inner = k.slice(1, -1);
      BUCKETS.forEach((b, i) => out.push(`ocm_proxy_upstream_seconds_bucket{${inner},le="${b}"} ${h.counts[i]}`));
      out.push(`ocm_proxy_upstream_seconds_bucket{${inner},le="+Inf"} ${h.count}`);
      out.push(`ocm_proxy_upstream_seconds_sum${k} ${h.sum}`, `ocm_proxy_upstream_seconds_count${k} ${h.count}`);
    }
    const split = (prefix: string) => new Map([...this.#tokens].filter(([k]) => k.startsWith(`${prefix}{`)).map(([k, v]) => [k.slice(prefix.length), v]));
    counter('ocm_proxy_token_cache_hits_total', 'Upstream registry requests that carried a Bearer token (each token request is counted as a miss).', split('hit'));
    counter('ocm_proxy_token_cache_misses_total', 'Upstream token requests (the token cache had no valid token for the scopes).', split('miss'));
    out.push('# HELP ocm_proxy_requests_in_flight Requests being served now.', '# TYPE ocm_proxy_requests_in_flight gauge', `ocm_proxy_requests_in_flight ${this.#inFlight}`);
    return `${out.join('\n')}\n`;
  }
}
