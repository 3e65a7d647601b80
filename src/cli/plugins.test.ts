/**
 * The CLI's plugin wiring with a hand-written PluginManager (the seam `PluginDeps`): nothing is
 * loaded without plugins, one manager per process, types registered, shutdown on finish, hints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PluginManager, PluginManagerOptions } from '../plugin/manager.js';
import type { LoadedPlugin, PluginInfo } from '../plugin/types.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import { TypeRegistry } from '../runtime/type-registry.js';
import { tempDir } from '../testing/fixtures.js';
import { expandEnv, hintsFor, pluginsFor, resetPluginsForTests, type PluginDeps } from './plugins.js';
import { finish } from './run.js';

interface Fake {
  deps: PluginDeps;
  created: PluginManagerOptions[];
  calls: string[];
  registered: { registry: TypeRegistry; plugins: readonly LoadedPlugin[] }[];
}

function fake(infos: PluginInfo[] = [], options: { throwOnCreate?: boolean; configEntries?: PluginDeps['configEntries'] } = {}): Fake {
  const f: Fake = { deps: {} as PluginDeps, created: [], calls: [], registered: [] };
  const loaded: LoadedPlugin[] = infos
    .filter((i) => !i.error)
    .map((i) => ({ info: i as LoadedPlugin['info'], connection: { id: i.id, call: async () => undefined as never, tempDir: async () => '/nonexistent' } }));
  const manager: PluginManager = {
    discover: async () => (f.calls.push('discover'), infos),
    load: async () => (f.calls.push('load'), loaded),
    processes: () => [],
    warnings: () => [],
    stop: async () => void f.calls.push('stop'),
    shutdown: async () => void f.calls.push('shutdown'),
  };
  f.deps = {
    configEntries: options.configEntries ?? [],
    registry: new TypeRegistry(),
    env: { HOME: '/nonexistent' },
    pluginSettings: (_entries, flag) => ({ directories: [flag ?? 'default', 'from-config'], idleTimeoutNs: 1 }),
    createPluginManager: (o) => {
      if (options.throwOnCreate) throw new OcmError(ErrorCode.UNSUPPORTED, 'plugin manager not implemented yet');
      f.created.push(o);
      return manager;
    },
    registerPluginTypes: (registry, plugins) => {
      f.registered.push({ registry, plugins });
      return plugins.filter((p) => p.info.id === 'conflicting').map((p) => ({ id: p.info.id, error: 'type "X/v1" (repository) is already provided by plugin "y"' }));
    },
  };
  return f;
}

test('expandEnv expands $VAR and ${VAR} like Go os.ExpandEnv (unset → empty)', () => {
  const env = { HOME: '/home/u', XDG: '/x' };
  const cases: [string, string][] = [
    ['$HOME/.config/ocm/plugins', '/home/u/.config/ocm/plugins'],
    ['${XDG}/p', '/x/p'],
    ['$UNSET/p', '/p'],
    ['/plain', '/plain'],
  ];
  for (const [input, want] of cases) assert.equal(expandEnv(input, env), want, input);
});

test('a missing or empty plugin directory creates no manager (nothing of the plugin host is loaded)', async (t) => {
  const dir = await tempDir();
  t.after(dir.dispose);
  await mkdir(join(dir.path, 'empty'));
  for (const pluginDirectory of [join(dir.path, 'missing'), join(dir.path, 'empty')]) {
    resetPluginsForTests();
    const f = fake();
    const s = await pluginsFor({ pluginDirectory }, f.deps);
    assert.equal(s.manager, undefined);
    assert.equal(s.error, undefined);
    assert.deepEqual(s.directories, [pluginDirectory]);
    assert.equal(f.created.length, 0, pluginDirectory);
  }
});

test('a non-empty plugin directory: one manager per process, plugins loaded and registered, shut down by finish()', async (t) => {
  const dir = await tempDir();
  t.after(dir.dispose);
  await writeFile(join(dir.path, 'p'), '');
  resetPluginsForTests();
  const ok: PluginInfo = { id: 'good', path: join(dir.path, 'good'), capabilities: { capabilities: [], supportedConfigTypes: [] } };
  const f = fake([ok, { id: 'broken', path: join(dir.path, 'broken'), error: 'capabilities: invalid JSON' }]);
  const s = await pluginsFor({ pluginDirectory: dir.path, pluginStartTimeout: 1500 }, f.deps);
  assert.equal(await pluginsFor({ pluginDirectory: dir.path }, f.deps), s, 'loaded once per process');
  assert.equal(f.created.length, 1);
  assert.deepEqual(f.created[0]!.directories, [dir.path, 'from-config']);
  assert.equal(f.created[0]!.startTimeoutMs, 1500);
  assert.deepEqual(s.loaded.map((p) => p.info.id), ['good']);
  assert.equal(f.registered[0]!.registry, f.deps.registry);
  assert.deepEqual(f.calls, ['load']);
  await finish();
  assert.deepEqual(f.calls, ['load', 'shutdown']);
  await finish();
  assert.deepEqual(f.calls, ['load', 'shutdown'], 'finish runs each finisher once');

  // An error about a type nobody provides names the skipped plugins; other errors get no hints.
  const unknown = new OcmError(ErrorCode.UNSUPPORTED, 'unknown repository type "Acme/v1"', { details: { kind: 'repository', type: 'Acme/v1' } });
  assert.deepEqual(await hintsFor(unknown, s), [`plugin "broken" (${join(dir.path, 'broken')}) was skipped: capabilities: invalid JSON; it may provide type "Acme/v1" (see: ocm plugin list)`]);
  assert.deepEqual(await hintsFor(new OcmError(ErrorCode.NOT_FOUND, 'x'), s), []);
});

test('config locations load plugins even when the flag directory is empty; a failing manager never throws', async (t) => {
  const dir = await tempDir();
  t.after(dir.dispose);
  resetPluginsForTests();
  const entries = [{ type: 'plugin.config.ocm.software/v2alpha1', value: { type: 'plugin.config.ocm.software/v2alpha1', locations: [dir.path] } }];
  const f = fake([], { configEntries: entries });
  await pluginsFor({ pluginDirectory: join(dir.path, 'missing') }, f.deps);
  assert.equal(f.created.length, 1);
  assert.equal(f.created[0]!.configEntries, entries);
  await finish();

  resetPluginsForTests();
  const broken = fake([], { throwOnCreate: true, configEntries: entries });
  const s = await pluginsFor({}, broken.deps);
  assert.match(s.error ?? '', /not implemented yet/);
  const unknown = new OcmError(ErrorCode.UNSUPPORTED, 'unknown input type "Generated/v1alpha1"', { details: { type: 'Generated/v1alpha1' } });
  assert.deepEqual(await hintsFor(unknown, s), ['plugins were not loaded (plugin manager not implemented yet); a plugin may provide type "Generated/v1alpha1"']);
  resetPluginsForTests();
});
