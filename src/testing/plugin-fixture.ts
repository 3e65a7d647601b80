/**
 * Test fixture: a plugin written with raw node:http (no SDK), steered by environment variables that
 * the test's wrapper script sets. Not part of the library (no module imports it).
 *
 *  FIXTURE_CAPS      capabilities JSON to print (or the literal `garbage`)
 *  FIXTURE_COUNTER   file that gets a line per `capabilities` run and per start (`start <pid>`)
 *  FIXTURE_RECORD    file the `--config` JSON is written to
 *  FIXTURE_READY     unix (private 0700 dir) | gounix (/tmp/<id>-plugin.socket + .lock) | http | bare | none
 *  FIXTURE_SIGINT    ignore: SIGINT does nothing; leave: exit on SIGINT without removing the socket
 *  FIXTURE_STDERR    a line printed to stderr at start
 *  FIXTURE_STDIN     ignore: do not exit when stdin reaches EOF (OCM_PLUGIN_STDIN_WATCH)
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = process.env;
const count = (line: string) => env.FIXTURE_COUNTER && appendFileSync(env.FIXTURE_COUNTER, `${line}\n`);

if (process.argv[2] === 'capabilities') {
  count('capabilities');
  process.stdout.write(env.FIXTURE_CAPS === 'garbage' ? 'this is not JSON {' : (env.FIXTURE_CAPS ?? '{"capabilities":[]}'));
  process.exit(0);
}

const i = process.argv.indexOf('--config');
const config = JSON.parse(process.argv[i + 1] ?? '{}') as { id: string; type: string; idleTimeout?: number };
if (env.FIXTURE_RECORD) writeFileSync(env.FIXTURE_RECORD, process.argv[i + 1] ?? '');
count(`start ${process.pid}`);
if (env.FIXTURE_STDERR) process.stderr.write(`${env.FIXTURE_STDERR}\n`);

const mode = env.FIXTURE_READY ?? 'unix';
if (mode === 'none') {
  process.stderr.write('fixture: waiting forever\n');
  setInterval(() => {}, 1000);
} else {
  let dir: string | undefined;
  let socket: string | undefined;
  if (mode === 'unix') {
    dir = mkdtempSync(join(tmpdir(), 'fixture-plugin-'));
    socket = join(dir, 'plugin.socket');
  } else if (mode === 'gounix') {
    socket = `/tmp/${config.id}-plugin.socket`;
    rmSync(socket, { force: true });
    writeFileSync(`${socket}.lock`, String(process.pid));
  }
  let idle: NodeJS.Timeout | undefined;
  let inflight = 0;
  const armIdle = () => {
    clearTimeout(idle);
    if (config.idleTimeout && inflight === 0) idle = setTimeout(() => stop(true), config.idleTimeout / 1e6);
  };
  const stop = (clean: boolean) => {
    if (!clean) process.exit(0); // like a plugin killed mid-way: socket and lock stay behind
    server.close();
    if (clean && socket) rmSync(socket, { force: true });
    if (clean && mode === 'gounix') rmSync(`${socket}.lock`, { force: true });
    if (clean && dir) rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const json = (v: unknown) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/healthz':
        return res.end();
      case '/echo':
        return json({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body: body ? JSON.parse(body) : null, pid: process.pid });
      case '/crash':
        return process.exit(3);
      case '/fail':
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        return res.end('backend exploded:\tno such thing\n');
      case '/leaky-fail':
        // A plugin that echoes what it was given into its error text.
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        return res.end('login failed: password=hunter2-s3cr3t token: abc.def.ghi\n');
      case '/bad-json':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end('{not json');
      case '/empty':
        return res.end();
      case '/log':
        process.stderr.write(`${JSON.stringify({ time: 'now', level: 'WARN', msg: 'resolving password=hunter2', token: 'tok-123', user: 'alice', nested: { secret: 's3' } })}\n`);
        return json({});
      case '/slow':
        return void setTimeout(() => json({ slow: true }), 300);
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        return res.end('404 page not found\n');
    }
  };
  const server = createServer((req, res) => {
    inflight++;
    clearTimeout(idle);
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => handle(req, res, body));
    res.on('close', () => {
      inflight--;
      armIdle();
    });
  });
  const ready = () => {
    const a = server.address();
    if (socket) process.stdout.write(`some noise before the readiness line\nhttp+unix://${socket}\n`);
    else if (a && typeof a === 'object') process.stdout.write(mode === 'http' ? `http://127.0.0.1:${a.port}\n` : `[::]:${a.port}\n`);
    armIdle();
  };
  if (socket) server.listen(socket, ready);
  else if (mode === 'bare') server.listen(0, ready);
  else server.listen(0, '127.0.0.1', ready);
  process.on('SIGINT', () => {
    if (env.FIXTURE_SIGINT === 'ignore') return;
    stop(env.FIXTURE_SIGINT !== 'leave');
  });
  process.on('SIGTERM', () => stop(true));
  if (env.OCM_PLUGIN_STDIN_WATCH === '1' && env.FIXTURE_STDIN !== 'ignore') {
    process.stdin.on('end', () => stop(true));
    process.stdin.resume();
  }
}
