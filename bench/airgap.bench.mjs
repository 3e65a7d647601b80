#!/usr/bin/env node
// Air-gap benchmark (issue 15): v1.0 of a component (20 local resources of 8 MiB) is in the
// air-gapped registry; v1.1 changes 2 of them. What has to cross the gap: a full export of v1.1
// (`ocm transfer cv <src> full.tgz --copy-resources`) against a delta export made from the
// air-gapped side's inventory (`... --delta-against have.json`) — bytes on disk and time. Then the
// delta import and `ocm verify` at the air-gapped side, timed once (they change its state).
// Goal: delta bytes ≤ changed bytes + 1 %.
// Usage: node bench/airgap.bench.mjs [runs=3]   (needs `npm run build` first)
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureWithTime, machine, writeSection, fmt, ocmBin, repoRoot } from './lib.mjs';

const { startRegistry } = await import(join(repoRoot, 'dist', 'testing', 'registry.js'));

const RUNS = Number(process.argv[2] ?? 3);
const N = 20;
const SIZE = 8 * 1024 * 1024;
const CHANGED = ['r3', 'r7'];
const COMPONENT = 'acme.org/bench/airgap';
const MB = 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const work = mkdtempSync(join(tmpdir(), 'ocm-bench-airgap-'));
const p = (n) => join(work, n);
const ocm = async (args, env = {}) => {
  const r = await measureWithTime(process.execPath, [ocmBin, ...args], { cwd: work, env: { ...process.env, ...env } });
  if (r.code !== 0) throw new Error(`ocm ${args.join(' ')}: ${r.stderr}`);
  return r;
};
/** Bytes of every blob file in a CTF archive (unpacked once to count them). */
const blobBytes = (tgz) => {
  const dir = `${tgz}.x`;
  rmSync(dir, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', dir]);
  execFileSync('tar', ['-xzf', tgz, '-C', dir]);
  const files = readdirSync(join(dir, 'blobs'));
  const bytes = files.reduce((n, f) => n + statSync(join(dir, 'blobs', f)).size, 0);
  rmSync(dir, { recursive: true, force: true });
  return { blobs: files.length, bytes };
};

const src = await startRegistry({ auth: 'none' });
const gap = await startRegistry({ auth: 'none' });
const full = [];
const delta = [];
let inventory, imported, verified, fullSize, deltaSize, fullBlobs, deltaBlobs;
try {
  console.log(`preparing ${N} × ${SIZE / 2 ** 20} MiB, v1.0 at both sides, v1.1 at the source`);
  const resources = Array.from({ length: N }, (_, i) => `      - {name: r${i}, type: blob, input: {type: file, path: r${i}.bin}}\n`).join('');
  writeFileSync(p('component-constructor.yaml'), `components:\n  - name: ${COMPONENT}\n    version: "\${VERSION}"\n    provider: {name: acme.org}\n    resources:\n${resources}`);
  for (let i = 0; i < N; i++) writeFileSync(p(`r${i}.bin`), randomBytes(SIZE));
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', p('key.pem')], { stdio: 'ignore' });
  execFileSync('openssl', ['pkey', '-in', p('key.pem'), '-pubout', '-out', p('pub.pem')], { stdio: 'ignore' });
  const sign = (v) => ocm(['sign', 'cv', `${src.url}/ocm//${COMPONENT}:${v}`, '--signature', 'acme', '--private-key', p('key.pem')]);
  await ocm(['add', 'cv', '-r', `${src.url}/ocm`, '-c', 'component-constructor.yaml'], { VERSION: '1.0.0' });
  await sign('1.0.0');
  await ocm(['transfer', 'cv', `${src.url}/ocm//${COMPONENT}:1.0.0`, `${gap.url}/prod`, '--progress', 'none']);
  for (const n of CHANGED) writeFileSync(p(`${n}.bin`), randomBytes(SIZE));
  await ocm(['add', 'cv', '-r', `${src.url}/ocm`, '-c', 'component-constructor.yaml'], { VERSION: '1.1.0' });
  await sign('1.1.0');
  for (let i = 0; i < N; i++) rmSync(p(`r${i}.bin`));

  inventory = await ocm(['get', 'inventory', `${gap.url}/prod`, '--component', COMPONENT, '-o', 'json']);
  writeFileSync(p('have.json'), inventory.stdout);
  const from = `${src.url}/ocm//${COMPONENT}:1.1.0`;
  for (let i = 0; i < RUNS; i++) {
    rmSync(p('full.tgz'), { force: true });
    rmSync(p('delta.tgz'), { force: true });
    full.push(await ocm(['transfer', 'cv', from, p('full.tgz'), '--recursive', '--copy-resources', '--progress', 'none']));
    delta.push(await ocm(['transfer', 'cv', from, p('delta.tgz'), '--recursive', '--copy-resources', '--delta-against', p('have.json'), '--progress', 'none']));
    console.log(`run ${i + 1}: full ${fmt(full.at(-1).ms / 1000)} s, delta ${fmt(delta.at(-1).ms / 1000)} s`);
  }
  fullSize = statSync(p('full.tgz')).size;
  deltaSize = statSync(p('delta.tgz')).size;
  fullBlobs = blobBytes(p('full.tgz'));
  deltaBlobs = blobBytes(p('delta.tgz'));
  imported = await ocm(['transfer', 'cv', `ctf::${p('delta.tgz')}//${COMPONENT}:1.1.0`, `${gap.url}/prod`, '--recursive', '--progress', 'none']);
  verified = await ocm(['verify', 'cv', `${gap.url}/prod//${COMPONENT}:1.1.0`, '--recursive', '--signature', 'acme', '--public-key', p('pub.pem')]).catch((e) => ({ ms: NaN, error: e }));
} finally {
  await gap.stop();
  await src.stop();
  rmSync(work, { recursive: true, force: true });
}

const changed = CHANGED.length * SIZE;
const overhead = (deltaBlobs.bytes - changed) / changed;
const ms = (runs) => median(runs.map((r) => r.ms));
const rss = (runs) => Math.max(...runs.map((r) => r.peakRssMb ?? 0));
const lines = [
  '## Air gap: delta vs full export',
  '',
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}; load average at the end ${loadavg()[0].toFixed(1)} (a shared 2-core machine: other suites ran at the same time, so absolute times are indicative).`,
  `Component with ${N} local resources of ${SIZE / 2 ** 20} MiB (random, incompressible); v1.0 is in the air-gapped registry, v1.1 changes ${CHANGED.length} of them. Two plain loopback docker-registry 2.8.2 instances; exports from the source registry into a .tgz CTF; median of ${RUNS} runs; MB = 10^6 bytes.`,
  '',
  '| export of v1.1 | wall s | .tgz on disk MB | blob bytes MB (files) | peak RSS MB |',
  '|---|---|---|---|---|',
  `| full (\`--copy-resources\`) | ${fmt(ms(full) / 1000)} | ${fmt(fullSize / MB)} | ${fmt(fullBlobs.bytes / MB)} (${fullBlobs.blobs}) | ${fmt(rss(full), 0)} |`,
  `| delta (\`--delta-against have.json\`) | ${fmt(ms(delta) / 1000)} | ${fmt(deltaSize / MB)} | ${fmt(deltaBlobs.bytes / MB)} (${deltaBlobs.blobs}) | ${fmt(rss(delta), 0)} |`,
  '',
  `Per run, full / delta s: ${full.map((f, i) => `${fmt(f.ms / 1000)} / ${fmt(delta[i].ms / 1000)}`).join(', ')}.`,
  `Changed bytes: ${fmt(changed / MB)} MB. Delta blob bytes are changed bytes + ${fmt(overhead * 100, 3)} % (goal ≤ 1 %) — **${overhead <= 0.01 ? 'met' : 'NOT met'}**; the rest is the manifest, config and descriptor layer. Delta / full on disk: ${fmt(deltaSize / fullSize, 3)}; time: ${fmt(ms(delta) / ms(full), 2)}.`,
  `At the air-gapped side: \`ocm get inventory -o json\` ${fmt(inventory.ms / 1000)} s (reads no resource blob), delta import ${fmt(imported.ms / 1000)} s, \`ocm verify cv --recursive\` ${Number.isNaN(verified.ms) ? 'failed' : `${fmt(verified.ms / 1000)} s (re-reads all ${fmt((N * SIZE) / MB, 0)} MB, checks the RSA signature)`} (one run each).`,
];
writeSection('airgap', lines.join('\n'));
console.log(lines.join('\n'));
if (verified.error) throw verified.error;
