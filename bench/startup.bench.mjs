// Start-up time is a feature: `ocm --version`, `ocm --help`, a first real command and the fixed cost of
// `ocm transfer cv` against bare `node -e 0`, median and p90 of N runs each, interleaved so machine noise
// hits all alike. BENCH_BASELINE_BIN=<other dist/bin/ocm.js> (e.g. a worktree of an older commit) adds
// that build's medians, measured in the same interleaved loop, as a "before" column.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ocmBin, machine, writeSection, fmt } from './lib.mjs';

const N = Number(process.env.BENCH_RUNS ?? 30);
const baselineBin = process.env.BENCH_BASELINE_BIN;
const work = mkdtempSync(join(tmpdir(), 'ocm-bench-startup-'));
writeFileSync(join(work, 'component-constructor.yaml'),
  'name: acme.org/bench/startup\nversion: 1.0.0\nprovider:\n  name: acme.org\nresources:\n  - name: text\n    type: plainText\n    input:\n      type: utf8\n      text: hello\n');
const ctf = join(work, 'ctf');
const cv = 'acme.org/bench/startup:1.0.0';
const made = spawnSync(process.execPath, [ocmBin, 'add', 'cv', '-c', join(work, 'component-constructor.yaml'), '-r', ctf], { stdio: 'ignore' });
if (made.status !== 0) throw new Error('could not create the bench CTF');

// Every run of a row gets a fresh target path (created by the real transfer, removed after timing).
let seq = 0;
const freshTarget = () => join(work, `target-${seq++}`);
const ocmCases = [
  ['ocm --version', () => ['--version']],
  ['ocm --help', () => ['--help']],
  ['ocm get cv (CTF, table)', () => ['get', 'cv', `${ctf}//${cv}`]],
  ['ocm transfer cv --dry-run (CTF → new CTF)', () => ['transfer', 'cv', `${ctf}//${cv}`, freshTarget(), '--dry-run']],
  ['ocm transfer cv (CTF → new CTF, 1 tiny CV)', () => ['transfer', 'cv', `${ctf}//${cv}`, freshTarget(), '-q']],
];
const bins = [['', ocmBin], ...(baselineBin ? [['before', baselineBin]] : [])];
const cases = [['node -e 0 (baseline)', '', () => ['-e', '0']]];
for (const [name, args] of ocmCases) for (const [tag, bin] of bins) cases.push([name, tag, () => [bin, ...args()]]);

const samples = cases.map(() => []);
const loadBefore = loadavg()[0];
for (let i = 0; i < N; i++) {
  cases.forEach(([name, , args], k) => {
    const a = args();
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, a, { stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${name}: node ${a.join(' ')} exited ${r.status}`);
    samples[k].push(ms);
    for (const p of a) if (p.startsWith(join(work, 'target-'))) rmSync(p, { recursive: true, force: true });
  });
}
const loadAfter = loadavg()[0];
rmSync(work, { recursive: true, force: true });

const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const base = q(samples[0], 0.5);
const median = (name, tag) => q(samples[cases.findIndex(([n, t]) => n === name && t === tag)], 0.5);
const rows = cases.filter(([, tag]) => tag === '').map(([name], k0) => {
  const k = cases.findIndex(([n, t]) => n === name && t === '');
  const m = q(samples[k], 0.5);
  const before = baselineBin ? (k0 > 0 ? ` ${fmt(median(name, 'before'), 1)} |` : ' |') : '';
  return `| ${name} |${before} ${fmt(m, 1)} | ${fmt(q(samples[k], 0.9), 1)} | ${fmt(m - base, 1)} | ${fmt(m / base)} |`;
});
const beforeHead = baselineBin ? ' before: median ms |' : '';
const md = `## Start-up time (\`bench/startup.bench.mjs\`)

${new Date().toISOString().slice(0, 10)}, ${machine()}. ${N} interleaved runs each; 1-min load average ${loadBefore.toFixed(1)} at start, ${loadAfter.toFixed(1)} at end.${baselineBin ? ' "before" is the build in BENCH_BASELINE_BIN, measured in the same loop.' : ''}

| command |${beforeHead} median ms | p90 ms | over bare node (ms) | ratio to bare node |
|${baselineBin ? '---|' : ''}---|---|---|---|---|
${rows.join('\n')}

What start-up costs and what was done about it: almost all of a small command's time is module loading (ESM
resolution plus CommonJS packages; a project module costs ~1 ms, \`yaml\` is 72 CommonJS files, ~35-45 ms).
The descriptor JSON-schema validator is generated ahead of time (\`npm run gen:schema\`, ajv standalone code in
\`src/descriptor/schema-v2.validator.ts\`), so no run compiles the schema or loads ajv's compiler (~0.15-0.3 s);
only the command files of the verb on the command line are loaded; \`ocm --version\` answers before loading
commander; the credential graph is built on the first credential lookup when no config file exists (config
files found or given are still read and checked up front), and \`.ocmconfig\` parsing loads \`yaml\` only when
there is a file; \`transfer\` loads no repository providers through the CLI context and loads its modules together.

Later in the same round, \`yaml\` (descriptor codec: only when the block-YAML fast path declines), \`cli-progress\`
(only when bars are drawn) and \`tar-stream\` (only for tar/tgz CTFs, non-ustar descriptor layers and OCI layout tars)
became lazy; the "before" column is the build at the start of the round (c4a5db2). Registry commands load only
undici's Agent and request API (~8 MB and ~0.1 s less than its index), and the CLI keeps WebAssembly on V8's baseline
compiler: re-optimising undici's wasm HTTP parser in the background had held every registry command ~0.1 s at exit.
Still eager: the OCI repository provider and ociArtifact access registered by \`repository/builtins.ts\` (~15-20 ms on
CTF-only commands). Node's compile cache (\`module.enableCompileCache\`) needs Node >= 22.1 (not measurable on Node 20).

Since then (this run's "before" column is the build before it, 15638ae): the CLI runs from an esbuild bundle of ES
module chunks (\`scripts/bundle-cli.mjs\`, dist/cli/bundle; dynamic imports stay lazy as chunks, large packages stay in
node_modules). Files loaded: \`transfer cv\` 135 → 69, \`get cv\` 95 → 52, \`--help\` 14 → 10; instructions counted with
valgrind: −5.5 % (transfer), −4.8 % (get cv), −3.6 % (--help). Wall-time differences of that size are within this shared
machine's run-to-run noise (compare p90). What remains is Node's ES module loader (~1 ms per chunk, ~65 chunks for a
registry transfer) and Node built-ins undici and commander load (~40 ms); a single CommonJS bundle was tried: a registry
transfer 29 ms faster, \`--help\` 42 ms slower (the whole CLI parsed up front), so not taken.
`;
console.log(md);
writeSection('startup', md);
