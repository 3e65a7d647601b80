#!/usr/bin/env node
// `npm run bench [filter]`: runs every bench/*.bench.mjs (or those whose name contains the filter)
// one after another, side by side with the peer each names, and assembles bench/RESULTS.md from
// the sections they write to bench/results/<name>.md, stamped with date and machine.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const benches = readdirSync(here).filter((f) => f.endsWith('.bench.mjs') && f.includes(filter)).sort();
let failed = 0;
for (const b of benches) {
  console.log(`\n=== ${b} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, b)], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.error(`${b} failed (exit ${r.status})`); }
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.versions.node}`;
const sections = readdirSync(join(here, 'results')).filter((f) => f.endsWith('.md')).sort()
  .map((f) => readFileSync(join(here, 'results', f), 'utf8').trim());
const header = `# Benchmark results\n\nAssembled by \`npm run bench\` from \`bench/results/*.md\`. Each section carries the date and machine it was measured on.\nLast assembled: ${new Date().toISOString().slice(0, 10)} on ${machine}.\n`;
writeFileSync(join(here, 'RESULTS.md'), `${header}\n${sections.join('\n\n')}\n`);
console.log(`\nwrote bench/RESULTS.md (${sections.length} sections)`);
process.exit(failed ? 1 : 0);
