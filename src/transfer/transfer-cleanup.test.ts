import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openCtf } from '../ctf/store.js';
import { OciComponentRepository } from '../repository/oci-mapping/index.js';
import { runOcm } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';
import { APP, writeGraph } from './graph-fixture.js';

/** A source CTF directory with the graph; returns the path of the blob file of APP's `config` resource. */
async function sourceWithGraph(dir: string): Promise<{ src: string; blobFile: string }> {
  const src = join(dir, 'src');
  const store = await openCtf(src, { create: true, format: 'directory' });
  let ref: string;
  try {
    await writeGraph(store);
    const cd = await new OciComponentRepository(store).getComponentVersion(APP.name, APP.version);
    ref = String(cd.component.resources.find((r) => r.name === 'config')!.access.localReference);
  } finally {
    await store.close();
  }
  return { src, blobFile: join(src, 'blobs', ref.replace(':', '.')) };
}

const faults: { name: string; damage: (file: string) => Promise<void>; code: RegExp }[] = [
  {
    name: 'corrupt',
    damage: async (f) => {
      const b = await readFile(f);
      b[0] = b[0]! ^ 0xff; // same size, other digest
      await writeFile(f, b);
    },
    code: /DIGEST_MISMATCH|digest/i,
  },
  { name: 'missing', damage: (f) => rm(f), code: /not found|NOT_FOUND/i },
];

for (const fault of faults) {
  test(`CLI: a failed transfer (${fault.name} source blob) into a new CTF leaves nothing behind; an existing CTF keeps its index`, async (t) => {
    const dir = await tempDir();
    t.after(() => dir.dispose());
    const { src, blobFile } = await sourceWithGraph(dir.path);
    // existing targets (directory and tgz) made before the damage, so they hold part of the graph
    const out = join(dir.path, 'out');
    await cp(src, join(dir.path, 'pristine'), { recursive: true });
    await fault.damage(blobFile);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(out);
    const ok = await runOcm(['transfer', 'cv', `ctf::${join(dir.path, 'pristine')}//acme.org/transfer/lib:1.0.0`, join(out, 'old-dir'), '-q'], { cwd: out });
    assert.equal(ok.code, 0, ok.stderr);
    const ok2 = await runOcm(['transfer', 'cv', `ctf::${join(dir.path, 'pristine')}//acme.org/transfer/lib:1.0.0`, join(out, 'old.tgz'), '-q'], { cwd: out });
    assert.equal(ok2.code, 0, ok2.stderr);
    const indexBefore = await readFile(join(out, 'old-dir', 'artifact-index.json'));
    const tgzBefore = await readFile(join(out, 'old.tgz'));

    for (const target of ['./new.tgz', './new-dir', './new.tar']) {
      const r = await runOcm(['transfer', 'cv', `ctf::${src}//${APP.name}:${APP.version}`, target, '--recursive', '-q'], { cwd: out });
      assert.notEqual(r.code, 0, `${target}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${target}: one stderr line: ${r.stderr}`);
      assert.match(r.stderr, fault.code);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack');
      assert.deepEqual((await readdir(out)).sort(), ['old-dir', 'old.tgz'], `${target}: nothing left behind`);
    }
    for (const target of ['old-dir', 'old.tgz']) {
      const r = await runOcm(['transfer', 'cv', `ctf::${src}//${APP.name}:${APP.version}`, target, '--recursive', '-q'], { cwd: out });
      assert.notEqual(r.code, 0, `${target}: ${r.stderr}`);
    }
    assert.deepEqual(await readFile(join(out, 'old-dir', 'artifact-index.json')), indexBefore, 'existing directory: index byte-identical');
    assert.deepEqual(await readFile(join(out, 'old.tgz')), tgzBefore, 'existing tgz: archive byte-identical');
    assert.deepEqual((await readdir(out)).sort(), ['old-dir', 'old.tgz'], 'no temp files');
  });
}
