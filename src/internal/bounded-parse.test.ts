/**
 * Every YAML/JSON entry point × every resource-exhaustion or garbage shape: a stable code (never
 * INTERNAL), one line naming the input, and the bound when one was exceeded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConstructor } from '../constructor/parse.js';
import { parseDescriptor } from '../descriptor/codec.js';
import { parseConfigText } from '../credentials/config.js';
import { parseDockerConfig } from '../credentials/docker-config.js';
import { parseArtifactIndex } from '../ctf/artifact-index.js';
import { successors } from '../oci/content/copy.js';
import { MediaType } from '../oci/content/media-types.js';
import { OcmError } from '../runtime/errors.js';
import { parseJsonBounded, parseYamlAllBounded, parseYamlBounded } from './bounded-parse.js';

const MiB = 1024 * 1024;
const DIGEST = `sha256:${'a'.repeat(64)}`;

/** Billion laughs: 9 levels of 9 aliases each (9^9 strings if expanded). */
const aliasBomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n') + '\n';
/** 300 levels of block mappings (indentation only: YAML, not JSON). */
const deepYaml = Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' x\n';
/** 10,000 levels of JSON objects (also YAML flow syntax). */
const deepJson = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
const manyDocs = '---\na: 1\n'.repeat(1500);
const garbage = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 131 + 7) % 256)).toString('latin1');

interface Family {
  name: string;
  /** Name the message must start with. */
  what: string;
  /** Code for malformed input. */
  syntax: string;
  /** Size bound of this entry point. */
  maxBytes: number;
  /** Valid minimal document (for the BOM and huge-scalar shapes), with `$S` where a string goes. */
  valid: string;
  parse(text: string): unknown;
}

const families: Family[] = [
  {
    name: 'constructor',
    what: 'c.yaml',
    syntax: 'PARSE_ERROR',
    maxBytes: 16 * MiB,
    valid: 'name: acme.org/x\nversion: 1.0.0\nprovider: {name: "$S"}\n',
    parse: (t) => parseConstructor(t, { source: 'c.yaml', env: {} }),
  },
  {
    name: 'descriptor',
    what: 'cd.yaml',
    syntax: 'PARSE_ERROR',
    maxBytes: 16 * MiB,
    valid: 'meta:\n  schemaVersion: v2\ncomponent:\n  name: acme.org/x\n  version: 1.0.0\n  provider: "$S"\n  repositoryContexts: []\n  resources: []\n  sources: []\n  componentReferences: []\n',
    parse: (t) => parseDescriptor(t, { source: 'cd.yaml' }),
  },
  {
    name: '.ocmconfig',
    what: 'config file cfg',
    syntax: 'CONFIG_ERROR',
    maxBytes: 4 * MiB,
    valid: 'type: generic.config.ocm.software/v1\nconfigurations: [{type: x, v: "$S"}]\n',
    parse: (t) => parseConfigText(t, 'cfg'),
  },
  {
    name: 'docker config.json',
    what: 'docker config config.json',
    syntax: 'CONFIG_ERROR',
    maxBytes: 4 * MiB,
    valid: '{"auths": {"r.example": {"auth": "$S"}}}',
    parse: (t) => parseDockerConfig(t, 'config.json'),
  },
  {
    name: 'CTF artifact-index.json',
    what: 'artifact-index.json',
    syntax: 'PARSE_ERROR',
    maxBytes: 64 * MiB,
    valid: `{"schemaVersion":1,"artifacts":[{"repository":"$S","digest":"${DIGEST}"}]}`,
    parse: (t) => parseArtifactIndex(t),
  },
  {
    name: 'OCI manifest',
    what: `manifest ${DIGEST}`,
    syntax: 'PARSE_ERROR',
    maxBytes: 4 * MiB,
    valid: `{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"${DIGEST}","size":1,"annotations":{"x":"$S"}},"layers":[]}`,
    parse: (t) => successors({ mediaType: MediaType.ociManifest, digest: DIGEST, size: t.length }, Buffer.from(t, 'utf8')),
  },
];

const yamlFamilies = new Set(['constructor', 'descriptor', '.ocmconfig']);
/** Families with a string-length bound below their size bound (1 MiB; artifact-index 64 KiB). */
const stringBound = new Set(['.ocmconfig', 'docker config.json', 'CTF artifact-index.json']);

interface Shape {
  name: string;
  text(f: Family): string;
  /** Expected code and message part per family (undefined: parses). */
  expect(f: Family): { code: string; says: RegExp } | undefined;
}

const syntaxError = (f: Family) => ({ code: f.syntax, says: /malformed|not (YAML|JSON) text|not valid/ });

const shapes: Shape[] = [
  {
    name: 'alias bomb',
    text: () => aliasBomb,
    expect: (f) => (yamlFamilies.has(f.name) ? { code: 'LIMIT_EXCEEDED', says: /more than 100 YAML aliases \(alias bomb\?\)/ } : syntaxError(f)),
  },
  {
    name: 'deep nesting, YAML blocks',
    text: () => deepYaml,
    expect: (f) => (yamlFamilies.has(f.name) ? { code: 'LIMIT_EXCEEDED', says: /nested deeper than 256 levels/ } : syntaxError(f)),
  },
  { name: 'deep nesting, JSON', text: () => deepJson, expect: () => ({ code: 'LIMIT_EXCEEDED', says: /nested deeper than 256 levels/ }) },
  {
    name: 'huge scalar (2 MiB string)',
    text: (f) => f.valid.replace('$S', 'x'.repeat(2 * MiB)),
    expect: (f) => (stringBound.has(f.name) ? { code: 'LIMIT_EXCEEDED', says: /string of \d+ characters is longer than the limit/ } : undefined),
  },
  {
    name: 'oversized file',
    text: (f) => f.valid.replace('$S', 'x'.repeat(f.maxBytes)),
    expect: (f) => ({ code: 'LIMIT_EXCEEDED', says: new RegExp(`larger than the limit of ${f.maxBytes} bytes`) }),
  },
  {
    name: 'many documents',
    text: () => manyDocs,
    expect: (f) => (f.name === 'constructor' ? { code: 'LIMIT_EXCEEDED', says: /more than 1000 YAML documents/ } : syntaxError(f)),
  },
  { name: 'binary garbage', text: () => garbage, expect: syntaxError },
  {
    name: 'empty file',
    text: () => '',
    expect: (f) =>
      f.name === '.ocmconfig' ? undefined : f.name === 'constructor' || f.name === 'descriptor' ? { code: 'VALIDATION_FAILED', says: /./ } : syntaxError(f),
  },
  {
    name: 'byte-order mark',
    text: (f) => `\ufeff${f.valid.replace('$S', 'x')}`,
    // Local files may carry a BOM; wire formats are read as strictly as Go reads them.
    expect: (f) => (f.name === 'CTF artifact-index.json' || f.name === 'OCI manifest' ? syntaxError(f) : undefined),
  },
  { name: 'NUL bytes', text: (f) => f.valid.replace('$S', 'x\0y'), expect: syntaxError },
];

for (const f of families) {
  for (const s of shapes) {
    test(`${f.name}: ${s.name}`, () => {
      const want = s.expect(f);
      const text = s.text(f);
      const started = Date.now();
      let error: unknown;
      try {
        f.parse(text);
      } catch (e) {
        error = e;
      }
      assert.ok(Date.now() - started < 5000, 'bounded parse must be quick');
      if (!want) {
        assert.ok(error === undefined || (error instanceof OcmError && error.code !== 'INTERNAL' && error.code !== 'LIMIT_EXCEEDED'), String(error));
        return;
      }
      assert.ok(error instanceof OcmError, `expected an OcmError, got ${String(error)}`);
      assert.equal(error.code, want.code, error.message);
      assert.ok(error.message.startsWith(f.what), error.message);
      assert.match(error.message, want.says);
      assert.doesNotMatch(error.message, /\n/);
      assert.ok(error.message.length < 300, error.message);
    });
  }
}

test('bounds: exactly maxDepth levels parse, one more does not; alias expansions are counted', () => {
  const b = { what: 'x', maxBytes: MiB, maxDepth: 3, maxAliases: 2 };
  assert.deepEqual(parseJsonBounded('[[[1]]]', b), [[[1]]]);
  assert.throws(() => parseJsonBounded('[[[[1]]]]', b), /x: nested deeper than 3 levels/);
  assert.deepEqual(parseYamlBounded('a: [[1]]\n', b), { a: [[1]] });
  assert.throws(() => parseYamlBounded('a: [[[1]]]\n', b), /x: nested deeper than 3 levels/);
  assert.deepEqual(parseYamlBounded('a: &a 1\nb: *a\n', b), { a: 1, b: 1 });
  assert.throws(() => parseYamlBounded('a: &a 1\nb: *a\nc: *a\nd: *a\n', b), /more than 2 YAML aliases/);
});

test('depth counts through aliases: a shallow document that expands deep is refused', () => {
  const b = { what: 'x', maxBytes: MiB, maxDepth: 4 };
  assert.throws(() => parseYamlBounded('a: &a [[1]]\nb: [[*a]]\n', b), /nested deeper than 4 levels/);
});

test('JSON syntax errors name the position without quoting the text', () => {
  assert.throws(
    () => parseJsonBounded('{"password": "hunter2",, }', { what: 'f.json', maxBytes: MiB }),
    (e: OcmError) => e.code === 'PARSE_ERROR' && /^f\.json: malformed JSON at line 1, column 24/.test(e.message) && !e.message.includes('hunter2'),
  );
  assert.throws(
    () => parseJsonBounded('hunter2', { what: 'f.json', maxBytes: MiB, code: 'CONFIG_ERROR', redact: true }),
    (e: OcmError) => e.code === 'CONFIG_ERROR' && e.message === 'f.json: malformed JSON',
  );
});

test('multi-document YAML drops empty documents and keeps order', () => {
  assert.deepEqual(parseYamlAllBounded('a: 1\n---\n---\nb: 2\n', { what: 'x', maxBytes: MiB }), [{ a: 1 }, { b: 2 }]);
});
