/**
 * Test-only harness for the malformed-input corpus (src/cli/commands/malformed-corpus*.test.ts):
 * every case runs the real CLI in a fresh sandbox (its own HOME, config dirs, DOCKER_CONFIG,
 * TMPDIR and PATH entry for fake credential helpers) and must fail the documented way: one stderr
 * line `Error: ... [CODE]`, the exit code README documents for that code, no stack, nothing on
 * stdout, and the sandbox byte-for-byte as it was (no new files, no `*.tmp-*`, no target CTF, no
 * `ocm-ctf-*` work dir left in the private TMPDIR).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { runOcm, type CliResult } from './cli.js';
import { tempDir } from './fixtures.js';

/** Exit code per error code, exactly as README "Errors and exit codes" documents it. */
export const DOCUMENTED_EXIT: Readonly<Record<string, number>> = {
  INVALID_ARGUMENT: 2,
  NOT_FOUND: 3,
  PARSE_ERROR: 4,
  VALIDATION_FAILED: 4,
  UNSAFE_PATH: 4,
  CONFIG_ERROR: 4,
  DIGEST_MISMATCH: 5,
  VERIFICATION_FAILED: 5,
  UNAUTHORIZED: 6,
  FORBIDDEN: 6,
  CREDENTIAL_ERROR: 6,
  KEY_ERROR: 6,
  ALREADY_EXISTS: 7,
  UNSUPPORTED: 8,
  LIMIT_EXCEEDED: 9,
  REGISTRY_ERROR: 10,
  NETWORK_ERROR: 10,
  PLUGIN_ERROR: 11,
  TRANSFER_ERROR: 12,
  IO_ERROR: 13,
  INTERNAL: 70,
  ABORTED: 130,
};

export interface Sandbox {
  /** The case's private root (holds all of the below). */
  root: string;
  /** The working directory the CLI runs in. */
  work: string;
  /** $HOME (also holds .config, .docker). */
  home: string;
  /** $TMPDIR of the CLI process. */
  tmp: string;
  /** A directory on the front of $PATH (fake docker-credential-* helpers). */
  bin: string;
  /** A random file name a path-escape case may try to create (checked outside the sandbox). */
  marker: string;
  /** Writes a file relative to `work` (parents created). Returns its absolute path. */
  file(rel: string, content: string | Buffer, mode?: number): Promise<string>;
  /** Writes an executable shell script `bin/<name>`. */
  script(name: string, body: string): Promise<void>;
}

export interface CorpusCase {
  name: string;
  /** Prepares the sandbox; returns the CLI arguments. */
  setup(s: Sandbox): Promise<string[]>;
  /** The expected error code (or the accepted ones where the right code is a judgement call). */
  code: string | readonly string[];
  /** What the one stderr line must say besides the code. */
  message?: RegExp;
  /** A known defect that makes the case fail today: `'<defect> (H<n>)'`. */
  todo?: string;
  /** Kill the CLI after this long (a hang is a defect). Default 30 s. */
  timeoutMs?: number;
  /** Extra environment for the CLI. */
  env?: Record<string, string>;
  /** A secret that must not appear on stdout or stderr. */
  secret?: string;
  /** Extra assertions after the common ones. */
  check?(s: Sandbox, r: CliResult): void | Promise<void>;
}

async function makeSandbox(): Promise<{ s: Sandbox; dispose(): Promise<void> }> {
  const d = await tempDir('ocm-ts-corpus-');
  const root = d.path;
  const s: Sandbox = {
    root,
    work: join(root, 'work'),
    home: join(root, 'home'),
    tmp: join(root, 'tmp'),
    bin: join(root, 'home', 'bin'),
    marker: `ocm-escape-${randomBytes(6).toString('hex')}`,
    async file(rel, content, mode) {
      const p = join(s.work, rel);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, content);
      if (mode !== undefined) await chmod(p, mode);
      return p;
    },
    async script(name, body) {
      const p = join(s.bin, name);
      await writeFile(p, `#!/bin/sh\n${body}\n`);
      await chmod(p, 0o755);
    },
  };
  await Promise.all([s.work, s.tmp, s.bin].map((p) => mkdir(p, { recursive: true })));
  // Some cases make files unreadable or read-only; make sure the sandbox can always be removed.
  const dispose = async () => {
    await rm(root, { recursive: true, force: true }).catch(async () => {
      for (const p of await readdir(root, { recursive: true })) await chmod(join(root, p), 0o700).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    });
  };
  return { s, dispose };
}

/** Every entry under `dir`: directories, symlinks, and files with size and SHA-256. */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    const p = join(dir, name);
    const st = await lstat(p).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) out.set(name, 'dir');
    else if (st.isSymbolicLink()) out.set(name, 'symlink');
    else if (!st.isFile()) out.set(name, 'special');
    else if (st.size > 1024 * 1024 || !(st.mode & 0o444)) out.set(name, `${st.size} bytes, mtime ${st.mtimeMs}`);
    else {
      const h = createHash('sha256');
      for await (const c of createReadStream(p)) h.update(c as Buffer);
      out.set(name, `${st.size} bytes, sha256 ${h.digest('hex')}`);
    }
  }
  return out;
}

function diff(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of after) {
    if (!before.has(k)) out.push(`+ ${k} (${v})`);
    else if (before.get(k) !== v) out.push(`~ ${k} (${before.get(k)} → ${v})`);
  }
  for (const k of before.keys()) if (!after.has(k)) out.push(`- ${k}`);
  return out;
}

/** Runs one case and asserts the common contract. */
export async function runCase(c: CorpusCase): Promise<CliResult> {
  const { s, dispose } = await makeSandbox();
  try {
    const args = await c.setup(s);
    const before = await snapshot(s.root);
    const env: NodeJS.ProcessEnv = {
      HOME: s.home,
      XDG_CONFIG_HOME: join(s.home, '.config'),
      DOCKER_CONFIG: join(s.home, '.docker'),
      OCM_CONFIG: undefined,
      OCM_DEBUG: undefined,
      TMPDIR: s.tmp,
      PATH: `${s.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      ...c.env,
    };
    const r = await runOcm(args, { cwd: s.work, env, timeoutMs: c.timeoutMs ?? 30_000 });
    const codes = typeof c.code === 'string' ? [c.code] : c.code;
    const lines = r.stderr.trimEnd().split('\n');
    const context = `exit ${r.code}, stderr:\n${r.stderr}`;
    assert.equal(lines.length, 1, `exactly one stderr line; ${context}`);
    const m = /^Error: .+ \[([A-Z_]+)\]$/.exec(lines[0]!);
    assert.ok(m, `one line "Error: ... [CODE]"; ${context}`);
    assert.ok(codes.includes(m[1]!), `code ${m[1]} is one of ${codes.join(', ')}; ${context}`);
    assert.equal(r.code, DOCUMENTED_EXIT[m[1]!], `the documented exit code for ${m[1]}; ${context}`);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    if (c.message) assert.match(lines[0]!, c.message);
    assert.equal(r.stdout, '', 'nothing on stdout');
    if (c.secret) assert.ok(!r.stderr.includes(c.secret) && !r.stdout.includes(c.secret), 'the secret is not printed');
    assert.deepEqual(diff(before, await snapshot(s.root)), [], 'the sandbox (inputs, targets, HOME, TMPDIR) is unchanged');
    for (const outside of [join(tmpdir(), s.marker), join(s.root, '..', s.marker), join(s.work, '..', s.marker)]) {
      await assert.rejects(lstat(outside), `nothing written outside the sandbox (${outside})`);
    }
    await c.check?.(s, r);
    return r;
  } finally {
    await dispose();
  }
}

/** Registers the cases as tests of one describe block, `concurrency` CLI runs at a time. */
export function corpus(title: string, cases: readonly CorpusCase[], options: { concurrency?: number } = {}): void {
  const names = new Set<string>();
  for (const c of cases) {
    assert.ok(!names.has(c.name), `duplicate case name ${c.name}`);
    names.add(c.name);
  }
  describe(title, { concurrency: options.concurrency ?? 4 }, () => {
    for (const c of cases) {
      const codes = typeof c.code === 'string' ? c.code : c.code.join('|');
      test(`${c.name} → ${codes}`, c.todo ? { todo: c.todo } : {}, async () => {
        await runCase(c);
      });
    }
  });
}

/** A YAML "billion laughs": `levels` anchors, each a list of ten aliases of the one before (10^levels strings). */
export function aliasBombLines(levels: number): string[] {
  const names = 'abcdefghij';
  const out = [`a: &a [${Array(10).fill('"x"').join(',')}]`];
  for (let i = 1; i < levels; i++) out.push(`${names[i]}: &${names[i]} [${Array(10).fill(`*${names[i - 1]}`).join(',')}]`);
  return out;
}
