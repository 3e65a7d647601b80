import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { isOcmError } from '../runtime/errors.js';
import { conformance } from '../testing/fixtures.js';
import { expandEnv } from './env.js';
import { loadConstructor, parseConstructor } from './parse.js';

const SRC = 'constructor.yaml';
const parse = (text: string, env: Record<string, string> = {}) => parseConstructor(text, { source: SRC, env });

test('parses the single-component shape and applies the construct.go defaults', () => {
  const spec = parse(`
name: acme.org/single
version: v1.2
provider:
  name: acme.org
resources:
  - name: data
    type: blob
    input: {type: utf8, text: hi}
  - name: image
    type: ociImage
    access: {type: ociArtifact, imageReference: ghcr.io/x/y:1}
sources:
  - name: src
    type: git
    access: {type: gitHub, repoUrl: github.com/x/y, commit: abc}
`);
  assert.equal(spec.components.length, 1);
  const c = spec.components[0]!;
  assert.equal(c.path, 'component');
  assert.deepEqual(c.provider, { name: 'acme.org' });
  assert.equal(c.resources[0]!.version, 'v1.2');
  assert.equal(c.resources[0]!.relation, 'local');
  assert.equal(c.resources[1]!.version, 'v1.2');
  assert.equal(c.resources[1]!.relation, 'external');
  assert.equal(c.sources[0]!.version, 'v1.2');
  assert.equal(c.creationTime, undefined);
  assert.deepEqual(c.componentReferences, []);
});

test('parses the components-list shape and several --- documents', () => {
  const spec = parse(`
components:
  - name: acme.org/a
    version: 1.0.0
    provider: {name: acme.org}
  - name: acme.org/b
    version: 1.0.0
    provider: {name: acme.org}
---
name: acme.org/c
version: 2.0.0
provider: {name: acme.org, labels: [{name: x, value: y}]}
creationTime: "2025-03-18T09:44:42Z"
`);
  assert.deepEqual(spec.components.map((c) => c.name), ['acme.org/a', 'acme.org/b', 'acme.org/c']);
  assert.deepEqual(spec.components.map((c) => c.path), ['documents[0].components[0]', 'documents[0].components[1]', 'documents[1].component']);
  assert.equal(spec.components[2]!.creationTime, '2025-03-18T09:44:42Z');
  assert.deepEqual(spec.components[2]!.provider.labels, [{ name: 'x', value: 'y' }]);
});

test('parses the conformance constructors', () => {
  const utf8 = parseConstructor(readFileSync(conformance('ocm-config/constructor-utf8-input.yaml'), 'utf8'), { env: {} });
  const r = utf8.components[0]!.resources[0]!;
  assert.equal(utf8.components[0]!.name, 'github.com/acme.org/helloworld');
  assert.deepEqual(r.input, { type: 'utf8', text: 'test' });
  assert.equal(r.version, '6.7.1');

  // The `$schema` in the editor-hint comment must not count as a variable.
  const oci = parseConstructor(readFileSync(conformance('ocm-config/constructor-ociartifact-access.yaml'), 'utf8'), { env: {} });
  const a = oci.components[0]!.resources[0]!;
  assert.deepEqual(a.access, { type: 'ociArtifact', imageReference: 'ghcr.io/jakobmoellerdev/podinfo/podinfo:6.7.1' });
  assert.equal(a.relation, 'external');

  const multi = parseConstructor(readFileSync(conformance('ocm-config/constructor-multi-with-references-envsubst.yaml'), 'utf8'), {
    env: { NAME: 'acme.org/sovereign/product', VERSION: '1.2.3' },
  });
  const m = multi.components[0]!;
  assert.equal(m.name, 'acme.org/sovereign/product');
  assert.equal(m.version, '1.2.3');
  assert.deepEqual(m.componentReferences, [
    { name: 'notes', componentName: 'acme.org/sovereign/notes', version: '1.2.3' },
    { name: 'postgres', componentName: 'acme.org/sovereign/postgres', version: '1.2.3' },
  ]);
  assert.equal(m.resources[0]!.input?.mediaType, 'application/vnd.cncf.kro.resourcegraphdefinition.v1+yaml');
});

test('expands ${VAR} and $VAR, keeps $$ and lone $, skips full-line comments', () => {
  const env = { A: 'x', B_2: 'y' };
  assert.equal(expandEnv('v: ${A}-$B_2 $$A cost $ 5\n# $schema=u\n', env, SRC), 'v: x-y $A cost $ 5\n# $schema=u\n');
});

const bad: Array<{ name: string; text: string; env?: Record<string, string>; code: string; message: RegExp }> = [
  { name: 'malformed YAML', text: 'name: [unclosed\n', code: 'PARSE_ERROR', message: /^constructor\.yaml: malformed YAML at line \d+, column \d+/ },
  { name: 'undefined variable', text: 'name: ${MISSING}\n', code: 'INVALID_ARGUMENT', message: /constructor\.yaml:1: environment variable "MISSING" is not set/ },
  { name: 'malformed variable', text: 'name: ${A-B}\n', code: 'INVALID_ARGUMENT', message: /malformed variable reference/ },
  { name: 'empty document', text: '# nothing\n', code: 'VALIDATION_FAILED', message: /no component found/ },
  {
    name: 'bad component name',
    text: 'name: Acme/X\nversion: 1.0.0\nprovider: {name: a}\n',
    code: 'VALIDATION_FAILED',
    message: /^constructor\.yaml: component\.name: invalid component name "Acme\/X"/,
  },
  {
    name: 'component name without path segment',
    text: 'components:\n- name: acme.org\n  version: 1.0.0\n  provider: {name: a}\n',
    code: 'VALIDATION_FAILED',
    message: /components\[0\]\.name: invalid component name/,
  },
  { name: 'bad version', text: 'name: acme.org/x\nversion: 1.0.0.0\nprovider: {name: a}\n', code: 'VALIDATION_FAILED', message: /component\.version: invalid version "1\.0\.0\.0"/ },
  { name: 'unquoted numeric version', text: 'name: acme.org/x\nversion: 1.0\nprovider: {name: a}\n', code: 'VALIDATION_FAILED', message: /component\.version: must be a string, got the number 1: put the value in quotes/ },
  { name: 'provider as string', text: 'name: acme.org/x\nversion: 1.0.0\nprovider: acme\n', code: 'VALIDATION_FAILED', message: /component\.provider: must be an object/ },
  { name: 'provider without name', text: 'name: acme.org/x\nversion: 1.0.0\nprovider: {}\n', code: 'VALIDATION_FAILED', message: /component\.provider: must not be empty/ },
  { name: 'unknown component field', text: 'name: acme.org/x\nversion: 1.0.0\nprovider: {name: a}\nresource: []\n', code: 'VALIDATION_FAILED', message: /unknown field "resource"/ },
  {
    name: 'both input and access',
    text: 'components:\n- name: acme.org/x\n  version: 1.0.0\n  provider: {name: a}\n  resources:\n  - name: ok\n    type: blob\n    input: {type: utf8, text: a}\n  - name: both\n    type: blob\n    input: {type: utf8, text: a}\n    access: {type: ociArtifact, imageReference: x/y:1}\n',
    code: 'VALIDATION_FAILED',
    message: /^constructor\.yaml: components\[0\]\.resources\[1\]: exactly one of "input" or "access" is required$/,
  },
  {
    name: 'neither input nor access',
    text: 'name: acme.org/x\nversion: 1.0.0\nprovider: {name: a}\nsources:\n- name: src\n  type: git\n',
    code: 'VALIDATION_FAILED',
    message: /component\.sources\[0\]: exactly one of "input" or "access" is required/,
  },
  {
    name: 'input with external relation',
    text: 'name: acme.org/x\nversion: 1.0.0\nprovider: {name: a}\nresources:\n- name: rr\n  type: blob\n  relation: external\n  input: {type: utf8, text: a}\n',
    code: 'VALIDATION_FAILED',
    message: /resources\[0\]\.relation: must be "local" for a resource with an input/,
  },
  {
    name: 'bad resource name',
    text: 'name: acme.org/x\nversion: 1.0.0\nprovider: {name: a}\nresources:\n- name: A\n  type: blob\n  input: {type: utf8, text: a}\n',
    code: 'VALIDATION_FAILED',
    message: /resources\[0\]\.name: invalid name "A"/,
  },
  {
    name: 'input without type',
    text: 'name: acme.org/x\nversion: 1.0.0\nprovider: {name: a}\nresources:\n- name: rr\n  type: blob\n  input: {path: x}\n',
    code: 'VALIDATION_FAILED',
    message: /resources\[0\]\.input\.type: must be a non-empty string/,
  },
  {
    name: 'reference with unknown field',
    text: 'name: acme.org/x\nversion: 1.0.0\nprovider: {name: a}\ncomponentReferences:\n- name: ref\n  componentName: acme.org/y\n  version: 1.0.0\n  foo: bar\n',
    code: 'VALIDATION_FAILED',
    message: /componentReferences\[0\]: unknown field "foo"/,
  },
  {
    name: 'label signing as string',
    text: 'name: acme.org/x\nversion: 1.0.0\nprovider: {name: a}\nlabels:\n- {name: l, value: v, signing: "true"}\n',
    code: 'VALIDATION_FAILED',
    message: /labels\[0\]\.signing: must be true or false/,
  },
  {
    name: 'bad creationTime',
    text: 'name: acme.org/x\nversion: 1.0.0\nprovider: {name: a}\ncreationTime: yesterday\n',
    code: 'VALIDATION_FAILED',
    message: /creationTime: invalid creationTime "yesterday"/,
  },
  {
    name: 'duplicate component version',
    text: 'components:\n- {name: acme.org/x, version: 1.0.0, provider: {name: a}}\n- {name: acme.org/x, version: 1.0.0, provider: {name: a}}\n',
    code: 'VALIDATION_FAILED',
    message: /components\[1\]: component acme\.org\/x:1\.0\.0 is also defined at components\[0\]/,
  },
  { name: 'duplicate YAML key', text: 'name: acme.org/x\nname: acme.org/y\n', code: 'PARSE_ERROR', message: /malformed YAML/ },
];

for (const c of bad) {
  test(`rejects ${c.name}`, () => {
    assert.throws(
      () => parse(c.text, c.env),
      (e: unknown) => {
        assert.ok(isOcmError(e), String(e));
        assert.equal(e.code, c.code, e.message);
        assert.match(e.message, c.message);
        assert.ok(!e.message.includes('\n'), `one-line message: ${e.message}`);
        return true;
      },
    );
  });
}

test('loadConstructor reads a file and uses its directory as the base', async () => {
  const path = conformance('ocm/ctf/v1-0.20.0-localblob/component-constructor.yaml');
  const { spec, baseDir } = await loadConstructor(path, { env: {} });
  assert.equal(spec.source, path);
  assert.equal(baseDir, dirname(path));
  await assert.rejects(loadConstructor(join(baseDir, 'nope.yaml')), (e: unknown) => isOcmError(e, 'NOT_FOUND') && /constructor file .*nope\.yaml/.test(e.message));
});
