/**
 * Start-up stays cheap because commands load only what they use. These tests pin that by listing
 * the modules a real CLI run loads (ESM through a resolve hook, CommonJS from the require cache),
 * not by timing anything. The CLI runs from its bundle (scripts/bundle-cli.mjs): a loaded chunk
 * stands for the modules in it (dist/cli/bundle/inputs.json). A chunk holds exactly the modules
 * that the same lazy imports reach, so the list is the one the unbundled CLI would load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ocmBin, repoRoot, tempDir } from '../testing/fixtures.js';

const bundleDir = join(repoRoot, 'dist', 'cli', 'bundle');
const chunkInputs = JSON.parse(await readFile(join(bundleDir, 'inputs.json'), 'utf8')) as Record<string, string[]>;

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.OCM_TEST_MODULE_LOG, r.url + '\\n');
  return r;
}
`;
const PRELOAD = `import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
register(new URL('./hooks.mjs', import.meta.url));
process.on('exit', () => appendFileSync(process.env.OCM_TEST_MODULE_LOG, Object.keys(createRequire(import.meta.url).cache).join('\\n') + '\\n'));
`;

/**
 * Runs the built CLI with `args` in `dir` and returns its exit code, every module file it loaded
 * (bundle chunks replaced by the modules in them) and the files as loaded (`files`: the chunks).
 */
async function modulesLoadedBy(dir: string, args: readonly string[]): Promise<{ code: number | null; stderr: string; modules: string[]; files: string[] }> {
  await writeFile(join(dir, 'hooks.mjs'), HOOKS);
  await writeFile(join(dir, 'preload.mjs'), PRELOAD);
  const log = join(dir, `modules-${args.join('_').replace(/[^a-z0-9_-]/gi, '')}.log`);
  await writeFile(log, '');
  const env = { ...process.env, OCM_TEST_MODULE_LOG: log, HOME: dir, XDG_CONFIG_HOME: '', OCM_CONFIG: '', DOCKER_CONFIG: join(dir, 'docker') };
  const child = spawn(process.execPath, ['--import', pathToFileURL(join(dir, 'preload.mjs')).href, ocmBin, ...args], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const files = (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '' && !l.startsWith('node:')).map((l) => (l.startsWith('file:') ? new URL(l).pathname : l));
  const modules = files.flatMap((f) => (f.startsWith(`${bundleDir}/`) ? (chunkInputs[f.slice(bundleDir.length + 1)] ?? [f]).map((m) => join(repoRoot, m)) : [f]));
  return { code, stderr, modules, files };
}

const loaded = (modules: readonly string[], fragment: string) => modules.some((m) => m.includes(fragment));

test('ocm --version loads neither commander nor any command file', async (t) => {
  const dir = await tempDir();
  t.after(dir.dispose);
  const r = await modulesLoadedBy(dir.path, ['--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!loaded(r.modules, '/commander/'), 'commander');
  assert.ok(!loaded(r.modules, '/cli/commands/'), 'command files');
});

test('ocm --version and root --help load nothing of the plugin host, even with plugins installed', async (t) => {
  const dir = await tempDir();
  t.after(dir.dispose);
  await mkdir(join(dir.path, '.config', 'ocm', 'plugins'), { recursive: true });
  await writeFile(join(dir.path, '.config', 'ocm', 'plugins', 'some-plugin'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  for (const args of [['--version'], ['--help'], ['--plugin-directory', join(dir.path, '.config', 'ocm', 'plugins'), '--version']]) {
    const r = await modulesLoadedBy(dir.path, args);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!loaded(r.modules, '/plugin/'), `${args.join(' ')} loaded the plugin host`);
    assert.ok(!loaded(r.modules, '/cli/plugins.js'), `${args.join(' ')} loaded the CLI plugin wiring`);
  }
});

test('ocm get cv loads the plugin host only when a plugin directory has entries', async (t) => {
  const dir = await tempDir();
  t.after(dir.dispose);
  await writeFile(join(dir.path, 'cc.yaml'), 'name: acme.org/startup\nversion: 1.0.0\nprovider:\n  name: acme.org\nresources: []\n');
  assert.equal((await modulesLoadedBy(dir.path, ['add', 'cv', '-c', 'cc.yaml', '-r', 'ctf'])).code, 0);
  const none = await modulesLoadedBy(dir.path, ['get', 'cv', 'ctf//acme.org/startup:1.0.0']);
  assert.equal(none.code, 0, none.stderr);
  assert.ok(!loaded(none.modules, '/plugin/'), 'no plugin directory: the plugin host is not loaded');
  await mkdir(join(dir.path, 'plugins'));
  await writeFile(join(dir.path, 'plugins', 'p'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  const some = await modulesLoadedBy(dir.path, ['--plugin-directory', 'plugins', 'get', 'cv', 'ctf//acme.org/startup:1.0.0']);
  assert.equal(some.code, 0, some.stderr);
  assert.ok(loaded(some.modules, '/plugin/manager.js'), 'with a plugin installed the host is loaded');
});

test('with a plugin serving inputs and signers installed, get cv loads only the small plugin modules on top (no yaml, tar-stream, constructor or signing code)', async (t) => {
  const dir = await tempDir();
  t.after(dir.dispose);
  await writeFile(join(dir.path, 'cc.yaml'), 'name: acme.org/startup\nversion: 1.0.0\nprovider:\n  name: acme.org\nresources: []\n');
  assert.equal((await modulesLoadedBy(dir.path, ['add', 'cv', '-c', 'cc.yaml', '-r', 'ctf'])).code, 0);
  const caps = JSON.stringify({
    capabilities: [
      { type: 'inputRepository', supportedInputTypes: [{ type: 'Gen/v1alpha1', aliases: null }] },
      { type: 'signingHandler', supportedSigningSpecTypes: [{ type: 'Sig/v1alpha1', aliases: null }] },
      { type: 'credentialPlugin', supportedCredentialPluginTypes: [{ type: 'Cred/v1alpha1', aliases: null }] },
    ],
  });
  await mkdir(join(dir.path, 'plugins'));
  await writeFile(join(dir.path, 'plugins', 'multi'), `#!/bin/sh\n[ "$1" = capabilities ] && echo '${caps}' && exit 0\nexit 1\n`, { mode: 0o755 });
  const none = await modulesLoadedBy(dir.path, ['get', 'cv', 'ctf//acme.org/startup:1.0.0']);
  const some = await modulesLoadedBy(dir.path, ['--plugin-directory', 'plugins', 'get', 'cv', 'ctf//acme.org/startup:1.0.0']);
  assert.equal(some.code, 0, some.stderr);
  assert.ok(loaded(some.modules, '/plugin/adapters/index.js'), 'the plugin types were registered');
  const before = new Set(none.modules);
  const extra = [...new Set(some.modules)].filter((m) => !before.has(m));
  const allowed = ['/plugin/', '/credentials/redact.js', '/repository/transformer.js', '/signing/signer-kind.js'];
  assert.deepEqual(extra.filter((m) => !allowed.some((a) => m.includes(a))), [], 'modules loaded only because plugins are installed');
});

test('ocm get cv on a CTF without any config loads no schema compiler, credential graph, other verbs or transfer/signing code', async (t) => {
  const dir = await tempDir();
  t.after(dir.dispose);
  await writeFile(join(dir.path, 'cc.yaml'), 'name: acme.org/startup\nversion: 1.0.0\nprovider:\n  name: acme.org\nresources: []\n');
  const add = await modulesLoadedBy(dir.path, ['add', 'cv', '-c', 'cc.yaml', '-r', 'ctf']);
  assert.equal(add.code, 0, add.stderr);
  const r = await modulesLoadedBy(dir.path, ['get', 'cv', 'ctf//acme.org/startup:1.0.0']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(loaded(r.modules, '/cli/commands/get-component-version.js'), 'the module log works');
  assert.ok(r.files.some((f) => f.startsWith(`${bundleDir}/`)), 'the CLI ran from its bundle');
  assert.deepEqual(r.files.filter((f) => f.startsWith(join(repoRoot, 'dist', 'cli') + '/') && !f.startsWith(`${bundleDir}/`)), [], 'unbundled CLI modules loaded beside the bundle');
  for (const absent of [
    '/ajv/dist/compile/',
    '/ajv/dist/core.js',
    '/credentials/graph.js',
    '/cli/commands/add-component-version.js',
    '/cli/commands/transfer-component-version.js',
    '/cli/commands/sign-component-version.js',
    '/transfer/',
    '/signing/',
    '/cli-progress/',
    '/undici/',
  ]) {
    assert.ok(!loaded(r.modules, absent), `get cv loaded ${absent}`);
  }
});
