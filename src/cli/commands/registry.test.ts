/**
 * The same commands against a real OCI registry (CNCF distribution on 127.0.0.1): references with
 * a URL, credentials from an .ocmconfig given with --config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOcm } from '../../testing/cli.js';
import { repoRoot, tempDir } from '../../testing/fixtures.js';
import { registryAvailable, startRegistry } from '../../testing/registry.js';

const skip = registryAvailable() ? false : 'docker-registry is not installed';
const env = { VERSION: '1.0.0', HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent' };

async function workdir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  await cp(join(repoRoot, 'examples', 'helloworld'), join(dir.path, 'src'), { recursive: true });
  return dir.path;
}

test('add cv into a registry and read it back: same descriptor as from a CTF, same bytes', { skip }, async (t) => {
  const registry = await startRegistry();
  t.after(() => registry.stop());
  const dir = await workdir(t);
  const repo = `${registry.url}/ocm`;

  const add = await runOcm(['add', 'cv', '-c', 'src', '-r', repo], { cwd: dir, env });
  assert.equal(add.code, 0, add.stderr);
  const ctf = await runOcm(['add', 'cv', '-c', 'src', '-r', './ctf'], { cwd: dir, env });
  assert.equal(ctf.code, 0, ctf.stderr);

  const fromRegistry = await runOcm(['get', 'cv', `${repo}//acme.org/helloworld:1.0.0`, '-o', 'yaml'], { cwd: dir, env });
  assert.equal(fromRegistry.code, 0, fromRegistry.stderr);
  const fromCtf = await runOcm(['get', 'cv', './ctf//acme.org/helloworld:1.0.0', '-o', 'yaml'], { cwd: dir, env });
  assert.equal(fromRegistry.stdout, fromCtf.stdout);

  const tree = await runOcm(['get', 'cv', `oci::${registry.host}/ocm//acme.org/helloworld`, '-o', 'tree', '--recursive'], { cwd: dir, env });
  assert.equal(tree.code, 0, tree.stderr);
  assert.match(tree.stdout, /acme\.org\/helloworld-config/);

  const dl = await runOcm(['download', 'resource', `${repo}//acme.org/helloworld:1.0.0`, '--identity', 'name=greeting', '-O', '-'], { cwd: dir, env });
  assert.equal(dl.code, 0, dl.stderr);
  assert.deepEqual(dl.stdoutBytes, await readFile(join(dir, 'src', 'content', 'greeting.txt')));
});

test('a registry with basic auth: refused without credentials, works with --config credentials', { skip }, async (t) => {
  const registry = await startRegistry({ auth: 'htpasswd' });
  t.after(() => registry.stop());
  const dir = await workdir(t);
  const repo = `${registry.url}/ocm`;

  const denied = await runOcm(['add', 'cv', '-c', 'src', '-r', repo], { cwd: dir, env });
  assert.equal(denied.code, 6, denied.stderr);
  assert.equal(denied.stderr.trimEnd().split('\n').length, 1, denied.stderr);
  assert.match(denied.stderr, /\[UNAUTHORIZED\]$/m);
  assert.match(denied.stderr, /identity hostname=127\.0\.0\.1,.*type=OCIRegistry/);

  const user = registry.users[0]!;
  const config = join(dir, 'ocmconfig.yaml');
  await writeFile(
    config,
    [
      'type: generic.config.ocm.software/v1',
      'configurations:',
      '- type: credentials.config.ocm.software',
      '  consumers:',
      '  - identities:',
      '    - type: OCIRegistry',
      '      hostname: 127.0.0.1',
      `      port: "${registry.port}"`,
      '    credentials:',
      '    - type: Credentials/v1',
      '      properties:',
      `        username: ${user.username}`,
      `        password: ${user.password}`,
      '',
    ].join('\n'),
  );
  const add = await runOcm(['--config', config, 'add', 'cv', '-c', 'src', '-r', repo], { cwd: dir, env });
  assert.equal(add.code, 0, add.stderr);
  assert.doesNotMatch(add.stdout + add.stderr, new RegExp(user.password));
  const get = await runOcm(['--config', config, 'get', 'cv', `${repo}//acme.org/helloworld:1.0.0`], { cwd: dir, env });
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /acme\.org\/helloworld\s+1\.0\.0\s+acme\.org/);
  const dl = await runOcm(['--config', config, 'download', 'resource', `${repo}//acme.org/helloworld:1.0.0`, '--identity', 'name=site', '-O', 'site.tar'], { cwd: dir, env });
  assert.equal(dl.code, 0, dl.stderr);
});
