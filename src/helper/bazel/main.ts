/**
 * `ocm-credential-helper`: the Bazel / EngFlow credential-helper protocol (spec §A.1) over the
 * central credentials, with a caching agent (tweag-like, §A.3).
 *
 * A cache hit must cost little more than node's own start-up, so this file, `client.ts` and
 * `cache-key.ts` are all it loads (plus node builtins); resolution, the session, the agent server
 * and the launcher are imported only when needed.
 *
 * Exit codes: 0 success (stdout holds only the JSON answer); 1 the request could not be answered
 * (unknown host, no credentials, registry error); 2 bad usage or a malformed request (unknown
 * command, empty or closed stdin, not JSON, no string "uri"). Errors are one line on stderr
 * `ocm-credential-helper: <message>` and never contain a secret.
 */
import { readSync, writeSync } from 'node:fs';
import { candidateKeys, envFingerprint, storeKey } from './cache-key.js';
import { agentRequest, openAgent, UnsafeAgentDir, type AgentConnection, type AgentReply, type AgentRequest } from './client.js';
import type { CredentialHelperRequest, CredentialHelperResponse, Resolution } from './types.js';

export interface HelperIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Directory of the running executable (`.ocmconfig` discovery candidates 10–11). */
  execDir?: string;
  /**
   * File descriptors behind stdin/stdout (the bin passes 0 and 1): `get` then reads and writes
   * them synchronously, because creating process.stdin/stdout streams costs ~5 ms, an eighth of a
   * cache hit. The bin's stream properties are getters, so they are only created when used.
   */
  stdinFd?: number;
  stdoutFd?: number;
  /** Cancels resolution (config loading, credential lookups, registry requests). */
  signal?: AbortSignal;
}

/** Largest request read from stdin (a request is one URI). */
const MAX_REQUEST = 64 * 1024;

const USAGE = `Usage: ocm-credential-helper <command>

Credential helper for Bazel and other tools speaking the EngFlow credential-helper protocol;
answers from the credentials in .ocmconfig (and the docker config).

Commands:
  get                 read {"uri": "..."} on stdin, print {"headers": {...}, "expires": "..."}
  setup-uri <url>     explain which configuration would answer <url> (no secrets)
  agent-launch        start the caching agent (done on demand by get)
  agent-shutdown      stop the caching agent
  agent-prune         drop expired answers from the agent
  agent-run           run the agent in the foreground (debugging)
  version             print the version

Environment: CREDENTIAL_HELPER_STANDALONE=1 (no agent, no cache), CREDENTIAL_HELPER_LOGGING=debug,
CREDENTIAL_HELPER_AGENT_SOCKET, CREDENTIAL_HELPER_IDLE_TIMEOUT (default 3h).
`;

/** A failure with its exit code (2 = usage / malformed request). */
class HelperError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

const truthy = (v: string | undefined) => v === '1' || v === 'true';

export async function main(argv: string[], io: HelperIo): Promise<number> {
  const debug = io.env.CREDENTIAL_HELPER_LOGGING === 'debug';
  const log = debug ? (line: string) => void io.stderr.write(`ocm-credential-helper: debug: ${line}\n`) : () => {};
  try {
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case 'get':
        return await get(io, log);
      case 'setup-uri': {
        if (rest.length !== 1) throw new HelperError('setup-uri needs exactly one URL, e.g. ocm-credential-helper setup-uri https://ghcr.io/v2/org/img/manifests/latest', 2);
        const { explainUri } = await import('./resolve.js');
        const { createSession } = await import('../../session/session.js');
        const session = createSession({ env: io.env, cwd: io.cwd, ...(io.execDir ? { execDir: io.execDir } : {}), ...(io.signal ? { signal: io.signal } : {}) });
        const ex = await explainUri(rest[0]!, { env: io.env, cwd: io.cwd, session, ...(io.signal ? { signal: io.signal } : {}) });
        io.stdout.write(ex.lines.map((l) => l + '\n').join(''));
        return 0;
      }
      case 'agent-launch': {
        const { spawnAgent, waitForSocket } = await import('./agent-launch.js');
        if (await agentAlive(io.env)) return 0;
        spawnAgent(io.env);
        if (!(await waitForSocket(io.env))) throw new HelperError('the agent did not start within 1.5 s; run "ocm-credential-helper agent-run" with CREDENTIAL_HELPER_LOGGING=debug to see why');
        return 0;
      }
      case 'agent-shutdown':
      case 'agent-prune': {
        const replies = await agentRequest(io.env, [{ method: cmd === 'agent-shutdown' ? 'shutdown' : 'prune' }]);
        if (!replies) {
          io.stderr.write('ocm-credential-helper: no agent is running\n');
          return 0;
        }
        if (cmd === 'agent-prune') io.stderr.write(`ocm-credential-helper: pruned ${(replies[0]?.payload as { pruned?: number } | undefined)?.pruned ?? 0} expired entries\n`);
        return 0;
      }
      case 'agent-run': {
        const { agentRunMain } = await import('./agent.js');
        return await agentRunMain(io.env, debug ? log : undefined);
      }
      case 'version':
      case '--version': {
        const { VERSION } = await import('../../version.js');
        io.stdout.write(`${VERSION}\n`);
        return 0;
      }
      case '--help':
      case '-h':
      case 'help':
        io.stdout.write(USAGE);
        return 0;
      case undefined:
        io.stderr.write(USAGE);
        return 2;
      default:
        throw new HelperError(`unknown command ${JSON.stringify(cmd)}; run ocm-credential-helper --help`, 2);
    }
  } catch (e) {
    const err = e as Error;
    const code = e instanceof HelperError ? e.exitCode : (e as { code?: unknown }).code === 'INVALID_ARGUMENT' ? 2 : 1;
    // One line: a message from deeper down may span several, the first one says what failed.
    io.stderr.write(`ocm-credential-helper: ${String(err?.message ?? e).split('\n')[0]}\n`);
    if (debug && err?.stack) io.stderr.write(err.stack + '\n');
    return code;
  }
}

async function agentAlive(env: NodeJS.ProcessEnv): Promise<boolean> {
  return (await agentRequest(env, [{ method: 'prune' }], 1000)) !== undefined;
}

const TOO_LARGE = `request on stdin is larger than ${MAX_REQUEST / 1024} KiB; send {"uri": "..."}`;

/** Reads all of `fd` synchronously, or undefined when it would block (non-blocking stdin). */
function readFdSync(fd: number): string | undefined {
  const buf = Buffer.alloc(MAX_REQUEST + 1);
  let n = 0;
  for (;;) {
    let got: number;
    try {
      got = readSync(fd, buf, n, buf.length - n, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' && n === 0) return undefined;
      if (code === 'EAGAIN') continue;
      if (code === 'EOF') break;
      throw e;
    }
    if (got === 0) break;
    n += got;
    if (n > MAX_REQUEST) throw new HelperError(TOO_LARGE, 2);
  }
  return buf.toString('utf8', 0, n);
}

async function readStream(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  let size = 0;
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    size += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (size > MAX_REQUEST) throw new HelperError(TOO_LARGE, 2);
    text += chunk.toString();
  }
  return text;
}

async function readRequest(io: HelperIo): Promise<CredentialHelperRequest> {
  const text = (io.stdinFd !== undefined ? readFdSync(io.stdinFd) : undefined) ?? (await readStream(io.stdin));
  if (text.trim() === '') throw new HelperError('no request on stdin; send {"uri": "https://..."} (stdin was empty or closed)', 2);
  let req: unknown;
  try {
    req = JSON.parse(text);
  } catch {
    throw new HelperError('request on stdin is not JSON; send {"uri": "https://..."}', 2);
  }
  if (req === null || typeof req !== 'object' || Array.isArray(req) || typeof (req as { uri?: unknown }).uri !== 'string' || (req as { uri: string }).uri === '') {
    throw new HelperError('request on stdin has no string "uri"; send {"uri": "https://..."}', 2);
  }
  return req as CredentialHelperRequest;
}

async function get(io: HelperIo, log: (line: string) => void): Promise<number> {
  const standalone = truthy(io.env.CREDENTIAL_HELPER_STANDALONE);
  // Connecting to the agent overlaps reading the request and hashing the environment.
  const conn = standalone ? undefined : openChecked(io.env);
  let req: CredentialHelperRequest;
  try {
    req = await readRequest(io);
  } catch (e) {
    conn?.close();
    throw e;
  }
  let fingerprint = '';
  let agentUp = false;
  if (!standalone) {
    fingerprint = envFingerprint(io.env, io.cwd, io.execDir);
    const keys = candidateKeys(req.uri).map((k) => `${fingerprint}|${k}`);
    const replies = await conn?.send([{ method: 'retrieve', payload: keys }]);
    agentUp = replies !== undefined;
    const hit = replies?.[0];
    if (hit?.status === 'ok' && hit.payload && typeof hit.payload === 'object') {
      log('cache hit');
      writeOut(io, JSON.stringify(hit.payload) + '\n');
      return 0;
    }
    log(agentUp ? 'cache miss' : 'no agent');
  }

  // Miss: start the agent while resolving (it needs ~50 ms), so the answer can be stored after.
  const stopWaiting = new AbortController();
  const launching = !standalone && !agentUp ? launchQuietly(io.env, log, stopWaiting.signal) : undefined;
  try {
    return await resolveAndStore(io, req, standalone, fingerprint, launching, log);
  } finally {
    // A failed resolution must not keep the process alive polling for the agent's socket.
    stopWaiting.abort();
  }
}

async function resolveAndStore(
  io: HelperIo,
  req: CredentialHelperRequest,
  standalone: boolean,
  fingerprint: string,
  launching: Promise<void> | undefined,
  log: (line: string) => void,
): Promise<number> {
  const { resolveCredentials } = await import('./resolve.js');
  const { createSession } = await import('../../session/session.js');
  const session = createSession({ env: io.env, cwd: io.cwd, ...(io.execDir ? { execDir: io.execDir } : {}), ...(io.signal ? { signal: io.signal } : {}) });
  const res: Resolution = await resolveCredentials(req, { env: io.env, cwd: io.cwd, session, ...(io.signal ? { signal: io.signal } : {}) });
  for (const note of res.notes ?? []) io.stderr.write(`ocm-credential-helper: ${note}\n`);
  const response: CredentialHelperResponse = res.response;
  writeOut(io, JSON.stringify(response) + '\n');

  const key = storeKey(req.uri, res.cacheScope);
  if (!standalone && key && res.expiresAt !== undefined) {
    if (launching) await launching;
    const stored = await askAgent(io.env, [{ method: 'store', payload: { cacheKey: `${fingerprint}|${key}`, response, expiresAt: res.expiresAt } }]);
    log(stored?.[0]?.status === 'ok' ? 'stored' : 'not stored');
  }
  return 0;
}

function writeOut(io: HelperIo, text: string): void {
  if (io.stdoutFd !== undefined) {
    try {
      const b = Buffer.from(text);
      for (let off = 0; off < b.length; ) off += writeSync(io.stdoutFd, b, off);
      return;
    } catch (e) {
      // A non-blocking pipe that is full: the stream handles it (nothing was written, answers are small).
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
  io.stdout.write(text);
}

/** A connection to the agent, or undefined (no agent); an unsafe agent directory fails the request. */
function openChecked(env: NodeJS.ProcessEnv): AgentConnection | undefined {
  try {
    return openAgent(env);
  } catch (e) {
    if (e instanceof UnsafeAgentDir) throw new HelperError(`${e.message} (or set CREDENTIAL_HELPER_STANDALONE=1)`);
    throw e;
  }
}

/** The agent's replies, or undefined (no agent). */
async function askAgent(env: NodeJS.ProcessEnv, requests: ReadonlyArray<AgentRequest>): Promise<AgentReply[] | undefined> {
  return openChecked(env)?.send(requests);
}

/** Starts the agent in the background; a failure only means this answer is not cached. */
async function launchQuietly(env: NodeJS.ProcessEnv, log: (line: string) => void, signal: AbortSignal): Promise<void> {
  try {
    const { spawnAgent, waitForSocket } = await import('./agent-launch.js');
    spawnAgent(env);
    if (!(await waitForSocket(env, 1500, signal))) log('agent did not start; answering standalone');
  } catch (e) {
    log(`agent not started: ${(e as Error).message}`);
  }
}

