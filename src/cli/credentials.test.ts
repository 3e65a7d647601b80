import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOcm } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';

/** An environment where discovery finds only what the test puts into `home` (and `cwd`). */
function isolatedEnv(home: string): NodeJS.ProcessEnv {
  return { HOME: home, XDG_CONFIG_HOME: '', OCM_CONFIG: '', DOCKER_CONFIG: join(home, 'docker') };
}

async function ctfWithOneVersion(dir: string): Promise<string> {
  await writeFile(join(dir, 'cc.yaml'), 'name: acme.org/lazy\nversion: 1.0.0\nprovider:\n  name: acme.org\nresources: []\n');
  const ctf = join(dir, 'ctf');
  const r = await runOcm(['add', 'cv', '-c', 'cc.yaml', '-r', ctf], { cwd: dir, env: isolatedEnv(dir) });
  assert.equal(r.code, 0, r.stderr);
  return `${ctf}//acme.org/lazy:1.0.0`;
}

test('a CTF command with a discovered broken .ocmconfig still warns about it (config is read before the command runs)', async (t) => {
  const dir = await tempDir();
  t.after(dir.dispose);
  const ref = await ctfWithOneVersion(dir.path);
  await writeFile(join(dir.path, '.ocmconfig'), 'type: [unclosed\n', { mode: 0o600 });
  const r = await runOcm(['get', 'cv', ref], { cwd: dir.path, env: isolatedEnv(dir.path) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Warning: config file .*\.ocmconfig is not valid YAML/);
});

test('a CTF command with an explicit --config whose credentials are broken fails as before', async (t) => {
  const dir = await tempDir();
  t.after(dir.dispose);
  const ref = await ctfWithOneVersion(dir.path);
  const cfg = join(dir.path, 'bad.yaml');
  await writeFile(cfg, 'type: generic.config.ocm.software/v1\nconfigurations:\n- type: credentials.config.ocm.software/v1\n  consumers: 7\n', { mode: 0o600 });
  const r = await runOcm(['--config', cfg, 'get', 'cv', ref], { cwd: dir.path, env: isolatedEnv(dir.path) });
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /bad\.yaml: configurations\[0\]\.consumers must be a list \[CONFIG_ERROR\]/);
});

test('without any .ocmconfig, credentials still come from the docker config when a registry asks (graph built on first lookup)', async (t) => {
  const dir = await tempDir();
  t.after(dir.dispose);
  await mkdir(join(dir.path, 'docker'));
  await writeFile(join(dir.path, 'docker', 'config.json'), JSON.stringify({ auths: { 'ghcr.io': { username: 'u', password: 'p' } } }), { mode: 0o600 });
  const r = await runOcm(['get', 'credentials', '--identity', 'type=OCIRegistry,hostname=ghcr.io', '-o', 'json', '--show-secrets'], { cwd: dir.path, env: isolatedEnv(dir.path) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /"username": "u"/);
  const { credentialResolverFor } = await import('./credentials.js');
  const saved = { ...process.env };
  const cwd = process.cwd();
  t.after(() => {
    process.env = saved;
    process.chdir(cwd);
  });
  Object.assign(process.env, isolatedEnv(dir.path));
  process.chdir(dir.path);
  const resolver = await credentialResolverFor({});
  assert.deepEqual(await resolver.resolve({ type: 'OCIRegistry', hostname: 'ghcr.io' }), { username: 'u', password: 'p' });
});
