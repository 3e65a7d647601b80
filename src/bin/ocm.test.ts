/**
 * dist/bin/ocm.js runs the CLI bundle (scripts/bundle-cli.mjs) when it is current and the compiled
 * modules otherwise. The fallbacks are exercised in a copy of dist/, never in the real one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ocmBin, repoRoot, tempDir } from '../testing/fixtures.js';

const run = promisify(execFile);

/** Runs `node <bin> ...args`; never throws (exit code, stdout and stderr are the result). */
async function ocm(bin: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env: { ...process.env, OCM_CONFIG: '' } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const { code, stdout, stderr } = e as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

/** A copy of the shipped part of dist/ (no tests, no test kit) that resolves packages from this checkout. */
async function distCopy(t: { after(fn: () => Promise<void>): void }): Promise<{ bin: string; bundle: string; compiledMain: string }> {
  const dir = await tempDir('ocm-ts-bin-');
  t.after(dir.dispose);
  await cp(join(repoRoot, 'dist'), join(dir.path, 'dist'), {
    recursive: true,
    preserveTimestamps: true,
    filter: (src) => !/\.test\.js$|\.d\.ts$/.test(src) && !src.startsWith(join(repoRoot, 'dist', 'testing')),
  });
  await writeFile(join(dir.path, 'package.json'), '{ "type": "module", "private": true }\n');
  await symlink(join(repoRoot, 'node_modules'), join(dir.path, 'node_modules'), 'dir');
  return { bin: join(dir.path, 'dist', 'bin', 'ocm.js'), bundle: join(dir.path, 'dist', 'cli', 'bundle'), compiledMain: join(dir.path, 'dist', 'cli', 'main.js') };
}

test('the build writes the CLI bundle and the bin runs (root help, a verb help)', async () => {
  assert.ok(existsSync(join(repoRoot, 'dist', 'cli', 'bundle', 'main.js')), 'dist/cli/bundle/main.js: npm run build bundles the CLI');
  const root = await ocm(ocmBin, ['--help']);
  assert.equal(root.code, 0, root.stderr);
  assert.match(root.stdout, /^Usage: ocm /);
  const verb = await ocm(ocmBin, ['transfer', 'cv', '--help']);
  assert.equal(verb.code, 0, verb.stderr);
  assert.match(verb.stdout, /--progress/);
});

test('a current bundle is what the bin runs', async (t) => {
  const d = await distCopy(t);
  await writeFile(join(d.bundle, 'main.js'), "process.stdout.write('from the bundle\\n');\nprocess.exit(0);\n");
  const r = await ocm(d.bin, ['--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'from the bundle\n');
});

test('without a bundle (only tsc ran), the bin runs the compiled modules', async (t) => {
  const d = await distCopy(t);
  await rm(d.bundle, { recursive: true });
  const help = await ocm(d.bin, ['--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: ocm /);
  // Errors still take the CLI's one-line form (run.js of the compiled modules).
  const bad = await ocm(d.bin, ['get', 'cv', 'nowhere-at-all//acme.org/x:1.0.0']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /^Error: .* \[[A-Z_]+\]$/m);
});

test('a bundle older than the compiled modules (tsc ran after the build) is ignored', async (t) => {
  const d = await distCopy(t);
  await writeFile(join(d.bundle, 'main.js'), "process.stdout.write('from the stale bundle\\n');\nprocess.exit(0);\n");
  const compiled = await stat(d.compiledMain);
  const older = new Date(compiled.mtimeMs - 60_000);
  await utimes(join(d.bundle, 'main.js'), older, older);
  const r = await ocm(d.bin, ['--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: ocm /);
});

test('a current bundle that fails to load is an error, not a silent fallback', async (t) => {
  const d = await distCopy(t);
  await mkdir(d.bundle, { recursive: true });
  await writeFile(join(d.bundle, 'main.js'), "import './chunk-gone.js';\n");
  const r = await ocm(d.bin, ['--help']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /chunk-gone\.js/);
});
