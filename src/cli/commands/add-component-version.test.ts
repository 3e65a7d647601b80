import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runOcm } from '../../testing/cli.js';
import { repoRoot, tempDir } from '../../testing/fixtures.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const example = join(repoRoot, 'examples', 'helloworld');
const env = { VERSION: '1.0.0' };

async function exampleCopy(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  await cp(example, join(dir.path, 'src'), { recursive: true });
  return dir.path;
}

for (const target of ['ctf-dir', 'archive.tar', 'archive.tgz']) {
  test(`add cv builds the example into a new ${target} CTF; a second process reads back the identical descriptor`, async (t) => {
    const dir = await exampleCopy(t);
    const added = await runOcm(['add', 'cv', '-c', 'src/component-constructor.yaml', '-r', target, '-o', 'yaml'], { cwd: dir, env });
    assert.equal(added.code, 0, added.stderr);
    const docs = added.stdout.split(/^---\n/m);
    assert.equal(docs.length, 2, 'two components: the referenced one first');
    const main = docs[1]!;

    const read = await runOcm(['get', 'cv', `${target}//acme.org/helloworld:1.0.0`, '-o', 'yaml'], { cwd: dir });
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, main, 'the descriptor read back is byte-identical to the one added');
    const again = await runOcm(['get', 'cv', `ctf::${target}//acme.org/helloworld:1.0.0`, '-o', 'yaml'], { cwd: dir });
    assert.equal(again.stdout, main, 'and the same when read by a third process');

    const cd = parseYaml(main) as { component: { resources: { name: string; digest: { value: string } }[] } };
    assert.deepEqual(cd.component.resources.map((r) => r.name), ['greeting', 'site']);
    const greeting = await readFile(join(dir, 'src', 'content', 'greeting.txt'));
    assert.equal(cd.component.resources[0]!.digest.value, sha256(greeting));

    const dl = await runOcm(['download', 'resource', `${target}//acme.org/helloworld:1.0.0`, '--identity', 'name=greeting', '-O', '-'], { cwd: dir });
    assert.equal(dl.code, 0, dl.stderr);
    assert.deepEqual(dl.stdoutBytes, greeting);
  });
}

test('add cv output table lists the added component versions; tree --recursive shows the reference', async (t) => {
  const dir = await exampleCopy(t);
  const added = await runOcm(['add', 'component-version', '--constructor', 'src', '--repository', './ctf'], { cwd: dir, env });
  assert.equal(added.code, 0, added.stderr);
  assert.deepEqual(
    added.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/)),
    [
      ['COMPONENT', 'VERSION', 'PROVIDER'],
      ['acme.org/helloworld-config', '1.0.0', 'acme.org'],
      ['acme.org/helloworld', '1.0.0', 'acme.org'],
    ],
  );
  const tree = await runOcm(['get', 'cv', './ctf//acme.org/helloworld:1.0.0', '-o', 'tree', '--recursive'], { cwd: dir });
  assert.equal(tree.code, 0, tree.stderr);
  const rows = tree.stdout.trimEnd().split('\n');
  assert.equal(rows.length, 6, tree.stdout);
  assert.match(rows[1]!, /^└─ ●\s+acme\.org\/helloworld\s+1\.0\.0\s+acme\.org\s+name=acme\.org\/helloworld,version=1\.0\.0$/);
  assert.match(rows[2]!, /^ {3}├─ ▪\s+resource greeting \(plainText\)\s+1\.0\.0\s+name=greeting$/);
  assert.match(rows[3]!, /^ {3}├─ ▪\s+resource site \(directoryTree\)/);
  assert.match(rows[4]!, /^ {3}└─ ●\s+acme\.org\/helloworld-config\s+1\.0\.0/);
  assert.match(rows[5]!, /^ {6}└─ ▪\s+resource settings \(yaml\)/);

  const json = await runOcm(['get', 'cv', './ctf//acme.org/helloworld:1.0.0', '-o', 'json', '--recursive'], { cwd: dir });
  const list = JSON.parse(json.stdout) as { component: { name: string } }[];
  assert.deepEqual(list.map((d) => d.component.name), ['acme.org/helloworld', 'acme.org/helloworld-config']);
});

test('add cv finds component-constructor.yaml in the current directory and writes ./transport-archive by default', async (t) => {
  const dir = await exampleCopy(t);
  const r = await runOcm(['add', 'cv'], { cwd: join(dir, 'src'), env });
  assert.equal(r.code, 0, r.stderr);
  assert.ok((await readdir(join(dir, 'src'))).includes('transport-archive'));
  const get = await runOcm(['get', 'cv', './transport-archive//acme.org/helloworld-config'], { cwd: join(dir, 'src') });
  assert.match(get.stdout, /acme\.org\/helloworld-config\s+1\.0\.0/);
});

test('adding the same version again: identical content is a no-op, different content needs --overwrite', async (t) => {
  const dir = await exampleCopy(t);
  const args = ['add', 'cv', '-c', 'src/component-constructor.yaml', '-r', 'ctf'];
  assert.equal((await runOcm(args, { cwd: dir, env })).code, 0);
  assert.equal((await runOcm(args, { cwd: dir, env })).code, 0, 'same constructor again');

  await writeFile(join(dir, 'src', 'content', 'greeting.txt'), 'changed\n');
  const clash = await runOcm(args, { cwd: dir, env });
  assert.equal(clash.code, 7, clash.stderr);
  assert.equal(clash.stderr.trimEnd().split('\n').length, 1, clash.stderr);
  assert.match(clash.stderr, /acme\.org\/helloworld.*\[ALREADY_EXISTS\]/);

  const forced = await runOcm([...args, '--overwrite'], { cwd: dir, env });
  assert.equal(forced.code, 0, forced.stderr);
  const dl = await runOcm(['download', 'resource', 'ctf//acme.org/helloworld:1.0.0', '--identity', 'name=greeting', '-O', '-'], { cwd: dir });
  assert.equal(dl.stdout, 'changed\n');
});

test('add cv with --format tgz writes a gzip archive whatever its name', async (t) => {
  const dir = await exampleCopy(t);
  const r = await runOcm(['add', 'cv', '-c', 'src', '-r', 'ctf::bundle', '--format', 'tgz'], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  const head = (await readFile(join(dir, 'bundle'))).subarray(0, 2);
  assert.deepEqual([...head], [0x1f, 0x8b]);
  const get = await runOcm(['get', 'cv', 'ctf::bundle//acme.org/helloworld:1.0.0'], { cwd: dir });
  assert.equal(get.code, 0, get.stderr);
});
