/**
 * Bundled as ESM, CommonJS dependencies (tar-stream → streamx → events) call `require` for Node
 * built-ins, which an ES module lacks; esbuild's shim falls back to a global `require`. Import this
 * module first so that one exists. (Harmless when running unbundled.)
 */
import { createRequire } from 'node:module';

const g = globalThis as { require?: NodeRequire };
g.require ??= createRequire(import.meta.url);
