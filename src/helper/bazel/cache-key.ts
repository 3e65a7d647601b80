/**
 * Cache keys of `ocm-credential-helper` (fast path: node builtins only, nothing of the library).
 *
 * Bazel asks once per blob URI, so OCI answers are cached per repository (`oci://host[:port]/repo`),
 * other downloads per exact URI (`uri:<uri>`, query included: a signed URL is its own resource).
 * Every key is prefixed with a fingerprint of what could change the answer (the environment
 * variables the resolver reads, the working directory, and size/mtime/inode of the config files
 * that exist), so an edited `.ocmconfig` or a new token is a miss, never a stale hit.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const OCI_PATH = /^\/v2\/(.+?)\/(?:blobs|manifests|tags|referrers)(?:\/|$)/;

/** `oci://<host[:port]>/<repo>` for an OCI distribution URI, else undefined. */
export function repositoryKey(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return undefined;
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.username || u.password) return undefined;
  const m = OCI_PATH.exec(u.pathname);
  if (!m) return undefined;
  // Scheme is part of the key: an http:// registry must never be answered with an https:// entry's headers.
  return `oci://${u.protocol === 'http:' ? 'http+' : ''}${u.host}/${m[1]}`;
}

/** `uri:<uri>` (the whole URI, query included). */
export function uriKey(uri: string): string {
  return `uri:${uri}`;
}

/** The keys a `get` for `uri` may be answered from, most general first. */
export function candidateKeys(uri: string): string[] {
  const repo = repositoryKey(uri);
  return repo ? [repo, uriKey(uri)] : [uriKey(uri)];
}

/** The key a resolution is stored under (its scope decides; `none` is never stored). */
export function storeKey(uri: string, scope: 'repository' | 'uri' | 'none'): string | undefined {
  if (scope === 'none') return undefined;
  return (scope === 'repository' ? repositoryKey(uri) : undefined) ?? uriKey(uri);
}

/** Environment variables whose value changes what `get` answers. */
const FINGERPRINT_ENV = [
  'HOME', 'XDG_CONFIG_HOME', 'OCM_CONFIG', 'DOCKER_CONFIG', 'REGISTRY_AUTH_FILE', 'XDG_RUNTIME_DIR',
  'GHCR_TOKEN', 'GH_TOKEN', 'GITHUB_TOKEN', 'GITHUB_ACTOR', 'BUILD_WORKSPACE_DIRECTORY',
];

/**
 * Config files whose content decides the answer: the 11 `.ocmconfig` discovery candidates (same
 * order as `config/load.ts` configSearchPaths, re-listed here so the fast path does not load the
 * config layer; a test keeps the two in step), the docker and containers auth files, and the
 * tweag-compatible config.
 */
export function fingerprintFiles(env: NodeJS.ProcessEnv, cwd: string, execDir?: string): string[] {
  const home = env.HOME || homedir();
  const out: string[] = [];
  if (env.OCM_CONFIG) out.push(env.OCM_CONFIG);
  if (env.XDG_CONFIG_HOME) out.push(join(env.XDG_CONFIG_HOME, 'ocm', 'config'), join(env.XDG_CONFIG_HOME, '.ocmconfig'));
  out.push(join(home, '.config', 'ocm', 'config'), join(home, '.config', '.ocmconfig'), join(home, '.ocm', 'config'), join(home, '.ocmconfig'));
  out.push(join(cwd, '.ocm', 'config'), join(cwd, '.ocmconfig'));
  if (execDir) out.push(join(execDir, '.ocm', 'config'), join(execDir, '.ocmconfig'));
  out.push(join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json'));
  if (env.REGISTRY_AUTH_FILE) out.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  out.push(env.CREDENTIAL_HELPER_CONFIG_FILE || join(env.BUILD_WORKSPACE_DIRECTORY || cwd, '.tweag-credential-helper.json'));
  return out;
}

/**
 * A 128-bit hash (hex) over the answer-relevant environment, cwd and config file stats. Not
 * sha256: loading node:crypto costs more than the whole rest of a cache hit (measured 7–10 ms of a
 * ~40 ms start), and the input is the user's own environment, not an adversary's, so a fast
 * non-cryptographic 4×32-bit mix (cyrb128-style) suffices; it also keeps token values out of keys.
 */
export function envFingerprint(env: NodeJS.ProcessEnv, cwd: string, execDir?: string): string {
  const parts: string[] = [];
  const field = (s: string) => parts.push(`${s.length}:${s}`);
  field(cwd);
  for (const name of FINGERPRINT_ENV) field(`${name}=${env[name] ?? '\0'}`);
  // CREDENTIAL_HELPER_* settings change resolution (config file, OCI guessing, ...); STANDALONE only
  // decides whether the cache is used at all, and the agent settings do not change answers.
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith('CREDENTIAL_HELPER_') && !AGENT_ONLY.has(name)) field(`${name}=${env[name] ?? ''}`);
  }
  field(execDir ?? '');
  // The paths follow from the fields above; only what is at them is added (keeps the hashed text short).
  for (const file of fingerprintFiles(env, cwd, execDir)) {
    const st = statSync(file, { bigint: true, throwIfNoEntry: false });
    field(st ? `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}` : '-');
  }
  return hash128(parts.join('\n'));
}

/** cyrb128 (bryc, public domain): four 32-bit lanes over UTF-16 code units. */
export function hash128(text: string): string {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('');
}

const AGENT_ONLY = new Set([
  'CREDENTIAL_HELPER_STANDALONE', 'CREDENTIAL_HELPER_LOGGING', 'CREDENTIAL_HELPER_AGENT_SOCKET',
  'CREDENTIAL_HELPER_AGENT_PID', 'CREDENTIAL_HELPER_IDLE_TIMEOUT', 'CREDENTIAL_HELPER_PRUNE_INTERVAL',
]);
