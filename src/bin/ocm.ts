#!/usr/bin/env node
import { statSync } from 'node:fs';
import { VERSION } from '../version.js';

type Cli = [typeof import('../cli/main.js'), typeof import('../cli/run.js')];

/**
 * The CLI's modules: the bundle (scripts/bundle-cli.mjs, ~2× fewer files to load) when it is at
 * least as new as the compiled modules, else the compiled modules themselves. So a bare `tsc`
 * (no bundle yet, or one from an earlier build) runs the code just compiled, only slower. Decided
 * by two stats, not by catching a failed import: a bundle that exists but fails to load is an error.
 */
async function loadCli(): Promise<Cli> {
  const bundled = statSync(new URL('../cli/bundle/main.js', import.meta.url), { throwIfNoEntry: false });
  const compiled = statSync(new URL('../cli/main.js', import.meta.url), { throwIfNoEntry: false });
  if (bundled !== undefined && (compiled === undefined || bundled.mtimeMs >= compiled.mtimeMs)) {
    // Variable specifiers: tsc neither resolves nor type-checks the bundle (it has no .d.ts).
    const main: string = new URL('../cli/bundle/main.js', import.meta.url).href;
    const run: string = new URL('../cli/bundle/run.js', import.meta.url).href;
    return [(await import(main)) as Cli[0], (await import(run)) as Cli[1]];
  }
  return [await import('../cli/main.js'), await import('../cli/run.js')];
}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  // The most common probe answers without loading the command tree (same output as commander's).
  process.stdout.write(`${VERSION}\n`);
} else {
  // undici's HTTP parser is WebAssembly. V8 re-optimises it on a background thread, and the process
  // cannot exit before that compile finishes: ~0.14 s at the end of every registry command here.
  // The baseline compiler's code is plenty for parsing response heads (blob bodies bypass it).
  // Set in the CLI only: a V8 flag is process-wide, so the library never sets one.
  (await import('node:v8')).setFlagsFromString('--liftoff-only');
  const [{ buildProgram }, { finish, reportWithHints }] = await loadCli();
  try {
    await (await buildProgram(process.argv)).parseAsync(process.argv);
  } catch (e) {
    process.exitCode = await reportWithHints(e);
  } finally {
    // No plugin process outlives the CLI, whatever path led here (a no-op when none was started).
    await finish();
  }
}
