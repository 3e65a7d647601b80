#!/usr/bin/env node
// Bundles the `ocm` CLI (dist/cli/main.js and dist/cli/run.js with everything they reach, commander
// and undici included) into ES module chunks under dist/cli/bundle/, which dist/bin/ocm.js loads.
// Unbundled, a no-op `ocm transfer cv` loads 135 files (69 bundled); each costs resolution, stats
// and a compile.
// Splitting keeps lazy things lazy: every dynamic import() in our code becomes its own chunk, and
// packages loaded with createRequire(import.meta.url)(...) or marked external stay run-time loads
// from node_modules. Output goes to a temp dir renamed into place, so no run sees a half-written
// bundle (dist/bin/ocm.js falls back to the unbundled modules while the directory is absent).
// dist/cli/bundle/inputs.json maps each chunk to the modules in it (tests read it; not shipped).
import { build } from 'esbuild';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Two levels under dist/ like the modules it bundles: `new URL('../../bin/…', import.meta.url)`
// in the CLI still points at dist/bin.
const out = join(root, 'dist', 'cli', 'bundle');
const tmp = `${out}.tmp-${process.pid}`;
const old = `${out}.old-${process.pid}`;

// import() of a bundled CommonJS module yields only `default` (module.exports) from a split chunk
// (esbuild #3245), where Node also derives named exports: `(await import('undici')).Agent` works
// unbundled and is undefined bundled. Such imports must read `.default`; each is listed once checked.
const CJS_DYNAMIC_IMPORTS = new Set([
  'dist/oci/remote/http.js -> undici/lib/dispatcher/agent.js',
  'dist/oci/remote/http.js -> undici/lib/api/api-request.js',
  'dist/proxy/upstream.js -> undici',
]);

function uncheckedCjsImports(metafile) {
  const found = [];
  for (const [file, input] of Object.entries(metafile.inputs)) {
    for (const i of input.imports) {
      if (i.kind !== 'dynamic-import' || i.external || metafile.inputs[i.path]?.format !== 'cjs') continue;
      const edge = `${file} -> ${i.original ?? i.path}`;
      if (!CJS_DYNAMIC_IMPORTS.has(edge)) found.push(edge);
    }
  }
  return found;
}

try {
  const r = await build({
    absWorkingDir: root,
    entryPoints: { main: 'dist/cli/main.js', run: 'dist/cli/run.js' },
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Large or rarely used packages stay in node_modules, loaded when (and if) a command needs them.
    external: ['yaml', 'tar-stream', 'ajv', 'ajv/*', 'cli-progress', '@kubernetes/client-node', 'playwright-core', 'mermaid', 'esbuild'],
    // Bundled CommonJS (commander, undici) still calls require() for Node built-ins.
    banner: { js: "import { createRequire as __ocmCreateRequire } from 'node:module';\nconst require = __ocmCreateRequire(import.meta.url);" },
    chunkNames: 'chunk-[hash]',
    // Whitespace and syntax only: ~2% fewer instructions for `ocm transfer cv` and 2.4 → 1.7 MB.
    // Identifiers stay, so --debug stacks keep function names. keepNames would restore only the
    // names esbuild renames on collision (register2…) and cost as much as minifying saves.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const unchecked = uncheckedCjsImports(r.metafile);
  if (unchecked.length > 0) throw new Error(`import() of bundled CommonJS must read .default, then be listed in CJS_DYNAMIC_IMPORTS: ${unchecked.join(', ')}`);
  const inputs = Object.fromEntries(Object.entries(r.metafile.outputs).map(([file, o]) => [basename(file), Object.keys(o.inputs)]));
  writeFileSync(join(tmp, 'inputs.json'), `${JSON.stringify(inputs, null, 1)}\n`);
  // Swap: the old bundle is moved aside first, so a crash leaves either bundle or none, never a mix.
  rmSync(old, { recursive: true, force: true });
  try {
    renameSync(out, old);
  } catch (e) {
    if (e?.code !== 'ENOENT') throw e;
  }
  renameSync(tmp, out);
  rmSync(old, { recursive: true, force: true });
} catch (e) {
  rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`bundle-cli: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
  process.exit(1);
}
