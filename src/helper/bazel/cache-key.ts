/**
 * Cache keys of `ocm-credential-helper` (fast path: node builtins only, nothing of the library).
 *
 * Bazel asks once per blob URI, so OCI answers are cached per repository (`oci://host[:port]/repo`),
 * other downloads per exact URI (`uri:<uri>`, query included: a signed URL is its own resource).
 * Every key is prefixed with a fingerprint of what could change the answer (the environment
 * variables the resolver reads, the working directory, and size/mtime/inode of the config files
 * that exist), so an edited `.ocmconfig` or a new token is a miss, never a stale hit.
 */
import { createHash } from 'node:crypto';
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

/** sha256 (hex, 32 chars kept) over the answer-relevant environment, cwd and config file stats. */
export function envFingerprint(env: NodeJS.ProcessEnv, cwd: string, execDir?: string): string {
  const h = createHash('sha256');
  const field = (s: string) => h.update(`${s.length}:${s}`);
  field(cwd);
  for (const name of FINGERPRINT_ENV) field(`${name}=${env[name] ?? '\0'}`);
  // CREDENTIAL_HELPER_* settings change resolution (config file, OCI guessing, ...); STANDALONE only
  // decides whether the cache is used at all, and the agent settings do not change answers.
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith('CREDENTIAL_HELPER_') && !AGENT_ONLY.has(name)) field(`${name}=${env[name] ?? ''}`);
  }
  for (const file of fingerprintFiles(env, cwd, execDir)) {
    const st = statSync(file, { bigint: true, throwIfNoEntry: false });
    field(st ? `${file}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}` : `${file}:-`);
  }
  return h.digest('hex').slice(0, 32);
}

const AGENT_ONLY = new Set([
  'CREDENTIAL_HELPER_STANDALONE', 'CREDENTIAL_HELPER_LOGGING', 'CREDENTIAL_HELPER_AGENT_SOCKET',
  'CREDENTIAL_HELPER_AGENT_PID', 'CREDENTIAL_HELPER_IDLE_TIMEOUT', 'CREDENTIAL_HELPER_PRUNE_INTERVAL',
]);
