/** `ocm describe types`: every built-in kind and type, and one type's JSON schema. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { runOcm } from '../../testing/cli.js';

const env = { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent' };

test('ocm describe types lists every built-in kind with its types, aliases and source', async () => {
  const r = await runOcm(['describe', 'types', '-o', 'json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { kind: string; type: string; aliases: string[]; source: string }[];
  const kinds = new Set(rows.map((x) => x.kind));
  for (const k of ['repository', 'lister', 'access', 'input', 'credential', 'credential-repository', 'signing', 'hash', 'normalisation', 'digest']) assert.ok(kinds.has(k), k);
  const oci = rows.find((x) => x.kind === 'repository' && x.type === 'OCIRepository/v1');
  assert.ok(oci?.aliases.includes('OCIRegistry'));
  assert.ok(rows.every((x) => x.source === 'built-in'));
  const table = await runOcm(['describe', 'types', 'ocm-repository'], { env });
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^KIND\s+TYPE\s+ALIASES\s+SOURCE\s+DESCRIPTION\n/);
  assert.match(table.stdout, /^repository\s+CommonTransportFormat\/v1\s+CommonTransportFormat, CTF\s+built-in/m);
  assert.doesNotMatch(table.stdout, /^input/m);
});

test('ocm describe types repository OCIRepository/v1 prints its JSON schema (any of its names, YAML or JSON)', async () => {
  const json = await runOcm(['describe', 'types', 'repository', 'OCIRepository/v1', '-o', 'json'], { env });
  assert.equal(json.code, 0, json.stderr);
  const schema = JSON.parse(json.stdout) as { required: string[]; properties: Record<string, unknown> };
  assert.deepEqual(schema.required, ['baseUrl']);
  assert.ok('subPath' in schema.properties);
  const yaml = await runOcm(['describe', 'types', 'repository', 'oci'], { env });
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.deepEqual(parse(yaml.stdout), schema);
});

test('ocm describe types with an unknown kind or type: one line naming what is known', async () => {
  const kind = await runOcm(['describe', 'types', 'nonsense'], { env });
  assert.equal(kind.code, 2, kind.stderr);
  assert.match(kind.stderr, /^Error: unknown kind "nonsense" \(known: .*repository.*\) \[INVALID_ARGUMENT\]\n$/);
  const type = await runOcm(['describe', 'types', 'repository', 'Nope/v1'], { env });
  assert.equal(type.code, 8, type.stderr);
  assert.match(type.stderr, /^Error: unknown repository type "Nope\/v1" \(known: .*OCIRepository\/v1.*\) \[UNSUPPORTED\]\n$/);
});
