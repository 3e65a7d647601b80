/**
 * The set-up the air-gap, deploy and controller end-to-end tests share: a temp directory, a source
 * registry and an "air-gapped" registry (plain docker-registry on loopback), all stopped by the
 * test's `after` hooks, and an `ocm` runner working in the directory.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runOcm, type CliResult } from './cli.js';
import { tempDir } from './fixtures.js';
import { startRegistry, type RunningRegistry } from './registry.js';

export interface AirGapWorld {
  readonly dir: string;
  readonly src: RunningRegistry;
  readonly gap: RunningRegistry;
  /** A path inside `dir`. */
  p(name: string): string;
  ocm(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  /** `ocm` that must exit 0 (the assertion names the command and its stderr). */
  ok(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
}

export async function airGapWorld(t: { after(fn: () => unknown): void }): Promise<AirGapWorld> {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const src = await startRegistry({ auth: 'none' });
  t.after(() => src.stop());
  const gap = await startRegistry({ auth: 'none' });
  t.after(() => gap.stop());
  const ocm = (args: string[], env?: NodeJS.ProcessEnv) => runOcm(args, { cwd: dir.path, ...(env ? { env } : {}) });
  return {
    dir: dir.path,
    src,
    gap,
    p: (name) => join(dir.path, name),
    ocm,
    async ok(args, env) {
      const r = await ocm(args, env);
      assert.equal(r.code, 0, `ocm ${args.join(' ')}: ${r.stderr}`);
      return r;
    },
  };
}
