import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../testing/fixtures.js';
import { CACHE_FILE } from './discovery.js';
import { findCandidates } from './discovery.js';
import { createPluginManager } from './manager.js';

const fixtureJs = join(repoRoot, 'dist', 'testing', 'plugin-fixture.js');
const b64 = Buffer.from(JSON.stringify({ type: 'object' })).toString('base64');
const caps = (cap: string, field: string, ...types: string[]) => JSON.stringify({ capabilities: [{ type: cap, [field]: types.map((type) => ({ type, aliases: null, jsonSchema: b64 })) }] });

function tempDir(t: TestContext): string {
  const d = mkdtempSync(join(tmpdir(), 'plugin-discovery-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** An executable wrapper that runs the fixture plugin with `env`. */
function install(dir: string, name: string, env: Record<string, string> = {}): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  const exports = Object.entries(env).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`);
  writeFileSync(p, ['#!/bin/sh', ...exports, `exec node ${fixtureJs} "$@"`, ''].join('\n'), { mode: 0o755 });
  return p;
}

test('discovery: recursive, executable regular files only, symlinks followed without looping, duplicates reported, missing dir = none', (t) => {
  const root = tempDir(t);
  const a = join(root, 'a');
  const b = join(root, 'b');
  install(a, 'p1');
  install(join(a, 'nested', 'deeper'), 'p2');
  writeFileSync(join(a, 'not-executable'), 'x', { mode: 0o644 });
  install(a, 'notes.md');
  install(a, 'caps.json');
  install(a, '.hidden');
  install(a, 'x-plugin.socket.lock');
  install(join(root, 'elsewhere'), 'real');
  symlinkSync(join(root, 'elsewhere', 'real'), join(a, 'linked'));
  symlinkSync(join(root, 'nowhere'), join(a, 'dangling'));
  symlinkSync(a, join(a, 'nested', 'loop')); // a directory link back up: visited once
  install(b, 'p1'); // duplicate id in a later directory
  install(b, 'p3');
  const r = findCandidates([a, join(root, 'missing'), b]);
  assert.deepEqual(r.candidates.map((c) => [c.id, c.path]), [
    ['linked', join(a, 'linked')],
    ['p2', join(a, 'nested', 'deeper', 'p2')],
    ['p1', join(a, 'p1')],
    ['p3', join(b, 'p3')],
  ]);
  assert.deepEqual(r.duplicates, [{ id: 'p1', path: join(b, 'p1'), error: `plugin id p1 already provided by ${join(a, 'p1')}` }]);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(findCandidates([join(root, 'missing')]), { candidates: [], duplicates: [], warnings: [] });
});

test('discovery: a directory that is a file or unreadable is a warning, not a failure', (t) => {
  const root = tempDir(t);
  install(root, 'ok');
  const file = join(root, 'ok');
  assert.deepEqual(findCandidates([file, root]).warnings, [`plugin directory ${file} is not a directory`]);
  if (process.getuid?.() === 0) return t.diagnostic('running as root: an unreadable directory cannot be made');
  const locked = join(root, 'locked');
  mkdirSync(locked, { mode: 0o000 });
  t.after(() => chmodSync(locked, 0o700));
  const r = findCandidates([root]);
  assert.equal(r.candidates.length, 1);
  assert.match(r.warnings[0]!, /locked cannot be read \(permission denied\)/);
});

test('capability cache: a warm start runs no plugin; a changed binary is re-run; vanished entries dropped; file 0600 in a 0700 dir', async (t) => {
  const root = tempDir(t);
  const dir = join(root, 'plugins');
  const cacheDir = join(root, 'cache', 'ocm');
  const counter = join(root, 'count');
  const p1 = install(dir, 'p1', { FIXTURE_CAPS: caps('inputRepository', 'supportedInputTypes', 'A/v1'), FIXTURE_COUNTER: counter });
  const p2 = install(dir, 'p2', { FIXTURE_CAPS: 'garbage', FIXTURE_COUNTER: counter });
  const runs = () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter((l) => l === 'capabilities').length : 0);
  const m = createPluginManager({ directories: [dir], cacheDir });
  t.after(() => m.shutdown());

  const first = await m.discover();
  assert.equal(runs(), 2);
  assert.deepEqual(first.map((i) => [i.id, i.cached, i.error === undefined]), [['p1', false, true], ['p2', false, false]]);
  assert.equal(statSync(join(cacheDir, CACHE_FILE)).mode & 0o777, 0o600);
  assert.equal(statSync(cacheDir).mode & 0o777, 0o700);

  const warm = await createPluginManager({ directories: [dir], cacheDir }).discover();
  assert.equal(runs(), 2, 'no process on a warm cache, also not for the broken plugin');
  assert.deepEqual(warm.map((i) => [i.id, i.cached]), [['p1', true], ['p2', true]]);
  assert.deepEqual(warm[0]!.capabilities, first[0]!.capabilities);
  assert.match(warm[1]!.error!, /not JSON/);

  const later = new Date(Date.now() + 5000);
  utimesSync(p1, later, later);
  await m.discover();
  assert.equal(runs(), 3, 'mtime change re-runs that plugin only');

  writeFileSync(p2, readFileSync(p2, 'utf8').replace('garbage', caps('blobTransformer', 'supportedTransformerSpecTypes', 'U/v1')));
  const fixed = await m.discover();
  assert.equal(runs(), 4, 'content (size) change re-runs it');
  assert.equal(fixed[1]!.error, undefined);

  rmSync(p1);
  await m.discover();
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(cacheDir, CACHE_FILE), 'utf8')).entries), [p2]);

  writeFileSync(join(cacheDir, CACHE_FILE), '{corrupt');
  const again = await m.discover();
  assert.equal(runs(), 5, 'a corrupt cache is ignored');
  assert.equal(again[0]!.cached, false);
  assert.equal(JSON.parse(readFileSync(join(cacheDir, CACHE_FILE), 'utf8')).version, 1, 'and rewritten');
});

test('capability cache: alternating plugin directories keep each other\'s entries (no re-runs)', async (t) => {
  const root = tempDir(t);
  const cacheDir = join(root, 'cache', 'ocm');
  const counter = join(root, 'count');
  const runs = () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter((l) => l === 'capabilities').length : 0);
  install(join(root, 'one'), 'p1', { FIXTURE_CAPS: caps('inputRepository', 'supportedInputTypes', 'A/v1'), FIXTURE_COUNTER: counter });
  install(join(root, 'two'), 'p2', { FIXTURE_CAPS: caps('inputRepository', 'supportedInputTypes', 'B/v1'), FIXTURE_COUNTER: counter });
  for (const d of ['one', 'two', 'one', 'two']) {
    const m = createPluginManager({ directories: [join(root, d)], cacheDir });
    t.after(() => m.shutdown());
    await m.discover();
  }
  assert.equal(runs(), 2, 'each plugin ran capabilities once');
});

test('a plugin printing garbage, failing, or claiming a taken type is skipped with its reason; the others load', async (t) => {
  const root = tempDir(t);
  const dir = join(root, 'plugins');
  install(dir, 'a-good', { FIXTURE_CAPS: caps('signingHandler', 'supportedSigningSpecTypes', 'S/v1', 'T/v1') });
  install(dir, 'b-garbage', { FIXTURE_CAPS: 'garbage' });
  install(dir, 'c-conflict', { FIXTURE_CAPS: caps('signingHandler', 'supportedSigningSpecTypes', 'T/v1') });
  install(dir, 'd-other-capability', { FIXTURE_CAPS: caps('blobTransformer', 'supportedTransformerSpecTypes', 'T/v1') });
  writeFileSync(join(dir, 'e-fails'), '#!/bin/sh\necho "cannot do that" >&2\nexit 2\n', { mode: 0o755 });
  writeFileSync(join(dir, 'f-unknown'), `#!/bin/sh\necho '{"capabilities":[{"type":"digestProcessor"}]}'\n`, { mode: 0o755 });
  const m = createPluginManager({ directories: [dir], cacheDir: false });
  t.after(() => m.shutdown());
  const infos = await m.discover();
  assert.deepEqual(
    infos.map((i) => [i.id, i.error ?? 'ok']),
    [
      ['a-good', 'ok'],
      ['b-garbage', 'capabilities output is not JSON: this is not JSON {'],
      ['c-conflict', 'type T/v1 (signingHandler) is already provided by plugin "a-good"'],
      ['d-other-capability', 'ok'],
      ['e-fails', '"capabilities" exited with code 2; last stderr: cannot do that'],
      ['f-unknown', 'unknown capability type "digestProcessor" (known: componentVersionRepository, componentLister, credentialRepository, credentialPlugin, inputRepository, digestProcessorRepository, resourceRepository, signingHandler, blobTransformer)'],
    ],
  );
  assert.deepEqual((await m.load()).map((p) => p.info.id), ['a-good', 'd-other-capability']);
  assert.deepEqual(m.processes(), [], 'loading starts nothing');
});

test('two credential repositories serving the same consumer type both load; their repository spec types are what conflicts', async (t) => {
  const dir = tempDir(t);
  const repoCaps = (spec: string) =>
    JSON.stringify({
      capabilities: [
        {
          type: 'credentialRepository',
          supportedConsumerIdentityTypes: [{ type: 'OCIRegistry', aliases: null, jsonSchema: b64 }],
          supportedCredentialRepositorySpecTypes: [{ type: spec, aliases: null, jsonSchema: b64 }],
        },
      ],
    });
  install(dir, 'a-pass', { FIXTURE_CAPS: repoCaps('PasswordStore/v1') });
  install(dir, 'b-vault', { FIXTURE_CAPS: repoCaps('Vault/v1') });
  install(dir, 'c-pass-again', { FIXTURE_CAPS: repoCaps('PasswordStore/v1') });
  const m = createPluginManager({ directories: [dir], cacheDir: false });
  t.after(() => m.shutdown());
  const infos = await m.discover();
  assert.deepEqual(
    infos.map((i) => [i.id, i.error ?? 'ok']),
    [
      ['a-pass', 'ok'],
      ['b-vault', 'ok'],
      ['c-pass-again', 'type PasswordStore/v1 (credentialRepository) is already provided by plugin "a-pass"'],
    ],
  );
});

test('a capabilities run that hangs hits its deadline and is skipped', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'hangs'), '#!/bin/sh\necho "thinking" >&2\nexec sleep 30\n', { mode: 0o755 });
  const m = createPluginManager({ directories: [dir], cacheDir: false, capabilitiesTimeoutMs: 300 });
  t.after(() => m.shutdown());
  const started = Date.now();
  const [info] = await m.discover();
  assert.ok(Date.now() - started < 5000);
  assert.equal(info!.error, '"capabilities" did not finish within 300 ms; last stderr: thinking');
});
