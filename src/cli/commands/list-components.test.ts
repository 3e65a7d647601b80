/** `ocm list components` through the real CLI: a CTF with several components, a real registry, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runOcm } from '../../testing/cli.js';
import { tempDir } from '../../testing/fixtures.js';
import { registryAvailable, startRegistry } from '../../testing/registry.js';

const skip = registryAvailable() ? false : 'docker-registry is not installed';
const env = { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent' };
const NAMES = ['acme.org/app', 'acme.org/db', 'acme.org/web'];

async function setup(t: { after(fn: () => Promise<void>): void }, repo?: (dir: string) => string): Promise<{ dir: string; repo: string }> {
  const dir = await tempDir();
  t.after(dir.dispose);
  await writeFile(join(dir.path, 'cc.yaml'), `components:\n${NAMES.map((n) => `- name: ${n}\n  version: 1.0.0\n  provider: {name: acme.org}\n`).join('')}`);
  const target = repo ? repo(dir.path) : join(dir.path, 'ctf');
  const add = await runOcm(['add', 'cv', '-c', join(dir.path, 'cc.yaml'), '-r', target], { env });
  assert.equal(add.code, 0, add.stderr);
  return { dir: dir.path, repo: target };
}

test('ocm list components on a CTF: a table, JSON and YAML of every component, also as "list component"', async (t) => {
  const { repo } = await setup(t);
  const table = await runOcm(['list', 'components', repo], { env });
  assert.equal(table.code, 0, table.stderr);
  assert.deepEqual(table.stdout.trimEnd().split('\n'), ['COMPONENT', ...NAMES]);
  const json = await runOcm(['list', 'component', `ctf::${repo}`, '-o', 'json'], { env });
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual((JSON.parse(json.stdout) as string[]).sort(), NAMES);
  const yaml = await runOcm(['list', 'components', repo, '-o', 'yaml'], { env });
  assert.deepEqual((parse(yaml.stdout) as string[]).sort(), NAMES);
});

test('ocm list components on an empty or missing CTF: a note on stderr, or NOT_FOUND in one line', async (t) => {
  const dir = await tempDir();
  t.after(dir.dispose);
  await mkdir(join(dir.path, 'empty'));
  await writeFile(join(dir.path, 'empty', 'artifact-index.json'), '{"schemaVersion":1,"artifacts":null}');
  const empty = await runOcm(['list', 'components', join(dir.path, 'empty')], { env });
  assert.equal(empty.code, 0, empty.stderr);
  assert.equal(empty.stdout, '');
  assert.match(empty.stderr, /^no components in .*empty\n$/);
  const missing = await runOcm(['list', 'components', join(dir.path, 'nope')], { env });
  assert.equal(missing.code, 3, missing.stderr);
  assert.equal(missing.stderr.trimEnd().split('\n').length, 1, missing.stderr);
  assert.match(missing.stderr, /\[NOT_FOUND\]\n$/);
});

test('ocm list components on a real registry: the components under its path from the catalog', { skip }, async (t) => {
  const registry = await startRegistry();
  t.after(() => registry.stop());
  const { repo } = await setup(t, () => `${registry.url}/ocm`);
  const r = await runOcm(['list', 'components', repo, '-o', 'json'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((JSON.parse(r.stdout) as string[]).sort(), NAMES);
  const other = await runOcm(['list', 'components', `${registry.url}/other`, '-o', 'json'], { env });
  assert.deepEqual(JSON.parse(other.stdout), []);
});

test('ocm list components on a registry behind basic auth: credentials from --config; without them one clear line', { skip }, async (t) => {
  const registry = await startRegistry({ auth: 'htpasswd' });
  t.after(() => registry.stop());
  const dir = await tempDir();
  t.after(dir.dispose);
  const user = registry.users[0]!;
  const config = join(dir.path, 'ocmconfig.yaml');
  await writeFile(
    config,
    `type: credentials.config.ocm.software\nconsumers:\n- identity: {type: OCIRegistry, hostname: 127.0.0.1, port: "${registry.port}"}\n  credentials:\n  - type: Credentials/v1\n    properties: {username: ${user.username}, password: ${user.password}}\n`,
  );
  const denied = await runOcm(['list', 'components', `${registry.url}/ocm`], { env });
  assert.equal(denied.code, 6, denied.stderr);
  assert.equal(denied.stderr.trimEnd().split('\n').length, 1, denied.stderr);
  assert.match(denied.stderr, /does not let this client list its repositories/);
  const ok = await runOcm(['--config', config, 'list', 'components', `${registry.url}/ocm`, '-o', 'json'], { env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), []);
  assert.doesNotMatch(ok.stdout + ok.stderr + denied.stderr, new RegExp(user.password));
});
