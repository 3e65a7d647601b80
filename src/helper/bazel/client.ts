/**
 * The agent's socket location, its safety check and the client side of the agent protocol
 * (fast path: node builtins only). Wire format (tweag-compatible): one JSON object per line,
 * request `{method, payload}`, response `{status: "ok"|"cache-miss"|"error", payload}`.
 */
import { lstatSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export type AgentMethod = 'retrieve' | 'store' | 'prune' | 'shutdown';
export interface AgentReply {
  status: 'ok' | 'cache-miss' | 'error';
  payload?: unknown;
}

/** Longest line either side accepts (a response with headers is a few KiB). */
export const MAX_LINE = 1024 * 1024;

/** `$CREDENTIAL_HELPER_AGENT_SOCKET`, else `${XDG_RUNTIME_DIR or $XDG_CACHE_HOME or ~/.cache}/ocm/credential-helper/agent.sock`. */
export function agentSocketPath(env: NodeJS.ProcessEnv): string {
  if (env.CREDENTIAL_HELPER_AGENT_SOCKET) return env.CREDENTIAL_HELPER_AGENT_SOCKET;
  const base = env.XDG_RUNTIME_DIR || env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'ocm', 'credential-helper', 'agent.sock');
}

/** `$CREDENTIAL_HELPER_AGENT_PID`, else `agent.pid` beside the socket. */
export function agentPidPath(env: NodeJS.ProcessEnv): string {
  return env.CREDENTIAL_HELPER_AGENT_PID || join(dirname(agentSocketPath(env)), 'agent.pid');
}

/**
 * Why `dir` must not hold the agent socket, or undefined when it is safe: anyone who can connect
 * can read every cached credential and plant answers, and Node cannot check the peer's uid
 * (no SO_PEERCRED), so the directory alone must keep others out: ours, a directory, mode 0700.
 */
export function unsafeDirReason(dir: string): string | undefined {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return undefined;
  if (!st.isDirectory()) return `agent directory ${dir} is not a directory; remove it or set CREDENTIAL_HELPER_AGENT_SOCKET`;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `agent directory ${dir} is owned by uid ${st.uid}, not by you (uid ${uid}); remove it or set CREDENTIAL_HELPER_AGENT_SOCKET`;
  if ((st.mode & 0o077) !== 0) return `agent directory ${dir} is accessible to others (mode ${(st.mode & 0o777).toString(8)}); run chmod 700 ${dir}`;
  return undefined;
}

/** An insecure agent directory (`unsafeDirReason`): the caller fails with this message. */
export class UnsafeAgentDir extends Error {}

export type AgentRequest = { method: AgentMethod; payload?: unknown };

/** One connection to the agent, opened at once (so connecting overlaps the caller's other work), used once. */
export interface AgentConnection {
  /** One reply per request, or undefined (no agent, refused, timed out, garbled). Closes the connection. */
  send(requests: ReadonlyArray<AgentRequest>): Promise<AgentReply[] | undefined>;
  close(): void;
}

/**
 * Starts connecting to the agent, or returns undefined when there is no socket. Throws
 * UnsafeAgentDir when the socket or its directory is not private to the user.
 */
export function openAgent(env: NodeJS.ProcessEnv, timeoutMs = 2000): AgentConnection | undefined {
  const path = agentSocketPath(env);
  const bad = unsafeDirReason(dirname(path));
  if (bad) throw new UnsafeAgentDir(bad);
  const sock = lstatSync(path, { throwIfNoEntry: false });
  if (!sock) return undefined;
  const uid = process.getuid?.();
  if (!sock.isSocket() || (uid !== undefined && sock.uid !== uid)) throw new UnsafeAgentDir(`agent socket ${path} is not a socket owned by you; remove it`);
  const c = connect(path);
  c.setEncoding('utf8');
  let failed = false;
  let onEnd: (() => void) | undefined;
  c.on('error', () => ((failed = true), onEnd?.()));
  c.on('close', () => ((failed = true), onEnd?.()));
  return {
    close: () => void c.destroy(),
    send: (requests) =>
      new Promise((resolve) => {
        const replies: AgentReply[] = [];
        let buf = '';
        let done = false;
        const finish = (r: AgentReply[] | undefined) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          c.destroy();
          resolve(r);
        };
        if (failed) return finish(undefined);
        const timer = setTimeout(() => finish(undefined), timeoutMs);
        onEnd = () => finish(replies.length === requests.length ? replies : undefined);
        c.on('data', (d: string) => {
          buf += d;
          if (buf.length > MAX_LINE * requests.length) return finish(undefined);
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            try {
              replies.push(JSON.parse(line) as AgentReply);
            } catch {
              return finish(undefined);
            }
            if (replies.length === requests.length) return finish(replies);
          }
        });
        c.write(requests.map((r) => JSON.stringify(r) + '\n').join(''));
      }),
  };
}

/**
 * Sends requests on one connection and returns one reply per request, or undefined when no agent
 * listens (no socket, refused, stale) or it does not answer within `timeoutMs`: callers then
 * resolve standalone. Throws UnsafeAgentDir when the socket's directory is not private.
 */
export async function agentRequest(env: NodeJS.ProcessEnv, requests: ReadonlyArray<AgentRequest>, timeoutMs = 2000): Promise<AgentReply[] | undefined> {
  return openAgent(env, timeoutMs)?.send(requests);
}
