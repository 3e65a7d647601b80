// Shared helpers for benchmarks: run a command and measure wall time and peak RSS (via /usr/bin/time
// when present, else the child's resource usage), machine description, markdown section writer.
import { spawn } from 'node:child_process';
import { cpus, totalmem, release } from 'node:os';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(benchDir, '..');
export const ocmBin = join(repoRoot, 'dist', 'bin', 'ocm.js');

export function machine() {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.versions.node}`;
}

/** Runs `cmd args` and resolves { ms, peakRssMb, code, stdout, stderr }. Peak RSS from getrusage of the child (maxRSS, KiB). */
export function measure(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; if (stdout.length > 1e6) stdout = stdout.slice(-1e5); });
    child.stderr.on('data', (d) => { stderr += d; if (stderr.length > 1e6) stderr = stderr.slice(-1e5); });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const ru = child.resourceUsage?.() ;
      resolve({ ms, code, stdout, stderr, peakRssMb: ru ? ru.maxRSS / 1024 : undefined });
    });
  });
}

/** Measures with `/usr/bin/time -f %M` so the peak RSS is the child's own (KiB → MB). */
export async function measureWithTime(cmd, args, options = {}) {
  const r = await measure('/usr/bin/time', ['-f', '__MAXRSS__%M', cmd, ...args], options);
  const m = /__MAXRSS__(\d+)/.exec(r.stderr);
  return { ...r, peakRssMb: m ? Number(m[1]) / 1024 : r.peakRssMb };
}

export function writeSection(name, markdown) {
  mkdirSync(join(benchDir, 'results'), { recursive: true });
  writeFileSync(join(benchDir, 'results', `${name}.md`), `${markdown.trim()}\n`);
}

export const fmt = (n, d = 2) => (n === undefined || Number.isNaN(n) ? 'n/a' : Number(n).toFixed(d));
