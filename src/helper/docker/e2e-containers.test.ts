/**
 * End to end with real peers: the htpasswd registry, skopeo and podman finding
 * docker-credential-ocm through a containers-auth.json `credHelpers` entry, with the credentials
 * only in a temp .ocmconfig. No secret in any argv these tests build.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../testing/fixtures.js';
import { writeTinyImageLayout } from '../../testing/oci-image.js';
import { registryAvailable, startRegistry, type RunningRegistry } from '../../testing/registry.js';

const have = (p: string) => existsSync(`/usr/bin/${p}`) || existsSync(`/usr/local/bin/${p}`);
const skip = !registryAvailable() ? 'docker-registry is not installed' : !have('skopeo') ? 'skopeo is not installed' : false;
const PASSWORD = 'e2e-Pa55-word';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a peer; every argv is checked for the secret before it is started. */
function peer(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeout = 120_000): Promise<Run> {
  assert.ok(!args.some((a) => a.includes(PASSWORD) || a.includes('testuser')), `credentials in argv: ${cmd}`);
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

let reg: RunningRegistry | undefined;
let dir = '';
let env: NodeJS.ProcessEnv = {};
let authWithHelper = '';
let authEmpty = '';

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'ocm-helper-e2e-'));
  reg = await startRegistry({ auth: 'htpasswd', users: [{ username: 'testuser', password: PASSWORD }] });
  const home = join(dir, 'home');
  const bin = join(dir, 'bin');
  await mkdir(home);
  await mkdir(bin);
  await mkdir(join(dir, 'xdg-run'), { mode: 0o700 });
  // Push directly, credentials in a throwaway auth file (not argv).
  const pushAuth = join(dir, 'push-auth.json');
  await writeFile(pushAuth, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`testuser:${PASSWORD}`).toString('base64') } } }), { mode: 0o600 });
  await writeTinyImageLayout(join(dir, 'layout'), 'v1');
  const push = await peer('skopeo', ['copy', '--dest-tls-verify=false', '--dest-authfile', pushAuth, `oci:${join(dir, 'layout')}:v1`, `docker://${reg.host}/img:1`], { PATH: process.env.PATH, HOME: home });
  assert.equal(push.code, 0, push.stderr);
  await rm(pushAuth);

  // The only place the credentials exist from now on: .ocmconfig.
  await writeFile(
    join(home, '.ocmconfig'),
    `type: generic.config.ocm.software/v1
configurations:
  - type: credentials.config.ocm.software
    consumers:
      - identity: {type: OCIRegistry, hostname: 127.0.0.1, port: "${reg.port}"}
        credentials:
          - type: Credentials/v1
            properties: {username: testuser, password: ${PASSWORD}}
`,
    { mode: 0o600 },
  );
  // dist files are not executable (npm sets the bit on install): a wrapper, logging its argv only.
  await writeFile(
    join(bin, 'docker-credential-ocm'),
    `#!/bin/sh\necho "$@" >> '${join(dir, 'helper-calls')}'\nexec '${process.execPath}' '${join(repoRoot, 'dist', 'bin', 'docker-credential-ocm.js')}' "$@"\n`,
  );
  await chmod(join(bin, 'docker-credential-ocm'), 0o755);
  authWithHelper = join(dir, 'containers-auth.json');
  await writeFile(authWithHelper, JSON.stringify({ credHelpers: { [reg.host]: 'ocm' } }));
  authEmpty = join(dir, 'empty-auth.json');
  await writeFile(authEmpty, '{}');
  env = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: home,
    OCM_CONFIG: join(home, '.ocmconfig'),
    DOCKER_CONFIG: join(home, '.docker'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_RUNTIME_DIR: join(dir, 'xdg-run'),
  };
});

after(async () => {
  await reg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('skopeo copy pulls from the htpasswd registry through docker-credential-ocm (credentials only in .ocmconfig); without it, 401', { skip }, async () => {
  const src = `docker://${reg!.host}/img:1`;
  const ok = await peer('skopeo', ['copy', '--src-tls-verify=false', src, `oci:${join(dir, 'out')}:x`], { ...env, REGISTRY_AUTH_FILE: authWithHelper });
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(existsSync(join(dir, 'out', 'index.json')));
  assert.match(await readFile(join(dir, 'helper-calls'), 'utf8'), /^get$/m);
  for (const s of [ok.stdout, ok.stderr]) assert.ok(!s.includes(PASSWORD));

  const denied = await peer('skopeo', ['copy', '--src-tls-verify=false', src, `oci:${join(dir, 'out2')}:x`], { ...env, REGISTRY_AUTH_FILE: authEmpty });
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /401|unauthorized|authentication required/i);
});

test('podman pull through docker-credential-ocm named in --authfile credHelpers', { skip: skip || (!have('podman') && 'podman is not installed') }, async () => {
  const storage = ['--root', join(dir, 'podman-root'), '--runroot', join(dir, 'podman-run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  const calls = async () => (await readFile(join(dir, 'helper-calls'), 'utf8').catch(() => '')).split('\n').filter((l) => l === 'get').length;
  const before = await calls();
  const ok = await peer('podman', [...storage, 'pull', '--tls-verify=false', '--authfile', authWithHelper, `${reg!.host}/img:1`], env, 180_000);
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok((await calls()) > before, 'podman ran docker-credential-ocm get');
  const images = await peer('podman', [...storage, 'images', '--format', '{{.Repository}}:{{.Tag}}'], env);
  assert.match(images.stdout, new RegExp(`${reg!.host.replace(/\./g, '\\.')}/img:1`));
  for (const s of [ok.stdout, ok.stderr]) assert.ok(!s.includes(PASSWORD));

  const denied = await peer('podman', [...storage, 'pull', '--tls-verify=false', '--authfile', authEmpty, `${reg!.host}/img:1`], env, 180_000);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /401|unauthorized|authentication required/i);
});
