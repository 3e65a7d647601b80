#!/usr/bin/env node
import { VERSION } from '../version.js';

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
  const { buildProgram } = await import('../cli/main.js');
  const { finish, reportWithHints } = await import('../cli/run.js');
  try {
    await (await buildProgram(process.argv)).parseAsync(process.argv);
  } catch (e) {
    process.exitCode = await reportWithHints(e);
  } finally {
    // No plugin process outlives the CLI, whatever path led here (a no-op when none was started).
    await finish();
  }
}
