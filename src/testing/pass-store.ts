/**
 * Test-only harness: a throw-away Unix password store (`pass`) — a private GNUPGHOME with a
 * passphrase-less key, `pass init` on a private PASSWORD_STORE_DIR, entries via `pass insert -m`
 * (content on stdin, never in argv). `stop()` ends the gpg-agent of that GNUPGHOME (`gpgconf
 * --kill all`, which only reaches the agent bound to that home) and removes everything.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why pass tests cannot run here, or undefined. */
export function passMissing(): string | undefined {
  if (!existsSync('/usr/bin/pass')) return 'pass not installed (apt-get install pass)';
  if (!existsSync('/usr/bin/gpg')) return 'gnupg not installed (apt-get install gnupg)';
  if (!existsSync('/usr/bin/gpgconf')) return 'gpgconf not installed (apt-get install gnupg)';
  return undefined;
}

export interface PassStore {
  readonly dir: string;
  readonly gpgHome: string;
  readonly storeDir: string;
  /** GNUPGHOME and PASSWORD_STORE_DIR for processes that should use this store. */
  readonly env: { GNUPGHOME: string; PASSWORD_STORE_DIR: string };
  /** `pass insert -m -f <name>` with `content` on stdin. */
  insert(name: string, content: string): Promise<void>;
  /** `pass rm -f <name>`. */
  remove(name: string): Promise<void>;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args[0]}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    child.stdin!.end(input ?? '');
  });
}

export async function startPassStore(): Promise<PassStore> {
  const missing = passMissing();
  if (missing) throw new Error(missing);
  // Short path: the agent's socket lives in GNUPGHOME when /run/user/<uid> is absent (108-byte limit).
  const dir = await mkdtemp(join(tmpdir(), 'ocm-pass-'));
  const gpgHome = join(dir, 'g');
  const storeDir = join(dir, 'store');
  const env = { GNUPGHOME: gpgHome, PASSWORD_STORE_DIR: storeDir };
  const stop = async () => {
    await run('gpgconf', ['--kill', 'all'], env).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await mkdir(gpgHome, { mode: 0o700 });
    const uid = 'ocm-ts test <ocm-test@example.invalid>';
    await run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', uid, 'future-default', 'default', 'never'], env);
    const listing = await run('gpg', ['--batch', '--with-colons', '--list-secret-keys'], env);
    const fpr = /^fpr:+([0-9A-F]{40,64}):/m.exec(listing)?.[1];
    if (!fpr) throw new Error('gpg made no key');
    await run('pass', ['init', fpr], env);
    return {
      dir,
      gpgHome,
      storeDir,
      env,
      insert: async (name, content) => void (await run('pass', ['insert', '-m', '-f', name], env, content)),
      remove: async (name) => void (await run('pass', ['rm', '-f', name], env)),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
