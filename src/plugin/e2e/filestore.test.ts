/**
 * End to end: a component version repository served by a plugin (`ocm-plugin-filestore`,
 * `FileStore/v1alpha1` on a directory) through every CLI command that takes a repository: add
 * (`--repository-spec`), get and download (`FileStore/v1alpha1::<dir>//c:v`), list components,
 * transfer plugin → CTF and CTF → plugin (recursive, and `--copy-resources` of a plugin-served access).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pluginWorld, startedPids, type PluginWorld } from '../../testing/plugin-e2e.js';

const TIMEOUT = { timeout: 120_000 };

async function noPluginLeft(w: PluginWorld): Promise<void> {
  assert.deepEqual(await w.waitNoPluginProcess(), [], 'no plugin process may outlive the CLI');
}

const component = (name: string, text: string, extra = '') => `name: acme.org/${name}
version: 1.0.0
provider: {name: acme.org}
resources:
  - name: text
    type: plainText
    input: {type: utf8, text: ${JSON.stringify(text)}}
${extra}`;

test('FileStore plugin repository: add --repository-spec, get and download by <type>::<dir>, list components, transfer to a CTF', TIMEOUT, async (t) => {
  const w = await pluginWorld(['filestore']);
  t.after(() => w.dispose());
  const store = join(w.root, 'store');
  await mkdir(store);
  await w.file('store.yaml', `type: FileStore/v1alpha1\npath: ${JSON.stringify(store)}\n`);
  await w.file('local.yaml', component('local', 'a local blob in the plugin store'));
  const add = await w.ocm(['add', 'cv', '-c', 'local.yaml', '--repository-spec', 'store.yaml'], { flags: ['--debug'] });
  assert.equal(add.code, 0, add.stderr);
  assert.deepEqual(startedPids(add.stderr).map((s) => s.id), ['ocm-plugin-filestore']);
  await noPluginLeft(w);

  const ref = `FileStore/v1alpha1::${store}//acme.org/local:1.0.0`;
  const get = await w.ocm(['get', 'cv', ref, '-o', 'json']);
  assert.equal(get.code, 0, get.stderr);
  const cd = JSON.parse(get.stdout);
  assert.equal(cd.component.name, 'acme.org/local');
  assert.equal(cd.component.resources[0].access.type, 'localBlob');
  const bySpec = await w.ocm(['get', 'cv', '--repository-spec', 'store.yaml', 'acme.org/local:1.0.0', '-o', 'json']);
  assert.equal(bySpec.code, 0, bySpec.stderr);
  assert.deepEqual(JSON.parse(bySpec.stdout), cd);

  const list = await w.ocm(['list', 'components', `FileStore/v1alpha1::${store}`, '-o', 'json']);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout), ['acme.org/local']);

  const dl = await w.ocm(['download', 'resource', ref, '--identity', 'name=text', '-O', '-']);
  assert.equal(dl.code, 0, dl.stderr);
  assert.equal(dl.stdout, 'a local blob in the plugin store');

  const tr = await w.ocm(['transfer', 'cv', ref, 'ctf']);
  assert.equal(tr.code, 0, tr.stderr);
  const back = await w.ocm(['download', 'resource', 'ctf//acme.org/local:1.0.0', '--identity', 'name=text', '-O', '-']);
  assert.equal(back.code, 0, back.stderr);
  assert.equal(back.stdout, 'a local blob in the plugin store');
  await noPluginLeft(w);

  // Last, as the lead is fixing it: the plugin's 404 is our NOT_FOUND (exit 3).
  const missing = await w.ocm(['get', 'cv', `FileStore/v1alpha1::${store}//acme.org/nope:1.0.0`]);
  assert.equal(missing.code, 3, `a missing version is NOT_FOUND: ${missing.stderr}`);
  assert.match(missing.stderr, /NOT_FOUND/);
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);

});

test('transfer CTF → empty FileStore plugin repository, recursively with a reference, and back', TIMEOUT, async (t) => {
  const w = await pluginWorld(['filestore']);
  t.after(() => w.dispose());
  const store = join(w.root, 'store');
  await mkdir(store);
  await w.file('lib.yaml', component('lib', 'library bytes'));
  await w.file('app.yaml', component('app', 'app bytes', `componentReferences:
  - name: lib
    componentName: acme.org/lib
    version: 1.0.0
`));
  for (const f of ['lib.yaml', 'app.yaml']) {
    const add = await w.ocm(['add', 'cv', '-c', f, '-r', 'ctf']);
    assert.equal(add.code, 0, add.stderr);
  }
  const tr = await w.ocm(['transfer', 'cv', '--recursive', 'ctf//acme.org/app:1.0.0', `FileStore/v1alpha1::${store}`]);
  assert.equal(tr.code, 0, `transfer into an empty plugin store (its 404 must be NOT_FOUND): ${tr.stderr}`);
  await noPluginLeft(w);
  const list = await w.ocm(['list', 'components', `FileStore/v1alpha1::${store}`, '-o', 'json']);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual((JSON.parse(list.stdout) as string[]).sort(), ['acme.org/app', 'acme.org/lib']);
  const dl = await w.ocm(['download', 'resource', `FileStore/v1alpha1::${store}//acme.org/lib:1.0.0`, '--identity', 'name=text', '-O', '-']);
  assert.equal(dl.code, 0, dl.stderr);
  assert.equal(dl.stdout, 'library bytes');

  // Plugin → CTF, recursively, via --repository-spec for the source.
  await w.file('store.yaml', `type: FileStore/v1alpha1\npath: ${JSON.stringify(store)}\n`);
  const back = await w.ocm(['transfer', 'cv', '--recursive', '--repository-spec', 'store.yaml', 'acme.org/app:1.0.0', 'ctf2']);
  assert.equal(back.code, 0, back.stderr);
  const get = await w.ocm(['get', 'cv', 'ctf2//acme.org/lib:1.0.0']);
  assert.equal(get.code, 0, get.stderr);
  await noPluginLeft(w);
});

test('transfer --copy-resources from a plugin repository copies a PluginStore/v1alpha1 resource by value into the target', TIMEOUT, async (t) => {
  const w = await pluginWorld(['filestore', 'toolbox']);
  t.after(() => w.dispose());
  const store = join(w.root, 'store');
  await mkdir(store);
  const blob = join(w.root, 'plugin-store-blob.txt');
  await writeFile(blob, 'served by the toolbox\n');
  await w.file('store.yaml', `type: FileStore/v1alpha1\npath: ${JSON.stringify(store)}\n`);
  await w.file('ext.yaml', `name: acme.org/ext
version: 1.0.0
provider: {name: acme.org}
resources:
  - name: ext
    type: blob
    access: {type: PluginStore/v1alpha1, path: ${JSON.stringify(blob)}}
`);
  const add = await w.ocm(['add', 'cv', '-c', 'ext.yaml', '--repository-spec', 'store.yaml']);
  assert.equal(add.code, 0, add.stderr);
  const tr = await w.ocm(['transfer', 'cv', '--copy-resources', `FileStore/v1alpha1::${store}//acme.org/ext:1.0.0`, 'ctf'], { flags: ['--debug'] });
  assert.equal(tr.code, 0, tr.stderr);
  assert.equal(new Set(startedPids(tr.stderr).map((s) => s.id)).size, 2, 'filestore and toolbox each started once');
  await noPluginLeft(w);
  const get = await w.ocm(['get', 'cv', 'ctf//acme.org/ext:1.0.0', '-o', 'json']);
  assert.equal(get.code, 0, get.stderr);
  const res = JSON.parse(get.stdout).component.resources[0];
  assert.equal(res.access.type, 'localBlob', `copied by value: ${JSON.stringify(res.access)}`);
  // The target no longer needs the plugin or the file.
  await rm(blob);
  const dl = await w.ocm(['download', 'resource', 'ctf//acme.org/ext:1.0.0', '--identity', 'name=ext', '-O', '-']);
  assert.equal(dl.code, 0, dl.stderr);
  assert.equal(dl.stdout, 'served by the toolbox\n');
  assert.equal(existsSync(join(w.work, 'ext')), false);
});
