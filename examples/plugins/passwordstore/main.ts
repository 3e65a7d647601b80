/**
 * ocm-plugin-passwordstore: a credential repository backed by the Unix password store `pass`
 * (https://www.passwordstore.org/), an example of the ocm-ts plugin SDK.
 *
 * `.ocmconfig` `repositories:` entry `{type: PasswordStore/v1, prefix?: "ocm/", storeDir?, gpgHome?}`
 * resolves host-based consumer identities (OCIRegistry, WebDAV, HTTP, Wget, HelmChartRepository)
 * from the entry `pass show <prefix><candidate>`, the most specific first:
 *   <host>:<port>/<path>, <host>/<path>   for every path prefix, longest first (port only if the identity has one)
 *   <host>:<port>, <host>
 * Entry: first line = password; further `key: value` lines: `username:` (or `user:`, `login:`),
 * `accessToken:`, `refreshToken:`; anything else is ignored (as pass's own conventions).
 * No entry → no credentials (404, which the host reads as "nothing here"). Secrets never travel in
 * process arguments: `pass` decrypts them itself and we read its stdout.
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { PluginError, runPlugin, s, type Identity, type Infer } from 'ocm-ts/plugin';

const PasswordStore = s.object(
  { type: s.string(), prefix: s.string(), storeDir: s.string({ minLength: 1 }), gpgHome: s.string({ minLength: 1 }) },
  { required: ['type'] },
);
type Spec = Infer<typeof PasswordStore>;
const HostIdentity = s.object({ type: s.string(), hostname: s.string(), port: s.string(), scheme: s.string(), path: s.string() }, { required: ['type'] });
const HOST_TYPES = ['OCIRegistry', 'WebDAV', 'HTTP', 'Wget', 'HelmChartRepository'];

/** Bounds: an entry is a few lines; gpg may wait for a passphrase nobody can type. */
const MAX_ENTRY_BYTES = 64 * 1024;
const PASS_TIMEOUT_MS = 30_000;

const storeDirOf = (spec: Spec) => resolve(spec.storeDir ?? process.env.PASSWORD_STORE_DIR ?? join(homedir(), '.password-store'));

/** A value that becomes part of an entry name: one or more plain segments, nothing that climbs out. */
function segmentsOf(value: string, what: string): string[] {
  const segs = value.split('/').filter((x) => x !== '');
  for (const seg of segs) {
    if (seg === '.' || seg === '..' || seg.includes('\0') || seg.includes('\\')) throw new PluginError(400, `invalid ${what} ${JSON.stringify(value)} in the lookup identity`);
  }
  return segs;
}

/** Entry names for an identity, most specific first. */
function candidates(prefix: string, identity: Identity): string[] {
  const [host] = segmentsOf(identity.hostname ?? '', 'hostname');
  if (!host || segmentsOf(identity.hostname!, 'hostname').length !== 1) return [];
  const port = identity.port ? segmentsOf(identity.port, 'port') : [];
  if (port.length > 1) return [];
  const hosts = port.length ? [`${host}:${port[0]}`, host] : [host];
  const path = segmentsOf(identity.path ?? '', 'path');
  const out: string[] = [];
  for (let n = path.length; n > 0; n--) for (const h of hosts) out.push(`${prefix}${h}/${path.slice(0, n).join('/')}`);
  for (const h of hosts) out.push(`${prefix}${h}`);
  return out;
}

/** First line password; `key: value` lines after it (pass's multi-line convention). */
function parseEntry(text: string): Record<string, string> {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const out: Record<string, string> = {};
  if (lines[0]) out.password = lines[0];
  for (const line of lines.slice(1)) {
    const m = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m || m[2] === '') continue;
    const key = m[1]!.toLowerCase();
    if ((key === 'username' || key === 'user' || key === 'login') && out.username === undefined) out.username = m[2]!;
    else if (key === 'accesstoken') out.accessToken = m[2]!;
    else if (key === 'refreshtoken') out.refreshToken = m[2]!;
  }
  return out;
}

/** `pass show <name>` → its stdout; clear lines when pass is missing or gpg fails (never the secret). */
function passShow(spec: Spec, name: string, signal: AbortSignal): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, PASSWORD_STORE_DIR: storeDirOf(spec) };
  if (spec.gpgHome) env.GNUPGHOME = resolve(spec.gpgHome);
  return new Promise((resolvePromise, reject) => {
    const child = spawn('pass', ['show', name], { env, stdio: ['ignore', 'pipe', 'pipe'], signal, timeout: PASS_TIMEOUT_MS });
    const out: Buffer[] = [];
    let size = 0;
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_ENTRY_BYTES) child.kill('SIGKILL');
      else out.push(c);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4096)));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') reject(new PluginError(500, 'pass (the Unix password store) is not installed: install it (Debian: apt-get install pass)'));
      else reject(new PluginError(500, `pass show ${name}: ${e.message}`));
    });
    child.on('close', (code, sig) => {
      if (size > MAX_ENTRY_BYTES) return reject(new PluginError(500, `pass show ${name}: the entry exceeds ${MAX_ENTRY_BYTES} bytes`));
      if (code === 0) return resolvePromise(Buffer.concat(out).toString('utf8'));
      // gpg's own last words (e.g. "decryption failed: No secret key") say what to fix; they hold no secret.
      const why = err.trim().split('\n').filter((l) => l.trim() !== '').slice(-1)[0] ?? (sig ? `killed by ${sig}` : `exit code ${code}`);
      reject(new PluginError(500, `pass show ${name} failed: ${why.trim()} (check gpgHome/GNUPGHOME and that its key can decrypt the store without a prompt)`));
    });
  });
}

await runPlugin({
  capabilities: {
    credentialRepository: {
      types: [{ type: 'PasswordStore/v1', schema: PasswordStore }],
      consumerIdentityTypes: HOST_TYPES.map((type) => ({ type, schema: HostIdentity })),
      // The store needs no credentials of its own: gpg's key (and agent) are its keys.
      consumerIdentity: () => ({}),
      async resolve({ config, identity }, ctx) {
        const spec = config as Spec;
        const dir = storeDirOf(spec);
        if (!(await stat(dir).then((st) => st.isDirectory(), () => false))) {
          throw new PluginError(500, `password store ${dir} does not exist: run "pass init <gpg-id>" or set storeDir / PASSWORD_STORE_DIR`);
        }
        for (const name of candidates(spec.prefix ?? 'ocm/', identity)) {
          // pass keeps <name>.gpg files: look before spawning gpg for every candidate.
          if (!(await stat(join(dir, `${name}.gpg`)).then((st) => st.isFile(), () => false))) continue;
          ctx.log.debug('password store entry found', { entry: name });
          return parseEntry(await passShow(spec, name, ctx.signal));
        }
        throw new PluginError(404, `no password store entry for ${identity.hostname ?? '(no hostname)'}`);
      },
    },
  },
});
