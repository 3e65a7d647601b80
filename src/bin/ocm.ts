#!/usr/bin/env node
import { buildProgram } from '../cli/main.js';
import { reportError } from '../cli/run.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((e: unknown) => {
    process.exitCode = reportError(e);
  });
