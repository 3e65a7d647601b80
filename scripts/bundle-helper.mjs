#!/usr/bin/env node
// Bundles the credential helper's start-up path (dist/bin/ocm-credential-helper.js and the modules
// a cache hit needs) into one CommonJS file, dist/bin/ocm-credential-helper.cjs: the package's
// `ocm-credential-helper` bin. A CommonJS entry skips Node's ES module loader start-up and one
// file skips per-module resolution, ~25 ms of a ~120 ms cache hit on this machine
// (bench/credential-helper.bench.mjs). Everything a miss needs stays behind dynamic imports of the
// compiled ES modules in dist/, so the bundle is small and a miss loads exactly what it did.
import { build } from 'esbuild';
import { chmodSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'bin', 'ocm-credential-helper.cjs');
const tmp = `${out}.tmp-${process.pid}`;

/** Dynamic imports stay dynamic: rewritten to the compiled module's path relative to the bundle. */
const lazyImports = {
  name: 'lazy-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (a) => {
      if (a.kind !== 'dynamic-import') return undefined;
      let rel = relative(dirname(out), resolve(a.resolveDir, a.path));
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return { path: rel, external: true };
    });
  },
};

try {
  await build({
    entryPoints: [join(root, 'dist', 'bin', 'ocm-credential-helper.js')],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    plugins: [lazyImports],
    legalComments: 'none',
    logLevel: 'warning',
  });
  chmodSync(tmp, 0o755);
  renameSync(tmp, out);
} catch (e) {
  rmSync(tmp, { force: true });
  process.stderr.write(`bundle-helper: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
  process.exit(1);
}
