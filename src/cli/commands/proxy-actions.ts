/**
 * Actions of `ocm proxy ...` (loaded only when one runs). The library does the work
 * (`src/proxy/`); this file reads files and flags, prints, and wires signals: SIGHUP → reload,
 * SIGINT/SIGTERM → graceful close.
 */
import { open, mkdir, stat } from 'node:fs/promises';
import { realpathSync, createWriteStream } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import { CREDENTIALS_CONFIG_TYPE, configEntriesOfType, type OcmConfig } from '../../config/load.js';
import { createSession, type Session } from '../../session/session.js';
import { writeFileAtomic } from '../../internal/atomic.js';
import { generateToken, hashToken } from '../../proxy/access.js';
import { clientConfig, type ClientConfigFormat } from '../../proxy/client-config.js';
import { NAME_RE, isLoopbackListen, parseConnectorsEntries, parseListen, proxyStateFromConfig, type LoadedProxyState } from '../../proxy/config.js';
import { createReloadingStateSource, delegatingSession } from '../../proxy/reload.js';
import { startProxy } from '../../proxy/server.js';
import { CONNECTORS_CONFIG_TYPE, type ProxyState } from '../../proxy/types.js';
import type { GlobalOptions } from '../global-options.js';
import { cliLogger, cliSignal, ocmSession, print } from '../session.js';
import type { ClientConfigOpts, ServeOpts } from './proxy.js';

/** Largest token or PEM file we read (a mistaken path to a huge file fails fast). */
const MAX_SMALL_FILE = 1024 * 1024;

async function readSmallFile(file: string, what: string, max = MAX_SMALL_FILE): Promise<Buffer> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OcmError(code === 'ENOENT' ? ErrorCode.NOT_FOUND : ErrorCode.IO_ERROR, `${what} ${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`}`, { cause: e });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `${what} ${file} is not a regular file`);
    if (st.size > max) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `${what} ${file}: larger than the limit of ${max} bytes`);
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

async function readToken(file: string): Promise<string> {
  const token = (await readSmallFile(file, 'token file', 4096)).toString('utf8').trim();
  if (token === '' || /\s/.test(token)) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `token file ${file} must hold exactly one token (as written by ocm proxy token create)`);
  return token;
}

function executableDir(): string | undefined {
  const script = process.argv[1];
  if (!script) return undefined;
  try {
    return dirname(realpathSync(script));
  } catch {
    return dirname(script);
  }
}

interface Snapshot extends LoadedProxyState {
  session: Session;
  warnings: readonly string[];
}

function listenAddresses(listen: string, state: ProxyState): string[] {
  return [listen, ...[...state.connectors.values()].flatMap((c) => (c.listen ? [c.listen] : []))];
}

function describeState(state: ProxyState): string {
  return `${state.connectors.size} connector(s), client auth ${state.access.authRequired ? 'required' : 'off (loopback only)'}`;
}

/** `ocm proxy serve`: load, check the listen policy, serve until SIGINT/SIGTERM. */
export async function serve(opts: ServeOpts, g: GlobalOptions): Promise<void> {
  const listen = parseListen(opts.listen);
  if (!listen) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--listen "${opts.listen}" is not host:port (e.g. 127.0.0.1:5050)`);
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw new OcmError(ErrorCode.INVALID_ARGUMENT, 'give both --tls-cert and --tls-key, or neither');
  const tls = opts.tlsCert && opts.tlsKey ? { cert: await readSmallFile(opts.tlsCert, 'TLS certificate'), key: await readSmallFile(opts.tlsKey, 'TLS key') } : undefined;
  const signal = cliSignal();
  const base = ocmSession(g);
  const logger = cliLogger(g);

  // A complete, validated snapshot: config files, connectors, clients, listen policy and the credential graph.
  const load = async (): Promise<Snapshot> => {
    const session = createSession({ configFiles: g.config, env: process.env, cwd: process.cwd(), execDir: executableDir(), signal, logger, types: base.types });
    const config = await session.config();
    // Discovery skips a broken file with a warning; for the proxy that would silently drop its connectors.
    if ((config.found ?? config.sources).length > config.sources.length) {
      throw new OcmError(ErrorCode.CONFIG_ERROR, config.warnings.find((w) => w.endsWith('the file was skipped'))?.replace(/; the file was skipped$/, '') ?? 'a config file could not be read');
    }
    const loaded = await proxyStateFromConfig(config, { signal });
    if (!loaded.state.access.authRequired) {
      const open = listenAddresses(opts.listen, loaded.state).find((a) => !isLoopbackListen(a));
      if (open) throw new OcmError(ErrorCode.CONFIG_ERROR, `refusing to listen on ${open} without client authentication: configure proxy clients (ocm proxy token create) or listen on 127.0.0.1`);
    }
    const graph = await session.credentialGraph(); // a broken credentials config fails now, not on the first request
    return { ...loaded, files: [...new Set([...loaded.files, ...dockerConfigFiles(config)])], session, warnings: [...config.warnings, ...loaded.warnings, ...graph.warnings] };
  };

  const warn = (lines: readonly string[]) => lines.forEach((l) => process.stderr.write(`Warning: ${l}\n`));
  const source = await createReloadingStateSource<Snapshot>({
    load,
    signal,
    onReload: (s, cause) => {
      warn(s.warnings);
      process.stderr.write(`ocm proxy: configuration reloaded (${cause === 'signal' ? 'SIGHUP' : 'file changed'}): ${describeState(s.state)}\n`);
    },
    onError: (e) => {
      const msg = (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ');
      process.stderr.write(`Warning: configuration not reloaded, the previous one stays in effect: ${msg}${e instanceof OcmError ? ` [${e.code}]` : ''}\n`);
    },
  });
  const onHup = () => void source.reload('signal');
  process.on('SIGHUP', onHup);
  let accessLog: ((entry: Record<string, unknown>) => void) | undefined;
  let logStream: NodeJS.WritableStream | undefined;
  if (opts.accessLog === '-') accessLog = (e) => void process.stdout.write(`${JSON.stringify(e)}\n`);
  else if (opts.accessLog) {
    const stream = createWriteStream(opts.accessLog, { flags: 'a', mode: 0o600 });
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', (e) => reject(new OcmError(ErrorCode.IO_ERROR, `access log ${opts.accessLog} cannot be opened (${(e as NodeJS.ErrnoException).code ?? 'error'})`))));
    logStream = stream;
    accessLog = (e) => void stream.write(`${JSON.stringify(e)}\n`);
  }
  try {
    const first = source.snapshot();
    warn(first.warnings);
    const proxy = await startProxy({ state: source, session: delegatingSession(() => source.snapshot().session), listen: opts.listen, ...(tls ? { tls } : {}), logger, ...(accessLog ? { accessLog } : {}) });
    const scheme = tls ? 'https' : 'http';
    process.stderr.write(`ocm proxy: listening on ${scheme}://${proxy.address} (${describeState(first.state)})\n`);
    for (const c of first.state.connectors.values()) {
      const dedicated = proxy.connectorAddresses.get(c.name);
      process.stderr.write(`  ${c.name}: ${scheme}://${proxy.address}/${c.name}/... → ${c.upstream.scheme}://${c.upstream.host}${dedicated ? ` (also ${scheme}://${dedicated}/...)` : ''}\n`);
    }
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    process.stderr.write('ocm proxy: stopping, finishing requests in flight\n');
    await proxy.close();
  } finally {
    process.off('SIGHUP', onHup);
    source.close();
    if (logStream) await new Promise<void>((resolve) => logStream!.end(() => resolve()));
  }
}

/** Docker config files named by the credential config: watched too, so a rotated upstream secret reloads. */
function dockerConfigFiles(config: OcmConfig): string[] {
  const home = process.env.HOME ?? homedir();
  return configEntriesOfType(config, CREDENTIALS_CONFIG_TYPE).flatMap((e) => {
    const repos = Array.isArray(e.value.repositories) ? (e.value.repositories as unknown[]) : [];
    return repos.flatMap((r) => {
      const file = (r as { repository?: { dockerConfigFile?: unknown } } | null)?.repository?.dockerConfigFile;
      return typeof file === 'string' ? [resolve(file.replaceAll('~', home))] : [];
    });
  });
}

/** Writes `content` to `dir/name` atomically with `mode` (0600 for files holding a token). */
async function writeAtomic(dir: string, name: string, content: string, mode: number): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, name);
  await writeFileAtomic(target, content, { mode });
  return target;
}

/** `ocm proxy client-config`. */
export async function clientConfigCommand(opts: ClientConfigOpts, g: GlobalOptions): Promise<void> {
  const m = /^(?:(https?):\/\/)?((?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5})\/?$/.exec(opts.proxy);
  if (!m) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `--proxy "${opts.proxy}" is not [http(s)://]host:port (e.g. http://127.0.0.1:5050)`);
  const plainHttp = (m[1] ?? 'http') === 'http';
  const proxy = m[2]!;
  const { configFor } = await import('../credentials.js');
  const parsed = parseConnectorsEntries(configEntriesOfType(await configFor(g), CONNECTORS_CONFIG_TYPE));
  const connector = parsed.connectors.get(opts.connector);
  if (!connector) {
    const known = [...parsed.connectors.keys()];
    throw new OcmError(ErrorCode.NOT_FOUND, `connector "${opts.connector}" is not configured (${known.length ? `configured: ${known.join(', ')}` : `no ${CONNECTORS_CONFIG_TYPE} entry found`})`);
  }
  let dedicated: string | undefined;
  const l = connector.listen ? parseListen(connector.listen) : undefined;
  if (l) {
    // A wildcard bind is reached under the proxy's host name.
    const host = l.host === '0.0.0.0' || l.host === '::' ? proxy.replace(/:\d+$/, '') : l.host.includes(':') ? `[${l.host}]` : l.host;
    dedicated = `${host}:${l.port}`;
  }
  const token = opts.tokenFile ? await readToken(opts.tokenFile) : undefined;
  const file = clientConfig(opts.format as ClientConfigFormat, { connector, proxy, plainHttp, ...(dedicated ? { dedicated } : {}), ...(opts.client ? { client: opts.client } : {}), ...(token ? { token } : {}), ...(opts.mirror ? { mirror: true } : {}) });
  if (!opts.output) return print(file.content);
  const target = await writeAtomic(opts.output, file.name, file.content, file.secret ? 0o600 : 0o644);
  process.stderr.write(`wrote ${target}${file.secret ? ' (holds the token: mode 0600)' : ''}\n`);
}

function checkClientName(client: string): void {
  if (!NAME_RE.test(client) || client === 'anonymous') {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `client name "${client}" is invalid: use lower-case letters and digits, separated by . _ or - (not "anonymous")`);
  }
}

/** `ocm proxy token create <client>`: the token once (stdout or a new 0600 file), the config line on stderr. */
export async function tokenCreate(client: string, opts: { tokenFile?: string }): Promise<void> {
  checkClientName(client);
  const token = generateToken();
  if (opts.tokenFile) {
    if (await stat(opts.tokenFile).then(() => true, () => false)) throw new OcmError(ErrorCode.ALREADY_EXISTS, `token file ${opts.tokenFile} already exists; remove it or choose another path`);
    await writeAtomic(dirname(opts.tokenFile), basename(opts.tokenFile), `${token}\n`, 0o600);
  } else {
    await print(`${token}\n`);
  }
  const hash = hashToken(token);
  process.stderr.write(
    `Add the client to the proxy configuration (the token is not shown again):\n` +
      `  in ${CONNECTORS_CONFIG_TYPE}: clients: [{name: ${client}, tokenHash: "${hash}"}]\n` +
      `  or as a line of a clientsFile: ${client}:${hash}\n`,
  );
}

/** `ocm proxy token hash <client> --token-file f`: the clients-file line for an existing token. */
export async function tokenHash(client: string, opts: { tokenFile: string }): Promise<void> {
  checkClientName(client);
  await print(`${client}:${hashToken(await readToken(opts.tokenFile))}\n`);
}
