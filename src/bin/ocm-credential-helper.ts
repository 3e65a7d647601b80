#!/usr/bin/env node
// Bazel / EngFlow credential helper. Kept to one static import: a cache hit loads only
// helper/bazel/{main,client,cache-key}.js and node builtins (pinned by main.test.ts).
import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { main } from '../helper/bazel/main.js';

let execDir: string | undefined;
try {
  execDir = dirname(realpathSync(process.argv[1]!));
} catch {
  execDir = process.argv[1] ? dirname(process.argv[1]) : undefined;
}
void main(process.argv.slice(2), {
  // Getters: node creates these streams on first access, which a cache hit never needs (it uses the fds).
  get stdin() {
    return process.stdin;
  },
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
  stdinFd: 0,
  stdoutFd: 1,
  env: process.env,
  cwd: process.cwd(),
  ...(execDir ? { execDir } : {}),
}).then((code) => {
  process.exitCode = code;
});
