/**
 * Test kit for end-to-end tests of the registry proxy (`ocm proxy serve` as a child process, as
 * users run it): two real upstreams (A = docker-registry with token auth through the project's
 * token server, B = htpasswd), canary secrets to search for in every output, a `.ocmconfig`
 * holding the upstream credentials and the connectors/clients, raw HTTP calls that never follow
 * redirects, and /proc readings (peak RSS, open fds) of the proxy process.
 * Everything started here is stopped by PID in `dispose()`/`stop()`, also when a test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { ocmBin, tempDir } from './fixtures.js';
import { freePort, startRegistry, type RunningRegistry } from './registry.js';

/** A recognisable random secret: if it shows up anywhere it must not, the test names it. */
export function canary(label: string): string {
  return `canary${label}${randomBytes(12).toString('hex')}`;
}

export interface ProxyClient {
  readonly name: string;
  readonly token: string;
  /** What goes into the config (`sha256:<hex>` of the token's UTF-8 bytes). */
  readonly tokenHash: string;
}

export function makeClient(name: string): ProxyClient {
  const token = canary(`tok${name.replace(/[^a-z0-9]/g, '')}`);
  return { name, token, tokenHash: `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}` };
}

export const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
export const clientAuth = (c: ProxyClient): string => basic(c.name, c.token);

export interface AccessRuleSpec {
  clients: string[];
  repositories: string[];
  actions: ('pull' | 'push' | 'delete')[];
}

export interface ConnectorSpec {
  name: string;
  /** Upstream root, e.g. `http://127.0.0.1:5000`. */
  address: string;
  /** Credentials for the upstream's OCIRegistry identity (omitted = none configured). */
  upstream?: { username: string; password: string };
  access?: AccessRuleSpec[];
  listen?: string;
}

const q = (s: string) => JSON.stringify(s);

/** A `.ocmconfig` with upstream credentials (credential graph) and the connectors config. */
export function proxyConfigYaml(connectors: readonly ConnectorSpec[], clients: readonly ProxyClient[]): string {
  const lines = ['type: generic.config.ocm.software/v1', 'configurations:'];
  const withCreds = connectors.filter((c) => c.upstream);
  if (withCreds.length > 0) {
    lines.push('- type: credentials.config.ocm.software', '  consumers:');
    for (const c of withCreds) {
      const u = new URL(c.address);
      lines.push(
        '  - identities:',
        '    - type: OCIRegistry',
        `      hostname: ${q(u.hostname)}`,
        ...(u.port ? [`      port: ${q(u.port)}`] : []),
        '    credentials:',
        '    - type: Credentials/v1',
        '      properties:',
        `        username: ${q(c.upstream!.username)}`,
        `        password: ${q(c.upstream!.password)}`,
      );
    }
  }
  lines.push('- type: connectors.config.ocm.software/v1alpha1', '  connectors:');
  for (const c of connectors) {
    lines.push(`  - name: ${q(c.name)}`, `    address: ${q(c.address)}`, `    description: ${q(`test upstream ${c.name}`)}`);
    if (c.listen) lines.push(`    listen: ${q(c.listen)}`);
    if (c.access) {
      lines.push('    access:');
      for (const r of c.access) {
        lines.push(`    - clients: ${JSON.stringify(r.clients)}`, `      repositories: ${JSON.stringify(r.repositories)}`, `      actions: ${JSON.stringify(r.actions)}`);
      }
    }
  }
  if (clients.length > 0) {
    lines.push('  clients:');
    for (const c of clients) lines.push(`  - name: ${q(c.name)}`, `    tokenHash: ${q(c.tokenHash)}`);
  }
  return lines.join('\n') + '\n';
}

export interface ProxyProcess {
  readonly pid: number;
  /** `127.0.0.1:PORT` of the shared listener. */
  readonly host: string;
  readonly url: string;
  readonly accessLogFile: string;
  stdout(): string;
  stderr(): string;
  /** stdout + stderr + access log: everything the proxy wrote. */
  allOutput(): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return Promise.resolve();
  const pid = child.pid;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/**
 * Runs `ocm --config <config> proxy serve --listen 127.0.0.1:<free port> --access-log <file>` and
 * waits (bounded) until `/healthz` answers. Rejects with the proxy's output if it exits first.
 */
export async function startProxyCli(options: { config: string; dir: string; args?: readonly string[]; env?: NodeJS.ProcessEnv; readyMs?: number }): Promise<ProxyProcess> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const accessLogFile = join(options.dir, `access-${port}.log`);
  const child = spawn(
    process.execPath,
    [ocmBin, '--config', options.config, 'proxy', 'serve', '--listen', host, '--access-log', accessLogFile, ...(options.args ?? [])],
    { cwd: options.dir, env: { ...process.env, NO_COLOR: '1', HOME: options.dir, XDG_CONFIG_HOME: join(options.dir, '.config'), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => err.push(c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stdout = () => Buffer.concat(out).toString('utf8');
  const stderr = () => Buffer.concat(err).toString('utf8');
  const proc: ProxyProcess = {
    pid: child.pid ?? -1,
    host,
    url: `http://${host}`,
    accessLogFile,
    stdout,
    stderr,
    async allOutput() {
      const log = await readFile(accessLogFile, 'utf8').catch(() => '');
      return `${stdout()}\n${stderr()}\n${log}`;
    },
    exited,
    stop: () => stopChild(child),
  };
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + (options.readyMs ?? 15_000);
  for (;;) {
    if (gone) throw new Error(`ocm proxy serve exited during start-up:\n${stderr()}${stdout()}`);
    const status = await httpCall(`${proc.url}/healthz`, { timeoutMs: 1000 }).then((r) => r.status, () => undefined);
    if (status === 200) return proc;
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`ocm proxy serve not ready on ${host}:\n${stderr()}${stdout()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP request on loopback, no redirects followed, body bounded (default 1 MiB; larger bodies are counted, not kept). */
export function httpCall(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string; timeoutMs?: number; keepBytes?: number } = {},
): Promise<HttpResult & { bytes: number }> {
  const keep = options.keepBytes ?? 1 << 20;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (kept < keep) {
          chunks.push(c);
          kept += c.length;
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), bytes }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`timeout: ${options.method ?? 'GET'} ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Everything a response shows a client (status line, headers, body) as text, for secret searches. */
export function responseText(r: HttpResult): string {
  return `${r.status}\n${Object.entries(r.headers).map(([k, v]) => `${k}: ${String(v)}`).join('\n')}\n${r.body.toString('latin1')}`;
}

export interface ProcStats {
  /** Peak resident set (VmHWM), KiB. */
  hwmKiB: number;
  rssKiB: number;
  fds: number;
}

export function procStats(pid: number): ProcStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { hwmKiB: kib('VmHWM'), rssKiB: kib('VmRSS'), fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** Polls until `fds` of `pid` is at most `limit` (bounded); returns the last count. */
export async function settleFds(pid: number, limit: number, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = procStats(pid).fds;
    if (n <= limit || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs an external client (skopeo, podman) with a bounded runtime; output kept for assertions. */
export function runTool(cmd: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** True if `cmd` is an executable on PATH. */
export function onPath(cmd: string): boolean {
  for (const d of (process.env.PATH ?? '').split(':')) {
    try {
      accessSync(join(d, cmd), constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

export interface ProxyWorld {
  readonly dir: string;
  /** Token-auth registry (project token server); user alice with a canary password. */
  readonly a: RunningRegistry;
  /** htpasswd registry; user bob with a canary password. */
  readonly b: RunningRegistry;
  /** Every secret that must never appear in proxy output or in any response. */
  readonly secrets: string[];
  /** Writes `.ocmconfig` (mode 0600) and returns its path. */
  writeConfig(connectors: readonly ConnectorSpec[], clients: readonly ProxyClient[], name?: string): Promise<string>;
  /** Connector specs for A and B with the upstream credentials filled in. */
  connectorA(access?: AccessRuleSpec[]): ConnectorSpec;
  connectorB(access?: AccessRuleSpec[]): ConnectorSpec;
  /** Starts a proxy; it is stopped in `dispose()` if the test does not stop it. */
  startProxy(config: string, options?: { args?: readonly string[]; env?: NodeJS.ProcessEnv }): Promise<ProxyProcess>;
  dispose(): Promise<void>;
}

/** Two upstreams and a temp dir; `dispose()` stops every proxy started through it, both registries, and removes the dir. */
export async function proxyWorld(): Promise<ProxyWorld> {
  const dir = await tempDir('ocm-ts-proxy-e2e-');
  const passA = canary('passA');
  const passB = canary('passB');
  const stops: (() => Promise<void>)[] = [() => dir.dispose()];
  const dispose = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    const [a, b] = await Promise.all([
      startRegistry({ auth: 'token', users: [{ username: 'alice', password: passA }] }),
      startRegistry({ auth: 'htpasswd', users: [{ username: 'bob', password: passB }] }),
    ]);
    stops.push(() => a.stop(), () => b.stop());
    return {
      dir: dir.path,
      a,
      b,
      secrets: [passA, passB],
      async writeConfig(connectors, clients, name = '.ocmconfig') {
        const file = join(dir.path, name);
        await writeFile(file, proxyConfigYaml(connectors, clients), { mode: 0o600 });
        return file;
      },
      connectorA: (access) => ({ name: 'conn-a', address: a.url, upstream: { username: 'alice', password: passA }, ...(access ? { access } : {}) }),
      connectorB: (access) => ({ name: 'conn-b', address: b.url, upstream: { username: 'bob', password: passB }, ...(access ? { access } : {}) }),
      async startProxy(config, options = {}) {
        const p = await startProxyCli({ config, dir: dir.path, ...options });
        stops.push(() => p.stop());
        return p;
      },
      dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** The names of `secrets` found in `text` (empty = none leaked). */
export function leaked(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((s) => text.includes(s)).map((s) => `${s.slice(0, 14)}…`);
}

const sha256Digest = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * Monolithic blob upload with raw HTTP to `<repoUrl>/blobs/uploads/` (e.g.
 * `http://<proxy>/v2/<connector>/<repo>`); resolves to the digest. Throws with the status on failure.
 */
export async function pushBlobRaw(repoUrl: string, headers: Record<string, string>, data: Buffer): Promise<string> {
  const digest = sha256Digest(data);
  const start = await httpCall(`${repoUrl}/blobs/uploads/`, { method: 'POST', headers: { ...headers, 'content-length': '0' } });
  if (start.status !== 202 || typeof start.headers.location !== 'string') throw new Error(`upload start: ${start.status} ${start.body.toString()}`);
  const loc = new URL(start.headers.location, repoUrl);
  loc.searchParams.set('digest', digest);
  const put = await httpCall(loc.href, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(data.length) }, body: data });
  if (put.status !== 201) throw new Error(`upload put: ${put.status} ${put.body.toString()}`);
  return digest;
}

/** Pushes a one-layer OCI image (config + layer + manifest) under `tag`; returns the manifest digest and the layer digest. */
export async function pushImageRaw(repoUrl: string, headers: Record<string, string>, tag: string, layer: Buffer = randomBytes(4096)): Promise<{ manifest: string; layer: string }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} }));
  const layerDigest = await pushBlobRaw(repoUrl, headers, layer);
  const configDigest = await pushBlobRaw(repoUrl, headers, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/octet-stream', digest: layerDigest, size: layer.length }],
    }),
  );
  const put = await httpCall(`${repoUrl}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(manifest.length) },
    body: manifest,
  });
  if (put.status !== 201) throw new Error(`manifest put: ${put.status} ${put.body.toString()}`);
  return { manifest: sha256Digest(manifest), layer: layerDigest };
}
