import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openCtf } from '../ctf/store.js';
import type { ComponentDescriptor } from '../descriptor/types.js';
import { OciComponentRepository } from '../repository/oci-mapping/index.js';
import { runOcm } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';

const NAME = 'acme.org/select/app';

async function addVersions(ctf: string, versions: readonly string[], create = false): Promise<void> {
  const store = await openCtf(ctf, create ? { create: true, format: 'directory' } : {});
  try {
    const repo = new OciComponentRepository(store);
    for (const version of versions) {
      const cd: ComponentDescriptor = {
        meta: { schemaVersion: 'v2' },
        component: { name: NAME, version, provider: 'acme.org', repositoryContexts: [], resources: [], sources: [], componentReferences: [] },
      };
      await repo.addComponentVersion(cd);
    }
  } finally {
    await store.close();
  }
}

async function versionsIn(ctf: string): Promise<string[]> {
  const store = await openCtf(ctf, { readOnly: true });
  try {
    return (await new OciComponentRepository(store).listComponentVersions(NAME)).sort();
  } finally {
    await store.close();
  }
}

interface SpecDoc {
  kind: string;
  roots: { component: string; version: string }[];
  flags: Record<string, unknown>;
  source: Record<string, unknown>;
  target: Record<string, unknown>;
  versions: { version: string; action: string; missingBytes: number }[];
  versionsToCopy: number;
  bytesToMove: number;
}

test('CLI: --semver-constraint and --latest select versions; -o prints the plan; --transfer-spec replays it', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const src = join(dir.path, 'src');
  await addVersions(src, ['1.0.0', '1.1.0', '1.2.0-rc.1', '1.10.0', '2.0.0'], true);
  const ref = `ctf::${src}//${NAME}`;
  const out = join(dir.path, 'out');

  const cases: [string[], string[]][] = [
    [['--semver-constraint', '^1'], ['1.0.0', '1.1.0', '1.10.0']],
    [['--semver-constraint', '^1', '--latest'], ['1.10.0']],
    [['--semver-constraint', '>=1.2.0-0 <2'], ['1.2.0-rc.1', '1.10.0']],
    [['--latest'], ['2.0.0']],
    [[], ['1.0.0', '1.1.0', '1.2.0-rc.1', '1.10.0', '2.0.0']],
  ];
  for (const [flags, want] of cases) {
    const r = await runOcm(['transfer', 'cv', ref, out, ...flags, '--dry-run', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as SpecDoc;
    assert.equal(doc.kind, 'ocm.software/transfer-spec/v1alpha1');
    assert.deepEqual(doc.roots.map((x) => x.version), want, flags.join(' '));
    assert.deepEqual(doc.versions.map((v) => [v.version, v.action]), want.map((v) => [v, 'copy']));
    assert.equal(doc.versionsToCopy, want.length);
    assert.ok(doc.bytesToMove > 0);
  }
  await assert.rejects(access(out), 'a dry run creates nothing');

  // no match: one line naming the constraint and the versions seen; a bad constraint: one line naming it
  const none = await runOcm(['transfer', 'cv', ref, out, '--semver-constraint', '>=3']);
  assert.equal(none.code, 3, none.stderr);
  assert.match(none.stderr, /^Error: no version of acme\.org\/select\/app in .* matches semver constraint ">=3" \(versions seen: 1\.0\.0, 1\.1\.0, 1\.2\.0-rc\.1, 1\.10\.0, 2\.0\.0\).*\[NOT_FOUND\]\n$/);
  const bad = await runOcm(['transfer', 'cv', ref, out, '--semver-constraint', '>= one']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /^Error: semver constraint ">= one": improper constraint ">= one".*\[INVALID_ARGUMENT\]\n$/);
  const pinned = await runOcm(['transfer', 'cv', `${ref}:1.0.0`, out, '--semver-constraint', '^1']);
  assert.equal(pinned.code, 2, pinned.stderr);
  assert.match(pinned.stderr, /--semver-constraint selects among versions: drop ":1\.0\.0"/);
  await assert.rejects(access(out), 'failures create nothing');

  // save a plan, add a version that would also match, replay: exactly the saved versions move
  const plan = join(dir.path, 'plan.yaml');
  const saved = await runOcm(['transfer', 'cv', ref, out, '--semver-constraint', '~1.1 || 2', '-o', 'yaml', '--dry-run']);
  assert.equal(saved.code, 0, saved.stderr);
  await writeFile(plan, saved.stdout);
  assert.match(saved.stdout, /^kind: ocm\.software\/transfer-spec\/v1alpha1$/m);
  await addVersions(src, ['1.1.5']);
  // graph-shaping flags are ignored on replay (no --latest effect, no constraint)
  const replay = await runOcm(['transfer', 'cv', '--transfer-spec', plan, '--latest', '--semver-constraint', '*', '-q']);
  assert.equal(replay.code, 0, replay.stderr);
  assert.deepEqual(await versionsIn(out), ['1.1.0', '2.0.0']);

  // -o json without --dry-run: the plan first, then the transfer; replaying again from stdin finds everything present
  const out2 = join(dir.path, 'out2');
  const live = await runOcm(['transfer', 'cv', `${ref}:1.1.5`, out2, '-o', 'json', '-q']);
  assert.equal(live.code, 0, live.stderr);
  const liveDoc = JSON.parse(live.stdout) as SpecDoc;
  assert.deepEqual(liveDoc.roots, [{ component: NAME, version: '1.1.5' }]);
  assert.deepEqual(await versionsIn(out2), ['1.1.5']);
  const again = await runOcm(['transfer', 'cv', '--transfer-spec', '-', '-o', 'json', '-q'], { input: live.stdout });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual((JSON.parse(again.stdout) as SpecDoc).versions.map((v) => v.action), ['present']);
});

test('CLI: a bad --transfer-spec is refused with one line naming the file and the field', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const file = join(dir.path, 'plan.yaml');
  const target = join(dir.path, 'never');
  const good = { kind: 'ocm.software/transfer-spec/v1alpha1', source: { type: 'CommonTransportFormat/v1', filePath: join(dir.path, 'src') }, target: { type: 'CommonTransportFormat/v1', filePath: target }, roots: [{ component: NAME, version: '1.0.0' }] };
  const cases: [unknown, RegExp][] = [
    [{ ...good, kind: 'TransformationGraphDefinition' }, /"kind" is "TransformationGraphDefinition", expected ocm\.software\/transfer-spec\/v1alpha1/],
    [{ ...good, roots: [] }, /"roots" must be a non-empty list/],
    [{ ...good, roots: [{ component: NAME }] }, /roots\[0\] must have a "component" and an exact "version"/],
    [{ ...good, target: { filePath: 'x' } }, /"target" must be a repository spec with a "type"/],
    [{ ...good, flags: { recursive: 'yes' } }, /flags\.recursive must be true or false/],
    [{ ...good, flags: { uploadAs: 'tarball' } }, /flags\.uploadAs must be localBlob or ociArtifact/],
    ['[1, 2', /PARSE_ERROR/],
  ];
  for (const [doc, want] of cases) {
    await writeFile(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
    const r = await runOcm(['transfer', 'cv', '--transfer-spec', file]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(r.stderr.includes(`--transfer-spec ${file}`), r.stderr);
    assert.match(r.stderr, want);
  }
  const both = await runOcm(['transfer', 'cv', '--transfer-spec', file, `ctf::${dir.path}//${NAME}`]);
  assert.equal(both.code, 2, both.stderr);
  assert.match(both.stderr, /--transfer-spec names the source, target and versions itself/);
  const neither = await runOcm(['transfer', 'cv']);
  assert.equal(neither.code, 2, neither.stderr);
  assert.match(neither.stderr, /missing source: give <source-ref> or --transfer-spec <file>/);
  await assert.rejects(access(target), 'nothing created');
});
