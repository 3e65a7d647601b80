/**
 * Starts the caching agent on demand: a detached `node <bin> agent-run` with stdio ignored, then a
 * short wait for its socket. The agent gets only the variables that locate and tune it, never the
 * tokens in the caller's environment (GHCR_TOKEN, ...): it does not resolve anything itself.
 */
import { spawn } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { agentSocketPath } from './client.js';

const AGENT_ENV = [
  'HOME', 'XDG_RUNTIME_DIR', 'XDG_CACHE_HOME', 'PATH', 'LANG', 'TZ',
  'CREDENTIAL_HELPER_AGENT_SOCKET', 'CREDENTIAL_HELPER_AGENT_PID', 'CREDENTIAL_HELPER_IDLE_TIMEOUT',
  'CREDENTIAL_HELPER_PRUNE_INTERVAL', 'CREDENTIAL_HELPER_LOGGING',
];

export const helperBin = fileURLToPath(new URL('../../bin/ocm-credential-helper.js', import.meta.url));

/** The environment the agent runs with: only what locates and tunes it. */
export function agentEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const k of AGENT_ENV) if (env[k] !== undefined) out[k] = env[k];
  return out;
}

/** Spawns the agent (detached, outlives us) and returns its pid; does not wait. */
export function spawnAgent(env: NodeJS.ProcessEnv): number | undefined {
  const child = spawn(process.execPath, [helperBin, 'agent-run'], { detached: true, stdio: 'ignore', env: agentEnv(env), cwd: '/' });
  child.on('error', () => {});
  child.unref();
  return child.pid;
}

/** Waits until the socket exists (polling; the agent needs ~50 ms to start), false after `timeoutMs`. */
export async function waitForSocket(env: NodeJS.ProcessEnv, timeoutMs = 1500, signal?: AbortSignal): Promise<boolean> {
  const path = agentSocketPath(env);
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && !signal?.aborted) {
    if (lstatSync(path, { throwIfNoEntry: false })?.isSocket()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}
