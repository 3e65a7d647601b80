/**
 * End to end, the plugin lifecycle and hygiene seen from outside the CLI: no process before first
 * use, no orphan after SIGKILL of the CLI, the start deadline for a hanging plugin, a plugin with
 * garbage capabilities skipped with a reason, no temp files left, `plugin list -o json` and
 * `describe types` for plugin types. Process checks use the `--debug` start lines and /proc.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ocmBin } from '../../testing/fixtures.js';
import { alive, pluginWorld, startedPids, type PluginWorld } from '../../testing/plugin-e2e.js';

const TIMEOUT = { timeout: 90_000 };
const GENERATED = 'name: acme.org/gen\nversion: 1.0.0\nprovider: {name: acme.org}\nresources:\n  - name: text\n    type: plainText\n    input: {type: Generated/v1alpha1, text: "hello ", repeat: 2}\n';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64');
/** A shell "plugin" that answers `capabilities` (an input type) and otherwise hangs without a readiness line. */
const HANGING = `#!/bin/sh
if [ "$1" = capabilities ]; then
  printf '%s' '{"capabilities":[{"type":"inputRepository","supportedInputTypes":[{"type":"Hang/v1alpha1","jsonSchema":"${b64({ type: 'object' })}"}]}]}'
  exit 0
fi
echo "hanging plugin starting, never ready" >&2
exec sleep 600
`;
const GARBAGE = '#!/bin/sh\necho "{this is not json"\n';

async function ctfWithGenerated(w: PluginWorld): Promise<void> {
  await w.file('cc.yaml', GENERATED);
  const add = await w.ocm(['add', 'cv', '-c', 'cc.yaml', '-r', 'ctf']);
  assert.equal(add.code, 0, add.stderr);
}

test('no plugin process before first use; a garbage plugin is skipped with a reason and breaks nothing; plugin list -o json shape', TIMEOUT, async (t) => {
  const w = await pluginWorld(['toolbox', 'filestore'], { scripts: { 'ocm-plugin-garbage': GARBAGE } });
  t.after(() => w.dispose());
  await ctfWithGenerated(w);
  const get = await w.ocm(['get', 'cv', 'ctf//acme.org/gen:1.0.0'], { flags: ['--debug'] });
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /acme\.org\/gen\s+1\.0\.0/);
  assert.deepEqual(startedPids(get.stderr), [], 'get cv on a CTF needs no plugin type');
  assert.deepEqual(w.pluginPids(), []);
  const quiet = await w.ocm(['get', 'cv', 'ctf//acme.org/gen:1.0.0']);
  assert.equal(quiet.stderr, '', 'a broken plugin is silent for commands that do not need it');

  const list = await w.ocm(['plugin', 'list', '-o', 'json']);
  assert.equal(list.code, 0, list.stderr);
  const rows = JSON.parse(list.stdout) as { id: string; path: string; state: string; capabilities?: { type: string; types: string[] }[]; shadowed?: unknown[] }[];
  assert.deepEqual(rows.map((r) => r.id).sort(), ['ocm-plugin-filestore', 'ocm-plugin-garbage', 'ocm-plugin-toolbox']);
  const toolbox = rows.find((r) => r.id === 'ocm-plugin-toolbox')!;
  assert.equal(toolbox.state, 'ok');
  assert.equal(toolbox.path, join(w.plugins, 'ocm-plugin-toolbox'));
  const caps = Object.fromEntries(toolbox.capabilities!.map((c) => [c.type, c.types]));
  assert.deepEqual(caps.inputRepository, ['Generated/v1alpha1']);
  assert.deepEqual(caps.blobTransformer, ['Uppercase/v1alpha1']);
  assert.deepEqual(caps.signingHandler, ['HMAC/v1alpha1']);
  assert.deepEqual(caps.credentialPlugin, ['Vault/v1alpha1']);
  assert.ok(caps.credentialRepository!.includes('SecretsDir/v1alpha1'));
  assert.deepEqual(rows.find((r) => r.id === 'ocm-plugin-filestore')!.capabilities!.map((c) => c.type).sort(), ['componentLister', 'componentVersionRepository']);
  assert.match(rows.find((r) => r.id === 'ocm-plugin-garbage')!.state, /^skipped: .*(JSON|json)/);
  assert.deepEqual(w.pluginPids(), [], 'plugin list starts no plugin process');
});

test('describe types shows plugin types with their schema', TIMEOUT, async (t) => {
  const w = await pluginWorld(['toolbox']);
  t.after(() => w.dispose());
  const schema = await w.ocm(['describe', 'types', 'input', 'Generated/v1alpha1', '-o', 'json']);
  assert.equal(schema.code, 0, schema.stderr);
  const s = JSON.parse(schema.stdout);
  assert.equal(s.properties.repeat.type, 'integer');
  assert.deepEqual([...s.required].sort(), ['text', 'type']);
  const table = await w.ocm(['describe', 'types', 'input']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /Generated\/v1alpha1.*ocm-plugin-toolbox/);
  assert.match(table.stdout, /File\/v1\s+built-in/, 'built-ins are listed next to plugin types');
  assert.deepEqual(w.pluginPids(), []);
});

test('a plugin that never prints its readiness line hits --plugin-start-timeout with one PLUGIN_ERROR line naming it, and is killed', TIMEOUT, async (t) => {
  const w = await pluginWorld([], { scripts: { 'ocm-plugin-hang': HANGING } });
  t.after(() => w.dispose());
  await w.file('cc.yaml', 'name: acme.org/h\nversion: 1.0.0\nprovider: {name: acme.org}\nresources:\n  - name: hang\n    type: blob\n    input: {type: Hang/v1alpha1}\n');
  const started = Date.now();
  const r = await w.ocm(['--plugin-start-timeout', '1s', 'add', 'cv', '-c', 'cc.yaml', '-r', 'ctf']);
  assert.ok(Date.now() - started < 30_000, 'the deadline is enforced');
  assert.equal(r.code, 11, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^Error: .*ocm-plugin-hang.*\[PLUGIN_ERROR\]$/m);
  const debug = await w.ocm(['--debug', '--plugin-start-timeout', '1s', 'add', 'cv', '-c', 'cc.yaml', '-r', 'ctf']);
  assert.equal(debug.code, 11);
  const pids = startedPids(debug.stderr).map((s) => s.pid);
  assert.equal(pids.length, 1, debug.stderr);
  assert.equal(alive(pids[0]!), false, 'the hanging plugin process was killed');
});

for (const plugin of ['toolbox', 'pytools'] as const) {
  test(`${plugin}: SIGKILL of the CLI while the plugin runs leaves no orphan`, TIMEOUT, async (t) => {
    const w = await pluginWorld([plugin]);
    t.after(() => w.dispose());
    // Big enough that the add is still running when we kill it.
    await w.file('big.yaml', GENERATED.replace('repeat: 2', 'repeat: 200000000'));
    const cli = spawn(process.execPath, [ocmBin, '--debug', '--plugin-directory', w.plugins, 'add', 'cv', '-c', 'big.yaml', '-r', 'ctf'], {
      cwd: w.work,
      env: { ...process.env, ...w.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    t.after(() => cli.kill('SIGKILL'));
    const exited = new Promise((resolve) => cli.once('exit', resolve));
    let err = '';
    const pid = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`plugin not ready within 30 s: ${err}`)), 30_000);
      cli.stderr!.setEncoding('utf8').on('data', (d: string) => {
        err += d;
        const m = /^debug: plugin \S+: ready at .*\bpid=(\d+)/m.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    assert.ok(alive(pid));
    cli.kill('SIGKILL');
    await exited;
    // The plugin notices its stdin closing (the SDK's and pytools' stdin watch) and stops by itself.
    assert.deepEqual(await w.waitNoPluginProcess(5_000), [], `no orphan of ${plugin} after the CLI was killed`);
    assert.equal(alive(pid), false);
  });

  test(`${plugin}: no plugin temp files or sockets are left after the CLI exits; plugin dirs are private`, TIMEOUT, async (t) => {
    const w = await pluginWorld([plugin]);
    t.after(() => w.dispose());
    await ctfWithGenerated(w);
    await w.file('upper.yaml', 'type: Uppercase/v1alpha1\n');
    const dl = await w.ocm(['download', 'resource', 'ctf//acme.org/gen:1.0.0', '--identity', 'name=text', '--transformer', 'upper.yaml', '-O', '-']);
    assert.equal(dl.code, 0, dl.stderr);
    assert.equal(dl.stdout, 'HELLO HELLO ');
    assert.deepEqual(await w.waitNoPluginProcess(), []);
    assert.deepEqual(await w.tmpEntries(), [], 'TMPDIR is empty: sockets, data and exchange files removed');
    // While a plugin runs its socket dir is 0700 (checked in a run that is still going).
    const cli = spawn(process.execPath, [ocmBin, '--debug', '--plugin-directory', w.plugins, 'add', 'cv', '-c', 'cc.yaml', '-r', 'ctf2'], {
      cwd: w.work,
      env: { ...process.env, ...w.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise((resolve) => cli.once('exit', resolve));
    let err = '';
    const modes: string[] = [];
    await new Promise<void>((resolve) => {
      cli.stderr!.setEncoding('utf8').on('data', async (d: string) => {
        err += d;
        const m = /ready at http\+unix:\/\/(\S+)/.exec(err);
        if (m && modes.length === 0) {
          modes.push('seen');
          try {
            const sock = m[1]!;
            const dir = join(sock, '..');
            modes.push(((await stat(dir)).mode & 0o777).toString(8));
          } catch {
            modes.push('gone');
          }
        }
      });
      cli.once('exit', () => resolve());
    });
    await exited;
    assert.equal(cli.exitCode, 0, err);
    if (modes[1] !== 'gone') assert.equal(modes[1], '700', 'the socket directory is private');
    assert.deepEqual(await w.waitNoPluginProcess(), []);
    assert.deepEqual(await readdir(w.tmp), []);
  });
}

test('pytools stops cleanly on the host\'s SIGINT (no interpreter abort in the --debug log)', { ...TIMEOUT }, async (t) => {
  const w = await pluginWorld(['pytools']);
  t.after(() => w.dispose());
  await w.file('cc.yaml', GENERATED);
  const add = await w.ocm(['add', 'cv', '-c', 'cc.yaml', '-r', 'ctf'], { flags: ['--debug'] });
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stderr, /plugin ocm-plugin-pytools: stopped/);
  assert.doesNotMatch(add.stderr, /Fatal Python error/);
});
