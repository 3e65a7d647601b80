/**
 * Test-only harness: starts the real CNCF distribution registry (`/usr/bin/docker-registry`,
 * 2.8.2) on 127.0.0.1 with a free port in one of three modes (test-peers.md §2): no auth,
 * htpasswd (bcrypt via `htpasswd -Bbn`), or token auth backed by our own token server.
 * Everything it starts is stopped by PID and its temp directories are removed in `stop()`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTokenServer, type TokenPolicy, type TokenServer, type TokenUser } from './token-server.js';

const execFileP = promisify(execFile);

export interface RegistryUser {
  username: string;
  password: string;
  /** Token mode only: repository actions granted (default pull, push, delete). */
  actions?: string[];
}

export interface StartRegistryOptions {
  auth?: 'none' | 'htpasswd' | 'token';
  /** htpasswd and token modes. Default: one user `testuser`/`testpass` with full rights. */
  users?: RegistryUser[];
  /** Token mode: a custom action policy (overrides per-user `actions`). */
  tokenPolicy?: TokenPolicy;
  /** Token mode: actions for anonymous callers (default none). */
  anonymousActions?: string[];
  /** Registry log level (default warn). */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Write the access log into registry.log. */
  accessLog?: boolean;
  /** Serve HTTPS with a fresh self-signed certificate for 127.0.0.1 (its PEM is `caFile`). */
  tls?: boolean;
}

export interface RunningRegistry {
  /** `http://127.0.0.1:PORT` (`https://` with `tls`) */
  url: string;
  /** With `tls`: the self-signed certificate to trust (e.g. via NODE_EXTRA_CA_CERTS). */
  caFile?: string;
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  pid: number;
  /** Storage root of the registry (inside the temp dir). */
  dataDir: string;
  /** The registry's log file (stderr/stdout). */
  logFile: string;
  users: RegistryUser[];
  tokenServer?: TokenServer;
  stop(): Promise<void>;
}

export const defaultRegistryUsers: RegistryUser[] = [{ username: 'testuser', password: 'testpass' }];

export function registryBinary(): string {
  const env = process.env.OCM_TEST_REGISTRY_BIN;
  if (env) return env;
  for (const p of ['/usr/bin/docker-registry', '/usr/local/bin/docker-registry', '/usr/bin/registry', '/usr/local/bin/registry']) {
    if (existsSync(p)) return p;
  }
  return 'docker-registry';
}

/** True if the registry binary is present (tests skip with a reason otherwise). */
export function registryAvailable(): boolean {
  const b = registryBinary();
  return b.includes('/') ? existsSync(b) : false;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The status a loopback server answers on `port` (undefined: nothing listens yet); peers' start-up polls use it. */
export function probe(port: number, tls = false, path = '/v2/', method = 'GET'): Promise<number | undefined> {
  return new Promise((resolve) => {
    const send = tls ? httpsRequest : request;
    const req = send({ host: '127.0.0.1', port, path, method, timeout: 1000, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => {
      req.destroy();
      resolve(undefined);
    });
    req.end();
  });
}

const q = (s: string) => JSON.stringify(s);

async function tail(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (child.pid) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }, 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.pid) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        clearTimeout(timer);
        resolve();
      }
    }
  });
}

async function startOnce(options: StartRegistryOptions, dir: string, tokenServer: TokenServer | undefined): Promise<RunningRegistry> {
  const mode = options.auth ?? 'none';
  const users = options.users ?? defaultRegistryUsers;
  const port = await freePort();
  if ((await probe(port)) !== undefined) throw new Error(`port ${port} already answers`);
  const dataDir = join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const logFile = join(dir, 'registry.log');
  const lines = [
    'version: 0.1',
    'log:',
    `  level: ${options.logLevel ?? 'warn'}`,
    '  accesslog:',
    `    disabled: ${options.accessLog ? 'false' : 'true'}`,
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(dataDir)}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
  ];
  let caFile: string | undefined;
  if (options.tls) {
    caFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    await execFileP('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', keyFile, '-out', caFile]);
    // under `http:` (the last block so far)
    lines.push('  tls:', `    certificate: ${q(caFile)}`, `    key: ${q(keyFile)}`);
  }
  if (mode === 'htpasswd') {
    const entries: string[] = [];
    for (const u of users) {
      // Password passes through argv of a short-lived local test tool only (test credentials).
      const { stdout } = await execFileP('htpasswd', ['-Bbn', u.username, u.password]);
      entries.push(stdout.trim());
    }
    const htpasswd = join(dir, 'htpasswd');
    await writeFile(htpasswd, entries.join('\n') + '\n', { mode: 0o600 });
    lines.push('auth:', '  htpasswd:', '    realm: basic-realm', `    path: ${q(htpasswd)}`);
  } else if (mode === 'token' && tokenServer) {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${q(tokenServer.realm)}`,
      `    service: ${q(tokenServer.service)}`,
      `    issuer: ${q(tokenServer.issuer)}`,
      `    rootcertbundle: ${q(tokenServer.bundlePath)}`,
    );
  }
  const config = join(dir, 'config.yml');
  await writeFile(config, lines.join('\n') + '\n');
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(registryBinary(), ['serve', config], { stdio: ['ignore', fd, fd], detached: false });
  } finally {
    closeSync(fd);
  }
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.once('error', () => {
    exited = true;
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) throw new Error(`docker-registry exited during start-up:\n${await tail(logFile)}`);
    const status = await probe(port, options.tls);
    if (status === 200 || status === 401) break;
    if (Date.now() > deadline) {
      await killAndWait(child);
      throw new Error(`docker-registry not ready on 127.0.0.1:${port} after 10 s:\n${await tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let stopped = false;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    ...(caFile ? { caFile } : {}),
    host: `127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    dataDir,
    logFile,
    users,
    tokenServer,
    async stop() {
      if (stopped) return;
      stopped = true;
      await killAndWait(child);
      if (tokenServer) await tokenServer.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts docker-registry on a free loopback port. Retries twice if the port was taken between
 * choosing and binding it. Call `stop()` in `t.after`/`after`.
 */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'ocm-ts-registry-'));
    let tokenServer: TokenServer | undefined;
    try {
      if (options.auth === 'token') {
        const users: TokenUser[] = (options.users ?? defaultRegistryUsers).map((u) => ({ ...u }));
        tokenServer = await startTokenServer({ users, policy: options.tokenPolicy, anonymousActions: options.anonymousActions });
      }
      return await startOnce(options, dir, tokenServer);
    } catch (e) {
      lastError = e;
      if (tokenServer) await tokenServer.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  throw lastError;
}
