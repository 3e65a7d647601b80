#!/usr/bin/env node
// Checks the import graph under src/ (or the folder given as first argument):
// 1. Layer rule: an import may point only at the same layer or downwards. Layers (low → high)
//    follow shared/spec/design-principles.md §3.
// 2. `testing/` is test-only: only *.test.ts files and testing/ itself may import it.
// 3. Fixtures live in testing/: a library file that only tests import is test code compiled
//    into the shipped dist/, so it must move to testing/ (which the npm tarball leaves out).
// 4. No import cycles between files. Counted edges are the static imports that exist at run time;
//    `import type`/`export type` are erased by the compiler (verbatimModuleSyntax) and dynamic
//    `import()` runs after every module has finished evaluating, so neither can expose a
//    half-initialised module. Lazy `import()` is also how the CLI keeps start-up cheap, so it
//    must stay free to point "back" at a module that imports its caller.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? join(new URL('..', import.meta.url).pathname, 'src'));
const rank = {
  runtime: 0, internal: 0, 'version.ts': 0,
  // config: .ocmconfig loading needs only runtime; every layer above may read its typed entries.
  digest: 1, config: 1,
  blob: 2,
  descriptor: 3, 'oci/content': 3, 'oci/index.ts': 4,
  'oci/remote': 4, 'oci/layout': 4, ctf: 4,
  credentials: 5,
  // session: config + credentials + type registry for library users (helpers, proxy, controller, CLI).
  session: 5.5,
  repository: 6,
  constructor: 7, signing: 7,
  transfer: 8,
  // view: the delivery as a graph, page and SBOM (reads repositories, verifies signatures).
  view: 8.5,
  plugin: 9,
  // deploy: localization + apply + controller (reads repositories, verifies, selects versions).
  deploy: 9.5,
  'index.ts': 10, 'index.test.ts': 10,
  cli: 11, helper: 11, proxy: 11,
  bin: 12,
  testing: 99,
};

// Cycles that existed when the check was introduced and are tolerated until fixed, as
// "a.ts -> b.ts -> a.ts" chains (paths relative to src/, starting at the alphabetically first
// file). Empty: the tree had no run-time cycle then. Add nothing here without a reason beside it.
const ALLOWED_CYCLES = new Set([]);

function layerOf(rel) {
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
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) yield p;
  }
}

const relOf = (file) => relative(root, file).split(sep).join('/');
const isTestFile = (rel) => rel.endsWith('.test.ts') || layerOf(rel) === 'testing';

// Statement-level imports and re-exports (at a line start, so comments and strings rarely match),
// side-effect imports, and dynamic import() anywhere.
const STATIC = /^[ \t]*(import|export)[ \t]+(type[ \t]+)?(?:[^;'"`()=]*?)\bfrom[ \t]*['"](\.[^'"]+)['"]/gm;
const BARE = /^[ \t]*import[ \t]*['"](\.[^'"]+)['"]/gm;
const DYNAMIC = /import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** @returns {{spec: string, kind: 'static' | 'type' | 'dynamic'}[]} */
function importsOf(src) {
  const out = [];
  for (const m of src.matchAll(STATIC)) out.push({ spec: m[3], kind: m[2] ? 'type' : 'static' });
  for (const m of src.matchAll(BARE)) out.push({ spec: m[1], kind: 'static' });
  for (const m of src.matchAll(DYNAMIC)) out.push({ spec: m[1], kind: 'dynamic' });
  return out;
}

const problems = [];
const runtimeEdges = new Map(); // rel -> Set<rel>
const importers = new Map(); // rel -> Set<rel>
const files = [...walk(root)].map(relOf).sort();
for (const rel of files) {
  const from = layerOf(rel);
  const exempt = isTestFile(rel);
  runtimeEdges.set(rel, new Set());
  for (const { spec, kind } of importsOf(readFileSync(join(root, rel), 'utf8'))) {
    const to = relOf(resolve(dirname(join(root, rel)), spec)).replace(/\.js$/, '.ts');
    const toLayer = layerOf(to);
    if (toLayer === 'testing' && !exempt) problems.push(`${rel} imports test kit ${spec}`);
    else if (!exempt && rank[toLayer] > rank[from]) {
      problems.push(`${rel} (layer ${from}) imports ${spec} (layer ${toLayer}): imports must point downwards`);
    }
    if (kind === 'static') runtimeEdges.get(rel).add(to);
    if (!importers.has(to)) importers.set(to, new Set());
    importers.get(to).add(rel);
  }
}

// Entry points (package exports, the CLI binary) are imported from outside src/, so tests may be
// their only importers here.
const isEntry = (rel) => rel === 'index.ts' || rel.endsWith('/index.ts') || rel.startsWith('bin/');
// Test-only means every importer is a test, the test kit or itself test-only (a fixture built on a
// fixture); iterate to the fixpoint.
const testOnly = new Set();
for (let grew = true; grew; ) {
  grew = false;
  for (const rel of files) {
    const by = [...(importers.get(rel) ?? [])];
    if (testOnly.has(rel) || isTestFile(rel) || isEntry(rel) || by.length === 0) continue;
    if (by.every((b) => isTestFile(b) || testOnly.has(b))) { testOnly.add(rel); grew = true; }
  }
}
for (const rel of testOnly) {
  problems.push(`${rel} is imported only by tests (${[...importers.get(rel)].join(', ')}): move it to src/testing/ so it is not shipped`);
}

for (const cycle of findCycles(files, runtimeEdges)) {
  const chain = cycle.join(' -> ');
  if (!ALLOWED_CYCLES.has(chain)) problems.push(`import cycle: ${chain}: move the shared part into a module both import`);
}

/** One shortest cycle per strongly connected component (Tarjan), as a closed chain of files. */
function findCycles(nodes, edges) {
  let index = 0;
  const idx = new Map(), low = new Map(), stack = [], onStack = new Set(), cycles = [];
  const visit = (v) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) !== idx.get(v)) return;
    const scc = [];
    let w;
    do { w = stack.pop(); onStack.delete(w); scc.push(w); } while (w !== v);
    if (scc.length > 1 || edges.get(v).has(v)) cycles.push(shortestCycle(scc.sort()[0], new Set(scc), edges));
  };
  for (const n of nodes) if (!idx.has(n)) visit(n);
  return cycles;
}

function shortestCycle(start, within, edges) {
  const prev = new Map();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of [...edges.get(v)].sort()) {
      if (!within.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = prev.get(u)) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!prev.has(w)) { prev.set(w, v); queue.push(w); }
    }
  }
  return [start, start];
}

if (problems.length) {
  console.error(`layer check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('layer check: ok');
