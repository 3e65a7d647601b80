/**
 * End to end with the helm plugin shipped as ONE bundled file (scripts/bundle-plugin.mjs) in a plugin
 * directory: `ocm add cv` with a `helm/v1` input packages test/fixtures/helm/mychart as `helm package`
 * would, and the downloaded resource is compared with a committed expected listing.
 *
 * There is no helm binary on the test machine: test/fixtures/helm/expected/ was written by hand from
 * helm's pkg/chart/v2/util/save.go and loader rules (entry order Chart.yaml, Chart.lock, values.yaml,
 * values.schema.json, templates/, other files in walk order, then subcharts expanded under charts/;
 * Chart.yaml/Chart.lock re-serialised by sigs.k8s.io/yaml with sorted keys, unknown fields dropped;
 * .helmignore plus the default `templates/.?*`; a UTF-8 BOM dropped; mode 0644).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { repoRoot } from '../../testing/fixtures.js';
import { pluginWorld, startedPids, type PluginWorld } from '../../testing/plugin-e2e.js';

const TIMEOUT = { timeout: 120_000 };
const MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const fixtures = join(repoRoot, 'test', 'fixtures', 'helm');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A world whose plugin directory holds the single-file bundle of examples/plugins/helm. */
async function helmWorld(): Promise<PluginWorld> {
  const w = await pluginWorld([]);
  await promisify(execFile)(process.execPath, [join(repoRoot, 'scripts', 'bundle-plugin.mjs'), join(repoRoot, 'examples', 'plugins', 'helm', 'main.ts'), join(w.plugins, 'ocm-plugin-helm')], { cwd: repoRoot });
  await cp(join(fixtures, 'mychart'), join(w.work, 'chart'), { recursive: true });
  return w;
}

const constructor = (name: string, input = '{type: helm/v1, path: ./chart}') => `name: acme.org/${name}
version: 1.0.0
provider: {name: acme.org}
resources:
  - name: chart
    type: helmChart
    input: ${input}
`;

interface TarEntry {
  name: string;
  mode: number;
  mtime: number;
  uid: number;
  gid: number;
  type: string;
  data: Buffer;
}

async function untar(tgz: Buffer): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const ex = extract();
  ex.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      entries.push({ name: h.name, mode: h.mode ?? -1, mtime: h.mtime?.getTime() ?? -1, uid: h.uid ?? -1, gid: h.gid ?? -1, type: h.type ?? '', data: Buffer.concat(chunks) });
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve).on('error', reject);
    Readable.from([gunzipSync(tgz)]).pipe(ex);
  });
  return entries;
}

async function addAndDownload(w: PluginWorld, name: string, repo: string): Promise<{ bytes: Buffer; resource: any }> {
  await w.file(`${name}.yaml`, constructor(name));
  const add = await w.ocm(['add', 'cv', '-c', `${name}.yaml`, '-r', repo], { flags: ['--debug'] });
  assert.equal(add.code, 0, add.stderr);
  assert.deepEqual(startedPids(add.stderr).map((s) => s.id), ['ocm-plugin-helm']);
  assert.deepEqual(await w.waitNoPluginProcess(), [], 'no plugin process may outlive the CLI');
  const get = await w.ocm(['get', 'cv', `${repo}//acme.org/${name}:1.0.0`, '-o', 'json']);
  assert.equal(get.code, 0, get.stderr);
  const resource = JSON.parse(get.stdout).component.resources[0];
  const dl = await w.ocm(['download', 'resource', `${repo}//acme.org/${name}:1.0.0`, '--identity', 'name=chart', '-O', '-']);
  assert.equal(dl.code, 0, dl.stderr);
  return { bytes: dl.stdoutBytes, resource };
}

test('helm plugin (bundled single file): add cv with a helm/v1 input stores the chart as helm package lays it out; download returns it byte for byte', TIMEOUT, async (t) => {
  const w = await helmWorld();
  t.after(() => w.dispose());
  const { bytes, resource } = await addAndDownload(w, 'chart', 'ctf');
  assert.equal(resource.access.mediaType, MEDIA_TYPE);
  assert.equal(resource.digest.value, sha256(bytes), 'the stored digest is that of the downloaded bytes');

  await t.test('gzip header carries helm\'s marker (extra field, comment "Helm", no mtime)', () => {
    assert.deepEqual([...bytes.subarray(0, 10)], [0x1f, 0x8b, 8, 0x14, 0, 0, 0, 0, 0, 255]);
    const xlen = bytes.readUInt16LE(10);
    assert.equal(bytes.subarray(12, 12 + xlen).toString(), '+aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=');
    assert.equal(bytes.subarray(12 + xlen, 12 + xlen + 5).toString(), 'Helm\0');
  });

  const entries = await untar(bytes);
  await t.test('the file list equals the expected listing (helm order, .helmignore and the templates/.?* default honoured)', async () => {
    const expected = (await readFile(join(fixtures, 'expected', 'listing.txt'), 'utf8')).trim().split('\n');
    assert.deepEqual(entries.map((e) => e.name), expected);
  });
  await t.test('every entry is a regular file, mode 0644, uid/gid 0, mtime 0', () => {
    for (const e of entries) assert.deepEqual([e.type, e.mode, e.uid, e.gid, e.mtime], ['file', 0o644, 0, 0, 0], e.name);
  });
  await t.test('Chart.yaml and Chart.lock are re-serialised as helm does (sorted keys, unknown fields dropped); subchart too', async () => {
    const byName = new Map(entries.map((e) => [e.name, e.data.toString('utf8')]));
    assert.equal(byName.get('mychart/Chart.yaml'), await readFile(join(fixtures, 'expected', 'Chart.yaml'), 'utf8'));
    assert.equal(byName.get('mychart/Chart.lock'), await readFile(join(fixtures, 'expected', 'Chart.lock'), 'utf8'));
    assert.equal(byName.get('mychart/charts/sub/Chart.yaml'), await readFile(join(fixtures, 'expected', 'sub-Chart.yaml'), 'utf8'));
  });
  await t.test('other files are copied unchanged, except that a UTF-8 BOM is dropped', async () => {
    for (const e of entries) {
      const rel = e.name.slice('mychart/'.length);
      if (['Chart.yaml', 'Chart.lock', 'charts/sub/Chart.yaml'].includes(rel)) continue;
      let src = await readFile(join(fixtures, 'mychart', rel));
      if (rel === 'README.md') {
        assert.deepEqual([...src.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the fixture README starts with a BOM');
        src = src.subarray(3);
      }
      assert.deepEqual(e.data, src, e.name);
    }
  });
});

test('helm plugin: the same chart gives the same bytes twice, whatever the files\' mtimes', TIMEOUT, async (t) => {
  const w = await helmWorld();
  t.after(() => w.dispose());
  const first = await addAndDownload(w, 'again', 'ctf1');
  const later = new Date(Date.now() + 3_600_000);
  for (const f of ['Chart.yaml', 'values.yaml', 'templates/deployment.yaml', 'charts/sub/Chart.yaml']) await utimes(join(w.work, 'chart', f), later, later);
  const second = await addAndDownload(w, 'again', 'ctf2');
  assert.equal(sha256(second.bytes), sha256(first.bytes));
  assert.equal(second.resource.digest.value, first.resource.digest.value);
});

test('helm plugin: a bad chart fails add cv with one line naming the file, and nothing is written', TIMEOUT, async (t) => {
  const w = await helmWorld();
  t.after(() => w.dispose());
  const chartYaml = join(w.work, 'chart', 'Chart.yaml');
  const good = await readFile(chartYaml, 'utf8');
  const cases: { name: string; mutate: () => Promise<void>; message: RegExp }[] = [
    { name: 'missing version', mutate: () => writeFile(chartYaml, good.replace(/^version: .*\n/m, '')), message: /chart\/Chart\.yaml: version is required/ },
    { name: 'bad apiVersion', mutate: () => writeFile(chartYaml, good.replace('apiVersion: v2', 'apiVersion: v3')), message: /chart\/Chart\.yaml: apiVersion "v3" is not supported/ },
    { name: 'not semver', mutate: () => writeFile(chartYaml, good.replace('version: 0.1.0', 'version: one')), message: /chart\/Chart\.yaml: version "one" is not a SemVer version/ },
    { name: 'not YAML', mutate: () => writeFile(chartYaml, 'name: [unclosed\n  version: {\n'), message: /chart\/Chart\.yaml: not valid YAML/ },
    { name: 'missing Chart.yaml', mutate: () => rm(chartYaml), message: /chart\/Chart\.yaml: missing/ },
  ];
  await w.file('bad.yaml', constructor('bad'));
  for (const c of cases) {
    await t.test(c.name, async () => {
      await c.mutate();
      const add = await w.ocm(['add', 'cv', '-c', 'bad.yaml', '-r', 'ctf']);
      assert.notEqual(add.code, 0);
      assert.match(add.stderr, c.message);
      assert.equal(add.stderr.trim().split('\n').length, 1, add.stderr);
      assert.doesNotMatch(add.stderr, /\n\s+at /, 'no stack trace');
      const get = await w.ocm(['get', 'cv', 'ctf//acme.org/bad:1.0.0']);
      assert.notEqual(get.code, 0, 'no component version was stored');
      assert.deepEqual(await w.waitNoPluginProcess(), []);
      await writeFile(chartYaml, good);
    });
  }
  await t.test('Go OCM\'s repository fields are refused with a one-line explanation', async () => {
    await w.file('remote.yaml', constructor('remote', '{type: helm/v1, path: mychart, helmRepository: "https://charts.example.org"}'));
    const add = await w.ocm(['add', 'cv', '-c', 'remote.yaml', '-r', 'ctf']);
    assert.notEqual(add.code, 0);
    assert.match(add.stderr, /helmRepository not supported by ocm-plugin-helm/);
    assert.equal(add.stderr.trim().split('\n').length, 1, add.stderr);
  });
});

test('helm plugin: a relative chart path is resolved beside the constructor file, not the working directory', TIMEOUT, async (t) => {
  const w = await helmWorld();
  t.after(() => w.dispose());
  await cp(join(w.work, 'chart'), join(w.work, 'release', 'chart'), { recursive: true });
  await rm(join(w.work, 'chart'), { recursive: true });
  await w.file('release/component.yaml', constructor('elsewhere'));
  const add = await w.ocm(['add', 'cv', '-c', 'release/component.yaml', '-r', 'ctf']);
  assert.equal(add.code, 0, add.stderr);
  const get = await w.ocm(['get', 'cv', 'ctf//acme.org/elsewhere:1.0.0', '-o', 'json']);
  assert.equal(get.code, 0, get.stderr);
  assert.equal(JSON.parse(get.stdout).component.resources[0].access.mediaType, MEDIA_TYPE);
});
