import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openCtf } from '../ctf/store.js';
import type { RepositoryStore } from '../oci/content/types.js';
import { runOcm } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';
import { componentRepositoryName as componentRepository, toTag } from '../repository/oci-mapping/tags.js';
import { APP, LIB, TOOL, verifyGraph, writeGraph, type Graph } from '../testing/graph-fixture.js';

async function roots(store: RepositoryStore): Promise<string[]> {
  const out: string[] = [];
  for (const c of [APP, LIB, TOOL]) out.push((await store.repository(componentRepository(c.name)).resolve(toTag(c.version))).digest);
  return out;
}

async function withCtf<T>(path: string, fn: (s: RepositoryStore) => Promise<T>): Promise<T> {
  const s = await openCtf(path, { readOnly: true });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

test('CLI: CTF → CTF through directory, tar and tgz keeps every digest and signature', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const src = join(dir.path, 'src');
  const store = await openCtf(src, { create: true, format: 'directory' });
  let graph: Graph;
  try {
    graph = await writeGraph(store, { image: { reference: '127.0.0.1:1/not/contacted:1.0@sha256:' + 'a'.repeat(64), manifestDigest: 'a'.repeat(64) } });
  } finally {
    await store.close();
  }
  const expected = await withCtf(src, roots);

  let from = src;
  for (const target of ['t.tar', 't.tgz', 't-dir']) {
    const to = join(dir.path, target);
    const r = await runOcm(['transfer', 'cv', `ctf::${from}//${APP.name}:${APP.version}`, to, '--recursive', '--progress', 'lines']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /transferred 3 of 3 component version\(s\)/);
    assert.deepEqual(await withCtf(to, roots), expected, `${target}: roots equal the source`);
    await withCtf(to, (s) => verifyGraph(s, graph));
    from = to;
  }

  // rerun: nothing moves, nothing is rewritten
  const again = await runOcm(['transfer', 'cv', `ctf::${src}//${APP.name}:${APP.version}`, join(dir.path, 't.tgz'), '-r', '-q', '-o', 'json']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stderr, '');
  // -o json prints the plan (before transferring): everything present, nothing to move
  const planned = JSON.parse(again.stdout) as { versions: { action: string }[]; bytesToMove: number };
  assert.deepEqual([planned.versions.map((v) => v.action), planned.bytesToMove], [['present', 'present', 'present'], 0]);

  const dry = await runOcm(['transfer', 'cv', `ctf::${src}//${APP.name}:${APP.version}`, join(dir.path, 'new.tgz'), '-r', '--dry-run', '-o', 'json']);
  assert.equal(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout) as { versions: { component: string; action: string; missingBytes: number }[] };
  assert.deepEqual(plan.versions.map((v) => v.component), [LIB.name, TOOL.name, APP.name]);
  assert.ok(plan.versions.every((v) => v.action === 'copy' && v.missingBytes > 0));
  await assert.rejects(openCtf(join(dir.path, 'new.tgz'), { readOnly: true }), 'a dry run creates nothing');
});

test('CLI: a bad target or missing version fails with one line and a stable code', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const src = join(dir.path, 'src');
  const store = await openCtf(src, { create: true, format: 'directory' });
  await writeGraph(store);
  await store.close();
  const missing = await runOcm(['transfer', 'cv', `ctf::${src}//${APP.name}:9.9.9`, join(dir.path, 'out')]);
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /^Error: component version acme\.org\/transfer\/app:9\.9\.9 not found.*\[NOT_FOUND\]\n$/);
  const badConc = await runOcm(['transfer', 'cv', `ctf::${src}//${APP.name}:1.0.0`, join(dir.path, 'out'), '--concurrency', '0']);
  assert.equal(badConc.code, 2);
  assert.match(badConc.stderr, /--concurrency/);
});

test('CLI: defaults from transfer.config.ocm.software and resolvers from ocm.config.ocm.software', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const full = join(dir.path, 'full');
  const store = await openCtf(full, { create: true, format: 'directory' });
  let graph: Graph;
  try {
    graph = await writeGraph(store);
  } finally {
    await store.close();
  }
  const onlyApp = join(dir.path, 'only-app');
  const r0 = await runOcm(['transfer', 'cv', `ctf::${full}//${APP.name}:${APP.version}`, onlyApp, '-q']);
  assert.equal(r0.code, 0, r0.stderr);
  const cfg = join(dir.path, 'ocmconfig.yaml');
  await writeFile(
    cfg,
    [
      'type: generic.config.ocm.software/v1',
      'configurations:',
      '- type: transfer.config.ocm.software/v1alpha1',
      '  recursive: -1',
      '- type: ocm.config.ocm.software/v1alpha1',
      '  resolvers:',
      `  - repository: {type: CommonTransportFormat/v1, filePath: ${full}}`,
      '',
    ].join('\n'),
  );
  const out = join(dir.path, 'out');
  const r = await runOcm(['--config', cfg, 'transfer', 'cv', `ctf::${onlyApp}//${APP.name}:${APP.version}`, out, '--progress', 'lines']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /transferred 3 of 3 component version\(s\)/, 'recursive from config, references from the resolver');
  await withCtf(out, (s) => verifyGraph(s, graph));
  const bad = join(dir.path, 'bad.yaml');
  await writeFile(bad, 'type: generic.config.ocm.software/v1\nconfigurations:\n- type: transfer.config.ocm.software/v1alpha1\n  copyMode: everything\n');
  const rb = await runOcm(['--config', bad, 'transfer', 'cv', `ctf::${onlyApp}//${APP.name}:${APP.version}`, join(dir.path, 'out2')]);
  assert.equal(rb.code, 4, rb.stderr);
  assert.match(rb.stderr, /copyMode "everything" is invalid.*\[CONFIG_ERROR\]/);
});
