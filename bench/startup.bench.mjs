// Start-up time is a feature: `ocm --version`, `ocm --help` and a first real command against
// bare `node -e 0`, median and p90 of N runs each, interleaved so machine noise hits all alike.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ocmBin, machine, writeSection, fmt } from './lib.mjs';

const N = Number(process.env.BENCH_RUNS ?? 30);
const work = mkdtempSync(join(tmpdir(), 'ocm-bench-startup-'));
writeFileSync(join(work, 'component-constructor.yaml'),
  'name: acme.org/bench/startup\nversion: 1.0.0\nprovider:\n  name: acme.org\nresources:\n  - name: text\n    type: plainText\n    input:\n      type: utf8\n      text: hello\n');
const ctf = join(work, 'ctf');
spawnSync(process.execPath, [ocmBin, 'add', 'cv', '-c', join(work, 'component-constructor.yaml'), '-r', ctf], { stdio: 'ignore' });

const cases = [
  ['node -e 0 (baseline)', [process.execPath, ['-e', '0']]],
  ['ocm --version', [process.execPath, [ocmBin, '--version']]],
  ['ocm --help', [process.execPath, [ocmBin, '--help']]],
  ['ocm get cv (CTF, table)', [process.execPath, [ocmBin, 'get', 'cv', `${ctf}//acme.org/bench/startup:1.0.0`]]],
];
const samples = cases.map(() => []);
for (let i = 0; i < N; i++) {
  cases.forEach(([, [cmd, args]], k) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
    samples[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
  });
}
rmSync(work, { recursive: true, force: true });
const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const base = q(samples[0], 0.5);
const rows = cases.map(([name], k) => `| ${name} | ${fmt(q(samples[k], 0.5), 1)} | ${fmt(q(samples[k], 0.9), 1)} | ${fmt(q(samples[k], 0.5) - base, 1)} | ${fmt(q(samples[k], 0.5) / base)} |`);
const md = `## Start-up time (\`bench/startup.bench.mjs\`)

${new Date().toISOString().slice(0, 10)}, ${machine()}. ${N} interleaved runs each.

| command | median ms | p90 ms | over bare node (ms) | ratio to bare node |
|---|---|---|---|---|
${rows.join('\n')}
`;
console.log(md);
writeSection('startup', md);
