import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../testing/fixtures.js';
import { componentDescriptorV2Schema, dateTimeFormat } from './schema-v2.js';
import { validate } from './schema-v2.validator.js';

interface Generator {
  generateValidatorSource(schema: unknown, dateTime: RegExp): string;
  validatorPath: string;
}

const generator = async (): Promise<Generator> =>
  (await import(pathToFileURL(join(repoRoot, 'scripts', 'gen-schema-validator.mjs')).href)) as Generator;

test('the committed schema validator is what the generator makes from schema-v2.ts (run `npm run gen:schema` after schema edits)', async () => {
  const gen = await generator();
  const committed = await readFile(gen.validatorPath, 'utf8');
  const fresh = gen.generateValidatorSource(componentDescriptorV2Schema, dateTimeFormat);
  assert.ok(committed === fresh, `${gen.validatorPath} is stale: run \`npm run build && npm run gen:schema\`, then rebuild`);
});

test('the generated validator loads without ajv\'s compiler and reports ajv-shaped errors', () => {
  const ok = { meta: { schemaVersion: 'v2' }, component: { name: 'acme.org/a', version: '1.0.0', provider: 'acme', repositoryContexts: [], resources: [], sources: [], componentReferences: [] } };
  const v = validate as unknown as ((d: unknown) => boolean) & { errors?: { keyword: string; instancePath: string }[] | null };
  assert.equal(v(ok), true);
  assert.equal(v({ ...ok, component: { ...ok.component, name: 'x'.repeat(300) } }), false);
  assert.equal(v.errors?.[0]?.instancePath, '/component/name');
  assert.equal(v({ ...ok, component: { ...ok.component, creationTime: '2024-13-01T00:00:00Z' } }), false);
  assert.equal(v.errors?.[0]?.keyword, 'format');
});

test('validating a descriptor loads no ajv compiler module (only its small runtime helpers)', () => {
  // A fresh process: this file's first test loads the compiler to regenerate.
  const script = `
    import { createRequire } from 'node:module';
    const { validateDescriptor } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist', 'descriptor', 'validate.js')).href)});
    validateDescriptor({ meta: { schemaVersion: 'v2' }, component: { name: 'acme.org/a', version: '1.0.0', provider: 'acme', repositoryContexts: [], resources: [], sources: [], componentReferences: [] } });
    process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const loaded = JSON.parse(r.stdout) as string[];
  assert.deepEqual(loaded.filter((f) => f.includes(`${sep}ajv${sep}`) && !f.includes(`${sep}runtime${sep}`)), []);
});
