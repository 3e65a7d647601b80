/**
 * Test-only harness: a real nginx (Debian `nginx` + `libnginx-mod-http-dav-ext`) serving WebDAV on
 * 127.0.0.1:<free port> with Basic auth (bcrypt htpasswd), everything in a private prefix directory
 * (config, htpasswd, logs, temp paths, document root). One process (`master_process off`), stopped
 * by its PID in `stop()` — also when start-up fails.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, probe } from './registry.js';

export const NGINX_BIN = '/usr/sbin/nginx';
export const DAV_EXT_MODULE = '/usr/lib/nginx/modules/ngx_http_dav_ext_module.so';

/** Why the WebDAV tests cannot run here, or undefined when nginx, dav-ext and htpasswd are present. */
export function nginxDavMissing(): string | undefined {
  if (!existsSync(NGINX_BIN)) return 'nginx not installed (apt-get install nginx)';
  if (!existsSync(DAV_EXT_MODULE)) return 'nginx dav-ext module not installed (apt-get install libnginx-mod-http-dav-ext)';
  if (!existsSync('/usr/bin/htpasswd')) return 'htpasswd not installed (apt-get install apache2-utils)';
  return undefined;
}

export interface DavUser {
  username: string;
  password: string;
}

export interface RunningDav {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  pid: number;
  /** The document root: what the server stores, for tests that look behind its back. */
  root: string;
  errorLog: string;
  accessLog: string;
  stop(): Promise<void>;
}

/** bcrypt htpasswd line; the password goes through stdin, not argv. */
function htpasswdLine(u: DavUser): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('htpasswd', ['-niB', u.username], (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
    child.stdin!.end(`${u.password}\n`);
  });
}


function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return Promise.resolve();
  const pid = child.pid;
  return new Promise((resolve) => {
    const killer = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 3000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    try {
      // SIGQUIT: nginx's graceful shutdown.
      process.kill(pid, 'SIGQUIT');
    } catch {
      clearTimeout(killer);
      resolve();
    }
  });
}

/** Starts nginx with WebDAV under `/` (PUT DELETE MKCOL COPY MOVE, PROPFIND OPTIONS), Basic auth for `users`. */
export async function startNginxDav(options: { users?: DavUser[] } = {}): Promise<RunningDav> {
  const missing = nginxDavMissing();
  if (missing) throw new Error(missing);
  const users = options.users ?? [{ username: 'davuser', password: 'davpass' }];
  const dir = await mkdtemp(join(tmpdir(), 'ocm-ts-nginx-dav-'));
  let child: ChildProcess | undefined;
  try {
    const root = join(dir, 'root');
    for (const d of [root, join(dir, 'tmp')]) await mkdir(d, { recursive: true });
    await writeFile(join(dir, 'htpasswd'), (await Promise.all(users.map(htpasswdLine))).join('\n') + '\n', { mode: 0o600 });
    const port = await freePort();
    const errorLog = join(dir, 'error.log');
    const accessLog = join(dir, 'access.log');
    const conf = `load_module ${DAV_EXT_MODULE};
daemon off;
master_process off;
pid ${join(dir, 'nginx.pid')};
error_log ${errorLog} warn;
events { worker_connections 256; }
http {
  access_log ${accessLog};
  client_body_temp_path ${join(dir, 'tmp', 'body')};
  proxy_temp_path ${join(dir, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(dir, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(dir, 'tmp', 'scgi')};
  client_max_body_size 0;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / {
      dav_methods PUT DELETE MKCOL COPY MOVE;
      dav_ext_methods PROPFIND OPTIONS;
      dav_access user:rw group:r all:r;
      auth_basic "ocm-ts test dav";
      auth_basic_user_file ${join(dir, 'htpasswd')};
    }
  }
}
`;
    const confFile = join(dir, 'nginx.conf');
    await writeFile(confFile, conf);
    child = spawn(NGINX_BIN, ['-p', `${dir}/`, '-e', errorLog, '-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const started = child;
    const deadline = Date.now() + 10_000;
    while ((await probe(port, false, '/', 'OPTIONS')) === undefined) {
      if (started.exitCode !== null || Date.now() > deadline) {
        const log = await readFile(errorLog, 'utf8').catch(() => '');
        throw new Error(`nginx did not start on 127.0.0.1:${port}: ${stderr.trim()} ${log.split('\n').slice(-5).join(' ')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const pid = started.pid!;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      pid,
      root,
      errorLog,
      accessLog,
      async stop() {
        await stopChild(started);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (child) await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
