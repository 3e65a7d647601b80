import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOcm } from '../../testing/cli.js';

const OCMCONFIG = `type: generic.config.ocm.software/v1
configurations:
  - type: credentials.config.ocm.software
    consumers:
      - identity: {type: OCIRegistry, hostname: ghcr.io}
        credentials: [{type: Credentials/v1, properties: {username: u, password: install-secret}}]
      - identity: {type: OCIRegistry, hostname: 127.0.0.1, port: 5000}
        credentials: [{type: Credentials/v1, properties: {username: u, password: install-secret}}]
`;

async function withEnv(fn: (home: string, env: NodeJS.ProcessEnv) => Promise<void>): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'ocm-install-'));
  try {
    const env: NodeJS.ProcessEnv = {
      HOME: home,
      PATH: '/usr/bin:/bin',
      DOCKER_CONFIG: join(home, 'docker'),
      REGISTRY_AUTH_FILE: join(home, 'containers', 'auth.json'),
      XDG_RUNTIME_DIR: '',
      XDG_CONFIG_HOME: '',
      OCM_CONFIG: '',
    };
    await fn(home, env);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

test('install prints the .bazelrc lines and the credHelpers fragments for the given hosts', async () => {
  await withEnv(async (home, env) => {
    const r = await runOcm(['credential-helper', 'install', '--hosts', 'ghcr.io, docker.io,127.0.0.1:5000', '--helper-path', '/opt/ocm/ocm-credential-helper'], { env, cwd: home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        `# ${home}/.bazelrc (or a workspace .bazelrc)`,
        'common --credential_helper=ghcr.io=/opt/ocm/ocm-credential-helper',
        'common --credential_helper=index.docker.io=/opt/ocm/ocm-credential-helper',
        'common --credential_helper=registry-1.docker.io=/opt/ocm/ocm-credential-helper',
        '# 127.0.0.1: Bazel scopes are DNS names; an IP address cannot be scoped (use a host name for it)',
        `# ${home}/docker/config.json: merge into "credHelpers"`,
        JSON.stringify({ credHelpers: { 'ghcr.io': 'ocm', 'https://index.docker.io/v1/': 'ocm', '127.0.0.1:5000': 'ocm' } }, null, 2),
        `# ${home}/containers/auth.json: merge into "credHelpers"`,
        JSON.stringify({ credHelpers: { 'ghcr.io': 'ocm', 'docker.io': 'ocm', '127.0.0.1:5000': 'ocm' } }, null, 2),
        '',
      ].join('\n'),
    );
    assert.match(r.stderr, /^note: docker-credential-ocm is not on PATH/);
    // printing writes nothing
    assert.deepEqual(await readdir(home), []);
  });
});

test('install takes the hosts from .ocmconfig by default, without printing a secret; none configured is a usage error', async () => {
  await withEnv(async (home, env) => {
    const none = await runOcm(['credential-helper', 'install', '--containers'], { env, cwd: home });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no OCIRegistry consumers are configured in \.ocmconfig; pass the registries with --hosts .*\[INVALID_ARGUMENT\]/);
    await writeFile(join(home, '.ocmconfig'), OCMCONFIG);
    const r = await runOcm(['credential-helper', 'install', '--containers'], { env, cwd: home });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.split('\n').slice(1).join('\n')), { credHelpers: { 'ghcr.io': 'ocm', '127.0.0.1:5000': 'ocm' } });
    assert.ok(!r.stdout.includes('install-secret') && !r.stderr.includes('install-secret'));
  });
});

test('install --write merges into existing files, keeps every other key and line and their mode, and is idempotent', async () => {
  await withEnv(async (home, env) => {
    await mkdir(join(home, 'docker'));
    const docker = { auths: { 'ghcr.io': { auth: 'dTpw' }, 'other.example': { auth: 'dTpw' } }, credHelpers: { 'gcr.io': 'gcloud', 'ghcr.io': 'pass' }, psFormat: 'table' };
    await writeFile(join(home, 'docker', 'config.json'), JSON.stringify(docker), { mode: 0o640 });
    await chmod(join(home, 'docker', 'config.json'), 0o640);
    await writeFile(join(home, '.bazelrc'), 'build --jobs=4');
    const args = ['credential-helper', 'install', '--write', '--hosts', 'ghcr.io,127.0.0.1:5000', '--helper-path', '/opt/h'];
    const r = await runOcm(args, { env, cwd: home });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(await readFile(join(home, 'docker', 'config.json'), 'utf8')), {
      ...docker,
      credHelpers: { 'gcr.io': 'gcloud', 'ghcr.io': 'ocm', '127.0.0.1:5000': 'ocm' },
    });
    assert.equal((await stat(join(home, 'docker', 'config.json'))).mode & 0o777, 0o640);
    assert.match(r.stderr, /credHelpers\["ghcr\.io"\] was "pass", now "ocm"/);
    assert.match(r.stderr, /auths\["ghcr\.io"\] is no longer used/);
    assert.deepEqual(JSON.parse(await readFile(join(home, 'containers', 'auth.json'), 'utf8')), { credHelpers: { 'ghcr.io': 'ocm', '127.0.0.1:5000': 'ocm' } });
    assert.equal((await stat(join(home, 'containers', 'auth.json'))).mode & 0o777, 0o600);
    assert.equal(await readFile(join(home, '.bazelrc'), 'utf8'), 'build --jobs=4\n# added by ocm credential-helper install\ncommon --credential_helper=ghcr.io=/opt/h\n');
    const again = await runOcm(args, { env, cwd: home });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already up to date/);
    assert.equal(await readFile(join(home, '.bazelrc'), 'utf8'), 'build --jobs=4\n# added by ocm credential-helper install\ncommon --credential_helper=ghcr.io=/opt/h\n');
  });
});

test('install --write refuses a file that is not valid JSON, leaves it untouched and leaves no temp file', async () => {
  await withEnv(async (home, env) => {
    await mkdir(join(home, 'containers'));
    const broken = '{"auths": {"ghcr.io": {"auth": "c2VjcmV0LWluLWZpbGU="}}';
    await writeFile(join(home, 'containers', 'auth.json'), broken);
    const r = await runOcm(['credential-helper', 'install', '--containers', '--write', '--hosts', 'ghcr.io'], { env, cwd: home });
    assert.equal(r.code, 4);
    assert.equal(r.stderr, `Error: ${home}/containers/auth.json is not a valid JSON object; fix it, or add the printed credHelpers entries by hand (run without --write) [CONFIG_ERROR]\n`);
    assert.equal(await readFile(join(home, 'containers', 'auth.json'), 'utf8'), broken);
    assert.deepEqual(await readdir(join(home, 'containers')), ['auth.json']);
  });
});
