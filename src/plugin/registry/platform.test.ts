import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, goArch, goOs, latestVersion, nextMinor, parsePlatform } from './platform.js';
import { choosePlugin, parsePluginInfoLabel, parsePluginSpec, registryReference, type RegistryPlugin } from './registry.js';
import { platformsOf, referenceNameFor } from './publish.js';
import { isOcmError } from '../../runtime/errors.js';
import type { ComponentDescriptor } from '../../descriptor/types.js';

test('Node platform and arch map to Go names (GOOS/GOARCH)', () => {
  const os: [string, string][] = [['linux', 'linux'], ['darwin', 'darwin'], ['win32', 'windows'], ['freebsd', 'freebsd'], ['sunos', 'solaris'], ['aix', 'aix']];
  for (const [node, go] of os) assert.equal(goOs(node), go, node);
  const arch: [string, string][] = [['x64', 'amd64'], ['arm64', 'arm64'], ['ia32', '386'], ['arm', 'arm'], ['ppc64', 'ppc64le'], ['s390x', 's390x'], ['riscv64', 'riscv64'], ['loong64', 'loong64']];
  for (const [node, go] of arch) assert.equal(goArch(node), go, node);
  assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
  assert.equal(parsePlatform('linux'), undefined);
});

test('the latest version is the semver maximum; pre-releases and non-semver lose', () => {
  const cases: [string[], string | undefined][] = [
    [['0.1.0', '0.2.0', '0.10.0'], '0.10.0'],
    [['1.0.0-rc.1', '1.0.0', '0.9.9'], '1.0.0'],
    [['1.0.0-rc.2', '1.0.0-rc.10'], '1.0.0-rc.10'],
    [['v1.2', 'v1.10.0', '1.3.0'], 'v1.10.0'],
    [['latest', 'main'], undefined],
    [['latest', '0.0.1'], '0.0.1'],
    [[], undefined],
    [['1.0.0+build.1'], '1.0.0+build.1'],
  ];
  for (const [versions, want] of cases) assert.equal(latestVersion(versions), want, versions.join(','));
  assert.ok(compareVersions('1.0.0-alpha', '1.0.0-alpha.1') < 0);
  assert.ok(compareVersions('1.0.0-alpha.beta', '1.0.0-beta') < 0);
  assert.ok(compareVersions('1.0.0-1', '1.0.0-a') < 0);
  assert.equal(nextMinor('0.1.0'), '0.2.0');
  assert.equal(nextMinor('v1.9.3'), 'v1.10.0');
});

test('pluginInfo label: object or JSON string; unknown keys refused naming registry and key', () => {
  const where = 'plugin registry ./r//ocm.software/plugin-registry:0.1.0: reference "x"';
  assert.deepEqual(parsePluginInfoLabel({ description: 'd', platforms: ['linux/amd64'] }, where), { description: 'd', platforms: ['linux/amd64'] });
  assert.deepEqual(parsePluginInfoLabel('{"description":"d","platforms":["linux/arm64"]}', where), { description: 'd', platforms: ['linux/arm64'] });
  assert.deepEqual(parsePluginInfoLabel({ name: 'n', version: '1', registry: 'r', component: 'c' }, where), { description: '', platforms: [] });
  const bad: [unknown, RegExp][] = [
    [{ description: 'd', homepage: 'x' }, /: label ocm.software\/pluginInfo has unknown key "homepage" \(allowed: name, version, platforms, description, registry, component\)$/],
    [{ platforms: 'linux/amd64' }, /platforms must be a list/],
    [{ description: 3 }, /description must be a string/],
    ['{not json', /is not JSON/],
    [[1], /must be a mapping/],
  ];
  for (const [value, re] of bad) {
    assert.throws(() => parsePluginInfoLabel(value, where), (e: unknown) => isOcmError(e) && e.message.startsWith(where) && re.test(e.message) && !e.message.includes('\n'));
  }
});

test('names, references and platforms of plugin components', () => {
  assert.equal(referenceNameFor('ocm.software/plugins/helm'), 'ocm-software-plugins-helm');
  assert.equal(registryReference('./ctf'), './ctf//ocm.software/plugin-registry');
  assert.equal(registryReference('http://127.0.0.1:5000/x'), 'http://127.0.0.1:5000/x//ocm.software/plugin-registry');
  assert.equal(registryReference('./ctf//acme.org/reg:1.0.0'), './ctf//acme.org/reg:1.0.0');
  assert.deepEqual(parsePluginSpec('helm:1.0.0'), { name: 'helm', version: '1.0.0' });
  assert.deepEqual(parsePluginSpec('helm'), { name: 'helm' });
  const cd = {
    component: {
      resources: [
        { name: 'p', type: 'ocmPlugin', extraIdentity: { os: 'linux', architecture: 'amd64' } },
        { name: 'p', type: 'ocmPlugin', extraIdentity: { os: 'darwin', architecture: 'arm64' } },
        { name: 'readme', type: 'blob' },
      ],
    },
  } as unknown as ComponentDescriptor;
  assert.deepEqual(platformsOf(cd), ['linux/amd64', 'darwin/arm64']);
  const p = (version: string, registry: string): RegistryPlugin => ({ name: 'h', version, platforms: [], description: '', registry, component: 'a/h' });
  const [a, b] = ['a//ocm.software/plugin-registry:0.2.0', 'b//ocm.software/plugin-registry:0.1.0'];
  const chosen = choosePlugin([p('1.0.0', b), p('1.1.0', b), p('1.1.0', a)], ['a', 'b']);
  assert.deepEqual([chosen.version, chosen.registry], ['1.1.0', a], 'latest version; the first registry wins a tie');
});
