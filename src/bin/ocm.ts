#!/usr/bin/env node
import { VERSION } from '../version.js';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  // The most common probe answers without loading the command tree (same output as commander's).
  process.stdout.write(`${VERSION}\n`);
} else {
  const { buildProgram } = await import('../cli/main.js');
  const { reportError } = await import('../cli/run.js');
  try {
    await (await buildProgram(process.argv)).parseAsync(process.argv);
  } catch (e) {
    process.exitCode = reportError(e);
  }
}
