/**
 * `ocm credential-helper install`: the lines that make Bazel, docker and containers/image (podman,
 * skopeo, buildah) ask the ocm helpers, printed, or merged into the files with `--write`. Merging
 * keeps every other key and line; a file that is not valid JSON is refused, never rewritten (and
 * nothing is backed up behind the user's back). Writes are atomic (temp + rename).
 */
import { constants } from 'node:fs';
import { access, mkdir, open, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import { writeFileAtomic } from '../../internal/atomic.js';
import { hostKey, parseServerUrl, type ServerAddress } from '../../helper/docker/server-url.js';

export const DOCKER_HELPER_SUFFIX = 'ocm';
const MAX_FILE_BYTES = 4 * 1024 * 1024;

export interface InstallTargets {
  bazelrc: string;
  dockerConfig: string;
  containersAuth: string;
}

/** Where `--write` writes: `~/.bazelrc` (the helper path is per machine, not per workspace), docker's and containers' auth files. */
export function installTargets(env: NodeJS.ProcessEnv): InstallTargets {
  const home = env.HOME || homedir();
  const containersAuth = env.REGISTRY_AUTH_FILE
    ? env.REGISTRY_AUTH_FILE
    : env.XDG_RUNTIME_DIR
      ? join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json')
      : join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'auth.json');
  return {
    bazelrc: join(home, '.bazelrc'),
    dockerConfig: join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json'),
    containersAuth,
  };
}

/** `--hosts a,b:5000` → addresses; INVALID_ARGUMENT naming the bad one. */
export function parseHosts(text: string): ServerAddress[] {
  const out: ServerAddress[] = [];
  for (const h of text.split(',').map((s) => s.trim()).filter(Boolean)) out.push(parseServerUrl(h));
  if (out.length === 0) throw new OcmError(ErrorCode.INVALID_ARGUMENT, '--hosts is empty; give registry hosts like ghcr.io,127.0.0.1:5000');
  return out;
}

/** An executable on PATH, as an absolute path. */
export async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const p = join(dir, name);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** `--helper-path`, else `ocm-credential-helper` on PATH, else this package's own bin file. */
export async function bazelHelperPath(given: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  if (given) return resolve(cwd, given);
  return (await onPath('ocm-credential-helper', env)) ?? fileURLToPath(new URL('../../bin/ocm-credential-helper.cjs', import.meta.url));
}

const IP_RE = /^(\d+\.){3}\d+$|:/;

/**
 * `.bazelrc` lines. Bazel scopes are DNS names without port (spec auth §A.2), so ports collapse
 * and IP literals cannot be scoped (a comment says so). No `--credential_helper_cache_duration`:
 * the helper sends `expires`, and since Bazel 7.1 the flag only applies to answers without it.
 */
export function bazelLines(hosts: readonly ServerAddress[], helperPath: string): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const h of hosts) {
    const scopes = h.hub ? ['index.docker.io', 'registry-1.docker.io'] : [h.hostname];
    for (const scope of scopes) {
      if (seen.has(scope)) continue;
      seen.add(scope);
      if (IP_RE.test(scope)) lines.push(`# ${scope}: Bazel scopes are DNS names; an IP address cannot be scoped (use a host name for it)`);
      else lines.push(`common --credential_helper=${scope}=${helperPath}`);
    }
  }
  return lines;
}

/** docker's key (Hub under its v1 URL) and containers/image's key (Hub as docker.io). */
export const dockerKey = (h: ServerAddress) => (h.hub ? 'https://index.docker.io/v1/' : hostKey(h));
export const containersKey = (h: ServerAddress) => hostKey(h);

export function credHelpersFragment(keys: readonly string[]): string {
  const credHelpers: Record<string, string> = {};
  for (const k of keys) credHelpers[k] = DOCKER_HELPER_SUFFIX;
  return `${JSON.stringify({ credHelpers }, null, 2)}\n`;
}

async function readIfExists(path: string): Promise<{ text: string; mode: number } | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OcmError(ErrorCode.IO_ERROR, `${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new OcmError(ErrorCode.CONFIG_ERROR, `${path} is not a regular file`);
    if (st.size > MAX_FILE_BYTES) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `${path} is larger than ${MAX_FILE_BYTES} bytes`);
    return { text: await fh.readFile('utf8'), mode: st.mode & 0o777 };
  } finally {
    await fh.close();
  }
}

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, text, { mode });
}

export interface MergeResult {
  path: string;
  added: string[];
  /** Keys whose helper was another one before (key, previous helper); the helper name is no secret. */
  replaced: [string, string][];
  /** Registries that also have an `auths` entry, which docker ignores once a credHelpers entry exists. */
  shadowed: string[];
}

/** Sets `credHelpers[key] = "ocm"` for every key; every other key of the file stays as it was. */
export async function mergeCredHelpers(path: string, keys: readonly string[]): Promise<MergeResult> {
  const existing = await readIfExists(path);
  let doc: Record<string, unknown> = {};
  if (existing && existing.text.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing.text);
    } catch {
      parsed = undefined;
    }
    // Never quote the content: auth files hold secrets.
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new OcmError(ErrorCode.CONFIG_ERROR, `${path} is not a valid JSON object; fix it, or add the printed credHelpers entries by hand (run without --write)`);
    }
    doc = parsed as Record<string, unknown>;
  }
  const helpers = doc.credHelpers ?? {};
  if (typeof helpers !== 'object' || helpers === null || Array.isArray(helpers)) {
    throw new OcmError(ErrorCode.CONFIG_ERROR, `${path}: "credHelpers" is not an object; fix it before running with --write`);
  }
  const h = helpers as Record<string, unknown>;
  const auths = typeof doc.auths === 'object' && doc.auths !== null ? (doc.auths as Record<string, unknown>) : {};
  const result: MergeResult = { path, added: [], replaced: [], shadowed: [] };
  for (const k of keys) {
    if (h[k] === DOCKER_HELPER_SUFFIX) continue;
    if (typeof h[k] === 'string' && h[k] !== '') result.replaced.push([k, h[k] as string]);
    h[k] = DOCKER_HELPER_SUFFIX;
    result.added.push(k);
    if (Object.hasOwn(auths, k)) result.shadowed.push(k);
  }
  if (result.added.length === 0) return result;
  doc.credHelpers = h;
  await writeAtomic(path, `${JSON.stringify(doc, null, 2)}\n`, existing?.mode ?? 0o600);
  return result;
}

/** Appends the lines `.bazelrc` does not have yet; returns the ones added. */
export async function mergeBazelrc(path: string, lines: readonly string[]): Promise<string[]> {
  const existing = await readIfExists(path);
  const have = new Set((existing?.text ?? '').split('\n').map((l) => l.trim()));
  const add = lines.filter((l) => !l.startsWith('#') && !have.has(l));
  if (add.length === 0) return [];
  let text = existing?.text ?? '';
  if (text !== '' && !text.endsWith('\n')) text += '\n';
  text += `# added by ocm credential-helper install\n${add.join('\n')}\n`;
  await writeAtomic(path, text, existing?.mode ?? 0o644);
  return add;
}

/** True when a path exists (for notes about what is missing). */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
