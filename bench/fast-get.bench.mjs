// The fast blob GET (fast-get.ts: its own socket, 512 KiB reads) against undici's `request` (the
// regular transport), pulling the same blob from the same real docker-registry on loopback, with
// the streaming digest check. Runs alternate between the two; each pull is a child process timed
// from inside (no Node start-up). Env: BENCH_SIZE_MB (default 256), BENCH_RUNS (default 5).
import { randomFillSync, createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { machine, writeSection, fmt, measure, repoRoot } from './lib.mjs';

const { startRegistry } = await import(join(repoRoot, 'dist', 'testing', 'registry.js'));
const { RegistryClient } = await import(join(repoRoot, 'dist', 'oci', 'remote', 'client.js'));

const SIZE_MB = Number(process.env.BENCH_SIZE_MB ?? 256);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SIZE = SIZE_MB * 1024 * 1024;

const pull = `
import { RegistryClient } from '${join(repoRoot, 'dist', 'oci', 'remote', 'client.js')}';
const [host, digest, size, fast] = process.argv.slice(1);
const c = new RegistryClient({ fastBlobGet: fast === 'true' });
const t0 = performance.now();
const s = await c.repository(host, 'bench/fastget').fetch({ mediaType: 'application/octet-stream', digest, size: Number(size) });
let n = 0;
for await (const chunk of s) n += chunk.length;
const ms = performance.now() - t0;
if (n !== Number(size)) throw new Error('short read ' + n);
await c.close();
console.log(JSON.stringify({ ms }));`;

const reg = await startRegistry();
try {
  // One blob of random bytes, pushed once.
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(4 << 20);
  async function* bytes() {
    for (let left = SIZE; left > 0; left -= chunk.length) {
      const b = Buffer.from(randomFillSync(chunk).subarray(0, Math.min(left, chunk.length)));
      hash.update(b);
      yield b;
    }
  }
  // Hash first (the push needs the digest), then push the same bytes again from a fixed seed copy.
  const parts = [];
  for await (const b of bytes()) parts.push(b);
  const digest = `sha256:${hash.digest('hex')}`;
  const client = new RegistryClient();
  await client.repository(reg.host, 'bench/fastget').push({ mediaType: 'application/octet-stream', digest, size: SIZE }, Readable.from(parts));
  await client.close();
  parts.length = 0;

  const results = { fast: [], undici: [] };
  for (let run = 0; run < RUNS; run++) {
    for (const mode of run % 2 ? ['undici', 'fast'] : ['fast', 'undici']) {
      const r = await measure(process.execPath, ['--input-type=module', '-e', pull, reg.host, digest, String(SIZE), String(mode === 'fast')]);
      if (r.code !== 0) throw new Error(`${mode} pull failed: ${r.stderr.slice(-2000)}`);
      const { ms } = JSON.parse(r.stdout.trim().split('\n').pop());
      results[mode].push(ms);
      console.log(`run ${run + 1} ${mode}: ${fmt(ms / 1000)} s, ${fmt(SIZE / 1e6 / (ms / 1000), 0)} MB/s, peak RSS ${fmt(r.peakRssMb, 0)} MB`);
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const mf = median(results.fast);
  const mu = median(results.undici);
  const mbs = (ms) => fmt(SIZE / 1e6 / (ms / 1000), 0);
  const md = `## Fast blob GET vs undici request (${new Date().toISOString().slice(0, 10)})

${SIZE_MB} MiB blob from the real docker-registry on loopback, digest verified while streaming; ${RUNS} runs each,
alternating, each pull a child process timed from inside. Machine: ${machine()}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}.

| path | median s | median MB/s | runs (s) |
|---|---|---|---|
| fast-get.ts (own socket, 512 KiB reads) | ${fmt(mf / 1000)} | ${mbs(mf)} | ${results.fast.map((x) => fmt(x / 1000)).join(', ')} |
| undici request (transport) | ${fmt(mu / 1000)} | ${mbs(mu)} | ${results.undici.map((x) => fmt(x / 1000)).join(', ')} |

undici / fast time ratio: **${fmt(mu / mf)}** (above 1.05: the fast path is worth its code).
`;
  console.log(md);
  writeSection('fast-get', md);
} finally {
  await reg.stop();
}
