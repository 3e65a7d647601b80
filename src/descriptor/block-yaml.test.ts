/**
 * The fast block-YAML reader and writer against the `yaml` package path they stand in for:
 * every YAML document in the conformance data (files and descriptor layers inside CTF blobs), our
 * own writes, hand-picked tricky cases and seeded random documents. Wherever the fast path gives
 * an answer it must be exactly the package's (values, types, key order, number source texts,
 * bytes); where it cannot, it must say so (undefined) rather than guess.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { conformance } from '../testing/fixtures.js';
import { parseBlockYaml } from './block-yaml.js';
import { stringifyBlockYaml } from './block-yaml-write.js';
import { parseDescriptor, parseYamlWithPackage, retyped, serializeDescriptor, stringifyYamlWithPackage } from './codec.js';
import { toWire } from './validate.js';
import type { ComponentDescriptor } from './types.js';

/** Values with key order made explicit (deepStrictEqual ignores it), NaN/-0 kept by Object.is semantics. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return { list: v.map(shape) };
  if (v !== null && typeof v === 'object') return { map: Object.keys(v).map((k) => [k, shape((v as Record<string, unknown>)[k])]) };
  return v;
}

function reference(text: string): { value: unknown; scalars: Map<string, string> } | Error {
  try {
    return parseYamlWithPackage(text, 'test');
  } catch (e) {
    return e as Error;
  }
}

/** Asserts the fast reader agrees with the package; returns whether it took the fast path. */
function agrees(text: string, what: string): boolean {
  const fast = parseBlockYaml(text);
  if (fast === undefined) return false;
  const ref = reference(text);
  assert.ok(!(ref instanceof Error), `${what}: fast path accepted a document the yaml package rejects (${ref instanceof Error ? ref.message : ''})`);
  assert.deepStrictEqual(shape(fast.value), shape(ref.value), `${what}: values differ`);
  assert.deepStrictEqual(fast.scalars, ref.scalars, `${what}: number source texts differ`);
  return true;
}

/** The descriptor file inside a v1 descriptor tar layer (single ustar entry), if `bytes` is one. */
function descriptorFromTar(bytes: Buffer): string | undefined {
  if (bytes.length < 1024 || bytes.toString('latin1', 257, 262) !== 'ustar') return undefined;
  for (let off = 0; off + 512 <= bytes.length; ) {
    const name = bytes.toString('latin1', off, off + 100).replace(/\0.*$/s, '');
    if (name === '') return undefined;
    const size = parseInt(bytes.toString('latin1', off + 124, off + 136).replace(/\0.*$/s, '').trim(), 8);
    if (name.replace(/^\.?\//, '') === 'component-descriptor.yaml') return bytes.toString('utf8', off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

/** Every YAML document in the conformance data: files, and descriptor layers in CTF/archive blobs. */
function conformanceYaml(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const top of ['ocm', 'ocm-config']) {
    const root = conformance(top);
    for (const file of walk(root)) {
      const rel = `${top}/${file.slice(root.length + 1)}`;
      if (/\.ya?ml$/.test(file)) out.push({ name: rel, text: readFileSync(file, 'utf8') });
      else if (file.includes('/blobs/')) {
        const text = descriptorFromTar(readFileSync(file));
        if (text !== undefined) out.push({ name: `${rel} (descriptor layer)`, text });
      }
    }
  }
  return out;
}

const DESCRIPTOR_FILES = new Set([
  'ocm/normalisation/ocmcli-0.27.0-jsonNormalisation-v3/input.yaml',
  'ocm/normalisation/ocm-v1-norm-test/cd1.yaml',
  'ocm/normalisation/ocm-v1-norm-test/cd2.yaml',
  'ocm/normalisation/ocm-v1-norm-test/cd1-none-access.yaml',
  'ocm/normalisation/ocm-v1-norm-test/complex-provider.yaml',
  'ocm/normalisation/ocm-v1-norm-test/duplicate-resources.yaml',
  'ocm/normalisation/sigstore-signed-jsonNormalisation-v3/component-descriptor-signed.yaml',
  'ocm/derived/ocmcli-0.27.0-signed-derived.yaml',
  'ocm/signing/rsa-pkcs1v15-legacy-v1/component-archive/component-descriptor.yaml',
]);

test('reader: every YAML document in the conformance data reads exactly as with the yaml package', () => {
  const docs = conformanceYaml();
  assert.ok(docs.length >= 30, `found only ${docs.length} documents`);
  const layers = docs.filter((d) => d.name.endsWith('(descriptor layer)'));
  assert.ok(layers.length >= 4, 'descriptor layers inside CTF blobs are covered');
  for (const { name, text } of docs) {
    const fast = agrees(text, name);
    // The Go tools' descriptors are all within the subset: that is where the speed comes from.
    if (DESCRIPTOR_FILES.has(name) || layers.some((l) => l.name === name)) assert.ok(fast, `${name}: expected the fast path`);
  }
});

test('reader and writer: our own writes of the conformance descriptors take the fast path both ways and match the package', () => {
  for (const rel of DESCRIPTOR_FILES) {
    const cd = parseDescriptor(readFileSync(conformance(rel)), { source: rel });
    const fast = stringifyBlockYaml(toWire(cd), retyped, true);
    assert.ok(fast !== undefined, `${rel}: writer took the fast path`);
    const wire = JSON.parse(JSON.stringify(toWire(cd), (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v)));
    assert.equal(fast, stringifyYamlWithPackage(wire), `${rel}: bytes differ`);
    assert.equal(serializeDescriptor(cd), fast);
    assert.ok(agrees(fast, `${rel} (our write)`), `${rel}: our write is read by the fast path`);
  }
});

/** Tricky documents: `fast` says whether the fast path must take it (true), must refuse it (false), or may do either. */
const READER_CASES: { name: string; text: string; fast: boolean | 'either' }[] = [
  { name: 'quoted numbers stay strings', text: 'a: "1.0"\nb: \'2\'\nc: 1.0\nd: 012\ne: 0o17\nf: 0x1F\ng: 1e3\nh: -1\n', fast: false },
  { name: 'numbers without a leading sign', text: 'c: 1.0\nd: 012\ne: 0o17\nf: 0x1F\ng: 1e3\nh: .5\ni: +1\nj: .inf\nk: .NaN\nl: 1_000\n', fast: true },
  { name: 'yes/no/on/off are strings in YAML 1.2', text: 'a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\n', fast: true },
  { name: 'booleans and nulls', text: 'a: true\nb: False\nc: TRUE\nd: ~\ne: null\nf: Null\ng:\nh: NULL\n', fast: true },
  { name: 'keys with colons, URLs and digests as values', text: 'a:b: c\nurl: https://example.com:443/x\nd: sha256:abc\n"k: x": "v: y"\n', fast: true },
  { name: 'unicode', text: 'name: café ☕ 😀\n"ключ": значение\n', fast: true },
  { name: 'unicode spaces are content, not separators', text: 'a: \u00a0x\u00a0\nb: \u2003y\nc: \u3000\n', fast: 'either' },
  { name: 'CRLF line ends', text: 'a: b\r\nc:\r\n- d\r\n', fast: false },
  { name: 'tabs', text: 'a:\tb\n', fast: false },
  { name: 'trailing comment', text: 'a: b # c\n', fast: false },
  { name: 'full-line comments and blank lines', text: '# head\n\na: b\n  # indented comment\nc:\n  # x\n  d: e\n\n', fast: true },
  { name: 'hash inside a value', text: 'a: b#c\nb: "x # y"\n', fast: true },
  { name: 'anchors and aliases', text: 'a: &x b\nc: *x\n', fast: false },
  { name: 'tags', text: 'a: !!str 1\n', fast: false },
  { name: 'flow collections', text: 'a: [1, 2]\nb: {c: d}\n', fast: false },
  { name: 'empty flow collections', text: 'a: []\nb: {}\nc:\n- []\n- {}\n', fast: true },
  { name: 'block scalars', text: 'a: |\n  x\n  y\nb: >-\n  z\n', fast: false },
  { name: 'multi-line plain scalar', text: 'a: b\n  c\n', fast: false },
  { name: 'multi-line quoted scalar', text: 'a: "b\n  c"\n', fast: false },
  { name: 'document end marker', text: '---\na: b\n...\n', fast: false },
  { name: 'one document start marker', text: '# c\n---\na: b\n', fast: true },
  { name: 'two documents', text: '---\na: b\n---\nc: d\n', fast: false },
  { name: 'document start with content', text: '--- a: b\n', fast: false },
  { name: 'duplicate keys', text: 'a: b\na: c\n', fast: false },
  { name: 'merge key', text: 'a: {}\n<<: x\n', fast: false },
  { name: 'non-string keys', text: '1: a\ntrue: b\n', fast: false },
  { name: 'double-quoted escapes', text: 'a: "x\\ty\\n\\u00e9\\x41\\U0001F600\\"\\\\\\/\\ \\_"\n', fast: true },
  { name: 'bad escape', text: 'a: "\\q"\n', fast: 'either' },
  { name: 'single-quoted escapes', text: "a: 'it''s'\nb: ''\nc: \"\"\n", fast: true },
  { name: 'sequences indented or not (v1 and v2 writers)', text: 'a:\n- x\n- y: 1\n  z: 2\nb:\n    - p: q\n      r:\n        - s\n    - t\n', fast: true },
  { name: 'sequence items on their own line', text: 'a:\n-\n  b: c\n-\n- d\n', fast: true },
  { name: 'nested sequences', text: 'a:\n- - x\n  - y\n', fast: false },
  { name: 'bad indentation', text: 'a:\n    b: 1\n  c: 2\n', fast: false },
  { name: 'top-level sequence', text: '- a\n- b\n', fast: false },
  { name: 'empty document', text: '', fast: false },
  { name: 'only a comment', text: '# nothing\n', fast: false },
  { name: 'value with colon at the end', text: 'a: b:\n', fast: false },
  { name: 'value with colon-space inside', text: 'a: b: c\n', fast: false },
  { name: 'plain value starting with an indicator', text: 'a: @x\nb: `y\n', fast: false },
  { name: 'spaces around', text: '  a: b   \n  c:    d\n', fast: true },
  { name: 'key with space before colon', text: 'a : b\n', fast: false },
  { name: '__proto__ key stays a plain own property', text: '__proto__: x\nconstructor: y\n', fast: true },
  { name: 'integer-like quoted keys keep JS key order', text: 'b: 1\n"10": 2\n"2": 3\na: 4\n', fast: true },
  { name: 'control character', text: 'a: "\u0001"\n', fast: false },
  { name: 'timestamps are strings', text: 'a: 2024-01-01\nb: 2024-01-01T00:00:00Z\n', fast: true },
  { name: 'version-like values', text: 'v: 1.2.3\nw: v1.0\nx: 1.0\n', fast: true },
  { name: 'long key', text: `${'k'.repeat(1100)}: v\n`, fast: false },
  { name: 'quoted scalar followed by text', text: 'a: "b" c\n', fast: false },
  { name: 'directive', text: '%YAML 1.2\n---\na: b\n', fast: false },
];

for (const c of READER_CASES) {
  test(`reader: ${c.name}`, () => {
    const fast = agrees(c.text, c.name);
    if (c.fast !== 'either') assert.equal(fast, c.fast, `${c.name}: fast path ${c.fast ? 'expected' : 'must refuse'}`);
  });
}

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ATOMS = ['a', 'Z', '0', '1', '9', '.', '-', '+', ':', ' ', '#', '\u00a0', '\u2003', "'", '"', '~', '/', '_', 'e', 'x', 'o', '@', '%', '[', ']', '{', '}', ',', '!', '&', '*', '|', '>', '?', '`', '\\', 'é', 'true', 'null', 'yes', 'NaN', '.inf', '0x', '---', '2024-01-01', '<<', '='];

function randomString(r: () => number): string {
  const n = Math.floor(r() * 6);
  let s = '';
  for (let i = 0; i < n; i++) s += ATOMS[Math.floor(r() * ATOMS.length)];
  return s;
}

function randomValue(r: () => number, depth: number): unknown {
  const x = r();
  if (depth > 3 || x < 0.45) {
    const y = r();
    if (y < 0.7) return randomString(r);
    if (y < 0.8) return Math.floor(r() * 2000) - 1000;
    if (y < 0.85) return r() * 100;
    if (y < 0.9) return r() < 0.5;
    return null;
  }
  if (x < 0.7) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 4); i > 0; i--) {
    Object.defineProperty(o, randomString(r), { value: randomValue(r, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return o;
}

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      Object.defineProperty(out, k, { value: sortDeep((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return v;
}

test('writer and reader: 3000 seeded random documents give the yaml package bytes and values', () => {
  const r = rng(20261122);
  let fastWrites = 0;
  let fastReads = 0;
  for (let i = 0; i < 3000; i++) {
    const doc: Record<string, unknown> = { top: randomValue(r, 0), [randomString(r) || 'k']: randomValue(r, 1) };
    const expected = stringifyYamlWithPackage(sortDeep(doc));
    const fast = stringifyBlockYaml(doc, retyped, true);
    if (fast !== undefined) {
      fastWrites++;
      assert.equal(fast, expected, `document ${i}: ${JSON.stringify(doc)}`);
    }
    if (agrees(expected, `document ${i} (package write)`)) fastReads++;
  }
  // Most random documents stay inside the subset; both fast paths are exercised, not skipped.
  assert.ok(fastWrites > 1200, `fast writes: ${fastWrites}`);
  assert.ok(fastReads > 1000, `fast reads: ${fastReads}`);
});

test('writer: strings that need the package (multi-line, non-ASCII, control characters) are refused, not guessed', () => {
  for (const s of ['a\nb', 'café', '\u0001', '---x', '...']) {
    assert.equal(stringifyBlockYaml({ a: s }, retyped, true), undefined, JSON.stringify(s));
  }
  assert.equal(stringifyBlockYaml({ ['k'.repeat(1001)]: 'v' }, retyped, true), undefined, 'long key');
  const long = 'x'.repeat(5000);
  assert.equal(stringifyBlockYaml({ a: long }, retyped, true), stringifyYamlWithPackage({ a: long }), 'long values stay on one line');
  assert.equal(stringifyBlockYaml({}, retyped, true), undefined);
});

test('serializeDescriptor output is unchanged for a descriptor with every kind of field', () => {
  const cd: ComponentDescriptor = {
    meta: { schemaVersion: 'v2' },
    component: {
      name: 'acme.org/x',
      version: '1.0.0',
      provider: 'acme.org',
      creationTime: '2026-01-01T00:00:00Z',
      repositoryContexts: [{ type: 'OCIRegistry', baseUrl: 'ghcr.io', subPath: 'a/b' }],
      labels: [{ name: 'l', value: { n: 1, f: 1.5, b: true, z: null, s: '012', list: ['yes', '', "it's", 'say "hi"'], '10': 'x', '2': 'y' } }],
      resources: [
        {
          name: 'res', version: '1.0.0', type: 'blob', relation: 'local', extraIdentity: { os: 'linux' },
          access: { type: 'localBlob', localReference: 'sha256:abc', mediaType: 'application/octet-stream' },
          digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: 'abc' },
        },
      ],
      sources: [],
      componentReferences: [{ name: 'ref', componentName: 'acme.org/y', version: '1.0.0' }],
    },
    signatures: [{ name: 's', digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'jsonNormalisation/v3', value: 'ff' }, signature: { algorithm: 'RSASSA-PKCS1-V1_5', mediaType: 'application/vnd.ocm.signature.rsa', value: 'aa' } }],
  };
  const fast = stringifyBlockYaml(toWire(cd), retyped, true);
  assert.ok(fast !== undefined);
  assert.equal(fast, stringifyYamlWithPackage(sortDeep(toWire(cd))));
  assert.deepEqual(parseDescriptor(fast), cd);
});

/** The writer's quoting rule as first written (every pattern tried), the oracle for `retyped`'s fast answer for words. */
const RETYPED_ORACLE = [
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:~|null|Null|NULL)$/,
  /^[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*)$/,
  /^[-+]?(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][-+]?[0-9]+)?$/,
  /^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/,
  /^\d{4}-\d{1,2}-\d{1,2}/,
  /^=$|^<<$/,
];

test('retyped: the fast answer for words equals trying every pattern', () => {
  const r = rng(5);
  const alphabet = 'aeEnNoOyYtTfFlLuUrsx0123456789_.+-:/';
  const words = ['y', 'Yes', 'NO', 'on', 'Off', 'true', 'FALSE', 'null', 'Null', 'e5', 'E+3', 'e-12', 'e', 'eX', 'yes1', 'n_', 'x1.0', 'v1.0.0', 'sha256:ab', 'a:', 'onion', 'nullable'];
  for (let i = 0; i < 20000; i++) {
    let s = '';
    for (let n = 1 + Math.floor(r() * 5); n > 0; n--) s += alphabet[Math.floor(r() * alphabet.length)];
    words.push(s);
  }
  for (const s of words) assert.equal(retyped(s), s !== '' && RETYPED_ORACLE.some((re) => re.test(s)), JSON.stringify(s));
});
