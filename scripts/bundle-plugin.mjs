#!/usr/bin/env node
// Bundles a TypeScript plugin into ONE self-contained executable file (`#!/usr/bin/env node`, an
// ES module: plugin mains use top-level await, and Node ≥ 20.19 detects module syntax in an
// extensionless file wherever it is installed): installing it needs nothing else. Usage:
//   node scripts/bundle-plugin.mjs <entry.ts> <out-file>      one plugin
//   node scripts/bundle-plugin.mjs --examples                 every examples/plugins/<name>/main.ts
//                                                             → examples/plugins/dist/bundles/ocm-plugin-<name>
// `ocm-ts/plugin` resolves to this checkout's sources (src/plugin/sdk), so a bundle never depends
// on a built dist/.
import { chmodSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export async function bundlePlugin(entry, outFile) {
  const { build } = await import('esbuild');
  const tmp = `${outFile}.tmp-${process.pid}`;
  try {
    const r = await build({
      entryPoints: [entry],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      // CommonJS dependencies bundled into an ES module still call require() for node builtins.
      banner: { js: "#!/usr/bin/env node\nimport { createRequire as __ocmCreateRequire } from 'node:module';\nconst require = __ocmCreateRequire(import.meta.url);" },
      alias: { 'ocm-ts/plugin': join(root, 'src', 'plugin', 'sdk', 'index.ts') },
      legalComments: 'none',
      logLevel: 'silent',
      // Reproducible: same sources, same bytes (no absolute paths, no timestamps).
      sourcemap: false,
      absWorkingDir: root,
    });
    for (const w of r.warnings) process.stderr.write(`bundle ${entry}: ${w.text}\n`);
    chmodSync(tmp, 0o755);
    renameSync(tmp, outFile);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return outFile;
}

async function main(args) {
  if (args[0] === '--examples') {
    const base = join(root, 'examples', 'plugins');
    const out = join(base, 'dist', 'bundles');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out, { recursive: true });
    for (const name of readdirSync(base).sort()) {
      const entry = join(base, name, 'main.ts');
      if (name === 'dist' || !existsSync(entry)) continue;
      await bundlePlugin(entry, join(out, `ocm-plugin-${name}`));
    }
    return;
  }
  if (args.length !== 2) throw new Error('usage: bundle-plugin.mjs <entry.ts> <out-file> | --examples');
  await bundlePlugin(resolve(args[0]), resolve(args[1]));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`bundle-plugin: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
    process.exit(1);
  });
}
