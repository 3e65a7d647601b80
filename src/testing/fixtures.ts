/**
 * Test-only helpers for locating data. Conformance data is read from `../shared/conformance`
 * when this checkout sits beside it, and otherwise from the project's own copies under
 * `test/fixtures/conformance` (see test/fixtures/README.md for attribution).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is dist/testing/fixtures.js after the build). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `shared/conformance` beside the checkout, if present. */
export const sharedConformanceRoot = resolve(repoRoot, '..', 'shared', 'conformance');

/** The project's own copy of the conformance data. */
export const fixtureConformanceRoot = join(repoRoot, 'test', 'fixtures', 'conformance');

/** Path of a conformance file: the shared original when available, else the project's copy. */
export function conformance(rel: string): string {
  const shared = join(sharedConformanceRoot, rel);
  return existsSync(shared) ? shared : join(fixtureConformanceRoot, rel);
}

/** Path of a project fixture under test/fixtures. */
export function fixture(rel: string): string {
  return join(repoRoot, 'test', 'fixtures', rel);
}

/** The built CLI entry point. */
export const ocmBin = join(repoRoot, 'dist', 'bin', 'ocm.js');

/** Creates a temp directory and returns it with a disposer. */
export async function tempDir(prefix = 'ocm-ts-test-'): Promise<{ path: string; dispose(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}
