#!/usr/bin/env node
// Enforces the layer rule: an import under src/ may point only at the same layer or downwards.
// Layers (low → high) follow shared/spec/design-principles.md §3. `testing/` is test-only:
// only *.test.ts files and testing/ itself may import it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname, 'src');
const rank = {
  runtime: 0, internal: 0, 'version.ts': 0,
  // config: .ocmconfig loading needs only runtime; every layer above may read its typed entries.
  digest: 1, config: 1,
  blob: 2,
  descriptor: 3, 'oci/content': 3,
  'oci/remote': 4, 'oci/layout': 4, ctf: 4,
  credentials: 5,
  // session: config + credentials + type registry for library users (helpers, proxy, controller, CLI).
  session: 5.5,
  repository: 6,
  constructor: 7, signing: 7,
  transfer: 8,
  plugin: 9,
  'index.ts': 10, 'index.test.ts': 10,
  cli: 11, helper: 11, proxy: 11,
  bin: 12,
  testing: 99,
};

function layerOf(file) {
  const rel = relative(root, file).split(sep).join('/');
  const parts = rel.split('/');
  const two = parts.slice(0, 2).join('/');
  if (two in rank) return two;
  if (parts[0] in rank) return parts[0];
  throw new Error(`${rel}: file is in no known layer; add its folder to scripts/check-layers.mjs`);
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const problems = [];
for (const file of walk(root)) {
  const isTest = file.endsWith('.test.ts');
  const from = layerOf(file);
  const src = readFileSync(file, 'utf8');
  const re = /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const m of src.matchAll(re)) {
    const spec = m[1] ?? m[2];
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    const to = layerOf(target);
    if (to === 'testing' && !isTest && from !== 'testing') problems.push(`${relative(root, file)} imports test kit ${spec}`);
    else if (!isTest && from !== 'testing' && rank[to] > rank[from]) {
      problems.push(`${relative(root, file)} (layer ${from}) imports ${spec} (layer ${to}): imports must point downwards`);
    }
  }
}
if (problems.length) {
  console.error(`layer check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('layer check: ok');
