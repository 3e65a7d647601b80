/**
 * Real clients through `ocm proxy serve` (issue 13 "What it must show", first point): skopeo and
 * podman push an image through the proxy to the token-auth registry A and pull it back, holding
 * only the auth file `ocm proxy client-config` wrote (no upstream credentials on the client side,
 * private HOME); `ocm transfer cv` / `ocm get cv` do the same with the docker config it wrote.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOcm } from '../../testing/cli.js';
import { repoRoot } from '../../testing/fixtures.js';
import { writeOciLayout } from '../../testing/image-fixture.js';
import { clientAuth, httpCall, leaked, makeClient, onPath, proxyWorld, runTool, type ProxyProcess, type ProxyWorld } from '../../testing/proxy-e2e.js';
import { freePort, registryAvailable } from '../../testing/registry.js';

const skip = !registryAvailable() ? 'docker-registry is not installed' : !onPath('skopeo') ? 'skopeo is not installed' : false;
const skipPodman = skip || (onPath('podman') ? false : 'podman is not installed');

const ci = makeClient('ci');
let world: ProxyWorld;
let proxy: ProxyProcess;
/** The client side: its own HOME and only what client-config wrote. */
let clientDir: string;
let clientEnv: NodeJS.ProcessEnv;
/** Connector A's own root-namespace listener. */
let dedicated: string;

/** Runs `ocm proxy client-config` for conn-a and returns the one file it wrote. */
async function clientConfig(format: string, extra: readonly string[] = [], proxyHost?: string): Promise<string> {
  const out = join(clientDir, `${format}${extra.join('')}${proxyHost ? '-dedicated' : ''}`);
  await mkdir(out, { recursive: true });
  const r = await runOcm(
    ['--config', join(world.dir, '.ocmconfig'), 'proxy', 'client-config', '--connector', 'conn-a', '--format', format, '--proxy', proxyHost ?? proxy.host, ...extra, '--client', ci.name, '--token-file', join(clientDir, 'token'), '-o', out],
    { cwd: world.dir, env: { HOME: world.dir } },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(leaked(r.stdout + r.stderr, [ci.token]), [], 'client-config printed the token');
  const files = await readdir(out);
  assert.equal(files.length, 1, `client-config wrote ${files.join(', ')}`);
  return join(out, files[0]!);
}

before(async () => {
  if (skip) return;
  world = await proxyWorld();
  dedicated = `127.0.0.1:${await freePort()}`;
  const config = await world.writeConfig([{ ...world.connectorA([{ clients: [ci.name], repositories: ['**'], actions: ['pull', 'push'] }]), listen: dedicated }], [ci]);
  proxy = await world.startProxy(config);
  clientDir = join(world.dir, 'client');
  await mkdir(join(clientDir, 'home'), { recursive: true });
  await writeFile(join(clientDir, 'token'), ci.token, { mode: 0o600 });
  await writeFile(join(clientDir, 'registries.conf'), '');
  clientEnv = {
    HOME: join(clientDir, 'home'),
    XDG_CONFIG_HOME: join(clientDir, 'home', '.config'),
    XDG_RUNTIME_DIR: join(clientDir, 'home', 'run'),
    CONTAINERS_REGISTRIES_CONF: join(clientDir, 'registries.conf'),
    REGISTRY_AUTH_FILE: undefined,
    DOCKER_CONFIG: join(clientDir, 'home', '.docker'),
  };
});

after(async () => {
  await world?.dispose();
});

test('skopeo pushes an image through the proxy to the token registry and pulls it back with only the client-config auth file', { skip, timeout: 90_000 }, async () => {
  const auth = await clientConfig('containers-auth');
  const authText = await readFile(auth, 'utf8');
  assert.deepEqual(leaked(authText, world.secrets), [], 'upstream credentials in the client auth file');
  const layout = await writeOciLayout(join(clientDir, 'layout'), { single: true, layerSizes: [256 * 1024] });
  const ref = `docker://${proxy.host}/conn-a/e2e/skopeo:${layout.tag}`;
  const push = await runTool('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--dest-authfile', auth, `oci:${layout.dir}:${layout.tag}`, ref], { env: clientEnv });
  assert.equal(push.code, 0, push.stderr);
  const pull = await runTool('skopeo', ['copy', '-q', '--src-tls-verify=false', '--src-authfile', auth, ref, `oci:${join(clientDir, 'pulled')}:${layout.tag}`], { env: clientEnv });
  assert.equal(pull.code, 0, pull.stderr);
  const index = JSON.parse(await readFile(join(clientDir, 'pulled', 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  assert.equal(index.manifests[0]!.digest, layout.root.digest);
  // Without the auth file the proxy refuses the same client.
  const anon = await runTool('skopeo', ['inspect', '--raw', '--tls-verify=false', '--no-creds', ref], { env: clientEnv });
  assert.notEqual(anon.code, 0);
  // It really is in upstream A (asked through the proxy, which holds A's credentials).
  const head = await httpCall(`${proxy.url}/v2/conn-a/e2e/skopeo/manifests/${layout.root.digest}`, { method: 'HEAD', headers: { authorization: clientAuth(ci), accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(head.status, 200);
});

test('podman pushes and pulls through the proxy with only the client-config auth file', { skip: skipPodman, timeout: 120_000 }, async () => {
  const auth = await clientConfig('containers-auth');
  const layout = await writeOciLayout(join(clientDir, 'podman-layout'), { single: true, layerSizes: [128 * 1024], tag: 'p1' });
  const seed = await runTool('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--dest-authfile', auth, `oci:${layout.dir}:p1`, `docker://${proxy.host}/conn-a/e2e/seed:p1`], { env: clientEnv });
  assert.equal(seed.code, 0, seed.stderr);
  const storage = ['--root', join(clientDir, 'root'), '--runroot', join(clientDir, 'run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  const podman = (...args: string[]) => runTool('podman', [...storage, ...args], { env: clientEnv, timeoutMs: 100_000 });
  const pull = await podman('pull', '-q', '--tls-verify=false', '--authfile', auth, `${proxy.host}/conn-a/e2e/seed:p1`);
  assert.equal(pull.code, 0, pull.stderr);
  const push = await podman('push', '--tls-verify=false', '--authfile', auth, `${proxy.host}/conn-a/e2e/seed:p1`, `docker://${proxy.host}/conn-a/e2e/podman:p1`);
  assert.equal(push.code, 0, push.stderr);
  const rmi = await podman('rmi', '-a', '-f');
  assert.equal(rmi.code, 0, rmi.stderr);
  const back = await podman('pull', '-q', '--tls-verify=false', '--authfile', auth, `${proxy.host}/conn-a/e2e/podman:p1`);
  assert.equal(back.code, 0, back.stderr);
  const tags = await httpCall(`${proxy.url}/v2/conn-a/e2e/podman/tags/list`, { headers: { authorization: clientAuth(ci) } });
  assert.equal(tags.status, 200, tags.body.toString());
  assert.deepEqual((JSON.parse(tags.body.toString()) as { tags: string[] }).tags, ['p1']);
});

test('ocm transfer cv into the proxy and ocm get cv through it, with the docker config client-config wrote', { skip, timeout: 90_000 }, async () => {
  const dockerConfig = await clientConfig('docker');
  const work = join(clientDir, 'ocm');
  await cp(join(repoRoot, 'examples', 'helloworld'), join(work, 'src'), { recursive: true });
  // Not `.ocmconfig`: discovery would find that one in the working directory for the anonymous check.
  const cfg = join(work, 'client.ocmconfig');
  await writeFile(
    cfg,
    ['type: generic.config.ocm.software/v1', 'configurations:', '- type: credentials.config.ocm.software', '  repositories:', '  - repository:', '      type: DockerConfig/v1', `      dockerConfigFile: ${JSON.stringify(dockerConfig)}`, ''].join('\n'),
  );
  const env = { ...clientEnv, VERSION: '1.0.0' };
  const add = await runOcm(['add', 'cv', '-c', 'src', '-r', './ctf'], { cwd: work, env });
  assert.equal(add.code, 0, add.stderr);
  const repo = `http://${proxy.host}/conn-a/ocm`;
  const tr = await runOcm(['--config', cfg, 'transfer', 'cv', './ctf//acme.org/helloworld:1.0.0', repo], { cwd: work, env });
  assert.equal(tr.code, 0, tr.stderr);
  const get = await runOcm(['--config', cfg, 'get', 'cv', `${repo}//acme.org/helloworld:1.0.0`, '-o', 'yaml'], { cwd: work, env });
  assert.equal(get.code, 0, get.stderr);
  const fromCtf = await runOcm(['get', 'cv', './ctf//acme.org/helloworld:1.0.0', '-o', 'yaml'], { cwd: work, env });
  assert.equal(get.stdout, fromCtf.stdout);
  const dl = await runOcm(['--config', cfg, 'download', 'resource', `${repo}//acme.org/helloworld:1.0.0`, '--identity', 'name=greeting', '-O', '-'], { cwd: work, env });
  assert.equal(dl.code, 0, dl.stderr);
  assert.deepEqual(dl.stdoutBytes, await readFile(join(work, 'src', 'content', 'greeting.txt')));
  // Without the client's docker config the proxy refuses ocm too.
  const anon = await runOcm(['get', 'cv', `${repo}//acme.org/helloworld:1.0.0`], { cwd: work, env });
  assert.notEqual(anon.code, 0);
  assert.equal(anon.stderr.trimEnd().split('\n').length, 1, anon.stderr);
});

test("podman with client-config's registries.conf pulls by the upstream's name through the proxy; ns and the dedicated listener serve the same image", { skip: skipPodman, timeout: 120_000 }, async () => {
  const auth = await clientConfig('containers-auth');
  const layout = await writeOciLayout(join(clientDir, 'mirror-layout'), { single: true, layerSizes: [64 * 1024], tag: 'm1' });
  const seed = await runTool('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--dest-authfile', auth, `oci:${layout.dir}:m1`, `docker://${proxy.host}/conn-a/e2e/mirror:m1`], { env: clientEnv });
  assert.equal(seed.code, 0, seed.stderr);
  // registries.conf rewrites <upstream>/... to <proxy>/conn-a/...: the client names A, talks only to the proxy.
  const conf = await clientConfig('registries-conf');
  const storage = ['--root', join(clientDir, 'root2'), '--runroot', join(clientDir, 'run2'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  const logged = async () => (await readFile(proxy.accessLogFile, 'utf8')).split('\n').filter((l) => l.includes('"repository":"e2e/mirror"') && l.includes('"method":"GET"')).length;
  const before = await logged();
  const viaConf = await runTool('podman', [...storage, 'pull', '-q', '--authfile', auth, `${world.a.host}/e2e/mirror:m1`], { env: { ...clientEnv, CONTAINERS_REGISTRIES_CONF: conf }, timeoutMs: 100_000 });
  assert.equal(viaConf.code, 0, viaConf.stderr);
  assert.ok((await logged()) > before, 'the pull went through the proxy (access log)');
  // ?ns=<upstream host> on the shared listener (containerd mirrors) and the root namespace on the dedicated listener.
  const accept = 'application/vnd.oci.image.manifest.v1+json';
  const ns = await httpCall(`${proxy.url}/v2/e2e/mirror/manifests/m1?ns=${world.a.host}`, { headers: { authorization: clientAuth(ci), accept } });
  assert.equal(ns.status, 200, ns.body.toString());
  assert.equal(ns.headers['oci-namespace'], world.a.host);
  assert.equal(ns.headers['docker-content-digest'], layout.root.digest);
  const dockerAuth = await clientConfig('docker', [], dedicated);
  const viaDedicated = await runTool('skopeo', ['inspect', '--raw', '--tls-verify=false', '--authfile', dockerAuth, `docker://${dedicated}/e2e/mirror:m1`], { env: clientEnv });
  assert.equal(viaDedicated.code, 0, viaDedicated.stderr);
});
