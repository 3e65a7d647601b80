// Credential resolution at scale: 10,000 configured consumers, per-lookup median and p99 (each
// lookup timed on its own), plus config load (read + YAML parse) and graph build time.
// Two shapes: spread over 1,000 hosts, and all on one host (the bucket a lookup scans is largest).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, writeSection, fmt, repoRoot } from './lib.mjs';

const { loadConfig, createCredentialGraph } = await import(join(repoRoot, 'dist', 'credentials', 'index.js'));

const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 100_000);
const work = mkdtempSync(join(tmpdir(), 'ocm-bench-creds-'));

function consumer(identity, user) {
  const id = Object.entries(identity).map(([k, v]) => `${k}: "${v}"`).join(', ');
  return `  - identity: {${id}}\n    credentials: [{type: Credentials/v1, properties: {username: ${user}, password: pw}}]\n`;
}

function writeConfig(name, consumers) {
  const file = join(work, name);
  writeFileSync(file, `type: generic.config.ocm.software/v1\nconfigurations:\n- type: credentials.config.ocm.software\n  consumers:\n${consumers.join('')}`, { mode: 0o600 });
  return file;
}

// Shape A: 1,000 hosts × 10 consumers (host-only, 5 literal paths, 3 one-level globs, */*).
const spread = [];
for (let h = 0; h < 1000; h++) {
  const hostname = `reg${h}.example.com`;
  spread.push(consumer({ type: 'OCIRegistry', hostname }, `host${h}`));
  for (let j = 0; j < 5; j++) spread.push(consumer({ type: 'OCIRegistry', hostname, path: `org${j}/repo${j}` }, `lit${h}-${j}`));
  for (let j = 0; j < 3; j++) spread.push(consumer({ type: 'OCIRegistry', hostname, path: `team${j}/*` }, `glob${h}-${j}`));
  spread.push(consumer({ type: 'OCIRegistry', hostname, path: '*/*' }, `wild${h}`));
}
// Shape B: one host, 9,000 literal paths + 999 globs + host-only.
const single = [consumer({ type: 'OCIRegistry', hostname: 'ghcr.io' }, 'host')];
for (let i = 0; i < 9000; i++) single.push(consumer({ type: 'OCIRegistry', hostname: 'ghcr.io', path: `org${i % 300}/repo${i}` }, `lit${i}`));
for (let i = 0; i < 999; i++) single.push(consumer({ type: 'OCIRegistry', hostname: 'ghcr.io', path: `team${i}/*` }, `glob${i}`));

// The same spread config as JSON (the Go CLI reads both): the JSON fast path skips the YAML parser.
function writeJsonConfig(name) {
  const consumers = [];
  for (let h = 0; h < 1000; h++) {
    const hostname = `reg${h}.example.com`;
    const paths = [undefined, ...[0, 1, 2, 3, 4].map((j) => `org${j}/repo${j}`), ...[0, 1, 2].map((j) => `team${j}/*`), '*/*'];
    for (const path of paths) consumers.push({ identity: { type: 'OCIRegistry', hostname, ...(path ? { path } : {}) }, credentials: [{ type: 'Credentials/v1', properties: { username: 'u', password: 'pw' } }] });
  }
  const file = join(work, name);
  writeFileSync(file, JSON.stringify({ type: 'generic.config.ocm.software/v1', configurations: [{ type: 'credentials.config.ocm.software', consumers }] }), { mode: 0o600 });
  return file;
}

const shapes = [
  {
    name: '1,000 hosts × 10 consumers',
    file: writeConfig('spread.yaml', spread),
    lookups: [
      ['exact (literal path)', (r) => ({ type: 'OCIRegistry', hostname: `reg${r(1000)}.example.com`, path: `org${r(5)}/repo${r(5)}` })],
      ['glob (team*/x: 3 candidates)', (r) => ({ type: 'OCIRegistry', hostname: `reg${r(1000)}.example.com`, path: `team${r(3)}/x${r(100)}` })],
      ['host-only (deep path)', (r) => ({ type: 'OCIRegistry', hostname: `reg${r(1000)}.example.com`, path: `a/b/c${r(100)}` })],
      ['no match (unknown host)', (r) => ({ type: 'OCIRegistry', hostname: `other${r(1000)}.io`, path: 'x/y' })],
    ],
  },
  {
    name: '1,000 hosts × 10 consumers, JSON file',
    file: writeJsonConfig('spread.json'),
    lookups: [],
  },
  {
    name: '10,000 consumers on one host',
    file: writeConfig('single.yaml', single),
    lookups: [
      ['exact (literal path)', (r) => { const i = r(9000); return { type: 'OCIRegistry', hostname: 'ghcr.io', path: `org${i % 300}/repo${i}` }; }],
      ['glob (team<i>/*)', (r) => ({ type: 'OCIRegistry', hostname: 'ghcr.io', path: `team${r(999)}/x` })],
      ['host-only (no entry for path)', (r) => ({ type: 'OCIRegistry', hostname: 'ghcr.io', path: `nobody/x${r(100)}` })],
      ['scheme+port given (no exact hit)', (r) => { const i = r(9000); return { type: 'OCIRegistry', hostname: 'ghcr.io', scheme: 'https', port: '443', path: `org${i % 300}/repo${i}` }; }],
    ],
  },
];

const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
let seed = 42;
const rand = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
const env = { HOME: join(work, 'home') };

const rows = [];
const loadRows = [];
for (const shape of shapes) {
  const loadMs = [], buildMs = [];
  let graph;
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    const config = await loadConfig({ files: [shape.file], env });
    const t1 = process.hrtime.bigint();
    graph = createCredentialGraph(config, { env, autoDockerConfig: false });
    const t2 = process.hrtime.bigint();
    loadMs.push(Number(t1 - t0) / 1e6);
    buildMs.push(Number(t2 - t1) / 1e6);
  }
  loadRows.push(`| ${shape.name} | ${fmt(q(loadMs, 0.5), 1)} | ${fmt(q(buildMs, 0.5), 1)} |`);
  const all = [];
  for (const [label, make] of shape.lookups) {
    const ids = Array.from({ length: LOOKUPS / shape.lookups.length }, () => make(rand));
    for (let i = 0; i < 2000; i++) await graph.resolve(ids[i % ids.length]); // warm-up
    const us = [];
    let answered = 0;
    for (const id of ids) {
      const t0 = process.hrtime.bigint();
      const c = await graph.resolve(id);
      us.push(Number(process.hrtime.bigint() - t0) / 1e3);
      if (c) answered++;
    }
    all.push(...us);
    rows.push(`| ${shape.name} | ${label} | ${fmt(q(us, 0.5), 2)} | ${fmt(q(us, 0.99), 2)} | ${answered}/${ids.length} |`);
  }
  if (all.length) rows.push(`| ${shape.name} | **all lookups** | **${fmt(q(all, 0.5), 2)}** | **${fmt(q(all, 0.99), 2)}** | |`);
}
rmSync(work, { recursive: true, force: true });

const md = `## Credential resolution (\`bench/credentials.bench.mjs\`)

${new Date().toISOString().slice(0, 10)}, ${machine()}. 10,000 configured consumers (\`Credentials/v1\`), ${LOOKUPS.toLocaleString('en')} lookups per shape, each
\`graph.resolve(identity)\` timed on its own (includes the await); goal: median ≤ 20 µs.

| config | lookup kind | median µs | p99 µs | answered |
|---|---|---|---|---|
${rows.join('\n')}

Config load (read + parse of the ~1 MB file; YAML through the \`yaml\` package, JSON through \`JSON.parse\`) and graph build (validation, indexing, cycle and
mutual-match checks), median of 5:

| config | load ms | build ms |
|---|---|---|
${loadRows.join('\n')}

Lookups only scan the configured identities with the same \`type\` and \`hostname\` (the matcher
requires both to be equal), split further by literal path and by the first path segment of globs.
`;
writeSection('credentials', md);
console.log(md);
