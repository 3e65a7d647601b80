// Test-only helpers shared by the signing tests (a *.test.ts so it never ships; it has no tests).
import { readFile } from 'node:fs/promises';
import type { ComponentDescriptor } from '../descriptor/types.js';

type Codec = { parseDescriptor(t: string, o: { source?: string; validate?: boolean }): ComponentDescriptor };

/** Descriptors as the library parses them: H1's codec when it is built, else plain YAML (the normaliser whitelists anyway). */
export async function loadDescriptor(path: string): Promise<ComponentDescriptor> {
  return parseText(await readFile(path, 'utf8'), path);
}

export async function parseText(text: string, source = 'descriptor'): Promise<ComponentDescriptor> {
  const codecPath = '../descriptor/codec.js';
  try {
    const codec = (await import(codecPath)) as Codec;
    if (typeof codec.parseDescriptor === 'function') return codec.parseDescriptor(text, { source, validate: false });
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
  }
  const { parse } = await import('yaml');
  return parse(text) as ComponentDescriptor;
}
