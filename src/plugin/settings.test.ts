import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigText } from '../config/load.js';
import { isOcmError } from '../runtime/errors.js';
import { repoRoot } from '../testing/fixtures.js';
import { DEFAULT_IDLE_TIMEOUT_NS, parseGoDuration, pluginSettings } from './settings.js';

test('Go duration strings parse to integer nanoseconds; anything else is rejected', () => {
  const cases: [string, number | undefined][] = [
    ['30m', 30 * 60e9], ['1h30m', 5400e9], ['500ms', 500e6], ['1.5h', 5400e9], ['0', 0], ['10s', 10e9], ['2us', 2000], ['3µs', 3000], ['7ns', 7],
    ['', undefined], ['10', undefined], ['-5m', undefined], ['1x', undefined], ['1h 30m', undefined], ['h', undefined],
  ];
  for (const [s, ns] of cases) assert.equal(parseGoDuration(s), ns, s);
});

const env = { HOME: '/home/u', PLUGINS: '/opt/p' };
const entries = (yaml: string) => parseConfigText(yaml, '/etc/ocm/.ocmconfig').entries;

test('plugin settings: flag dir (default ~/.config/ocm/plugins), then config locations expanded and de-duplicated; idleTimeout is the max', () => {
  const cfg = entries(`type: generic.config.ocm.software/v1
configurations:
  - type: plugin.config.ocm.software/v2alpha1
    idleTimeout: 30m
    locations: [$PLUGINS, '\${PLUGINS}/more', '~/mine', rel, /home/u/.config/ocm/plugins]
  - type: plugin.config.ocm.software/v2alpha1
    idleTimeout: 5400000000000
`);
  assert.deepEqual(pluginSettings(cfg, undefined, env), {
    directories: ['/home/u/.config/ocm/plugins', '/opt/p', '/opt/p/more', '/home/u/mine', '/etc/ocm/rel'],
    idleTimeoutNs: 5400e9,
  });
  assert.deepEqual(pluginSettings([], '$PLUGINS/x', env), { directories: ['/opt/p/x'], idleTimeoutNs: DEFAULT_IDLE_TIMEOUT_NS });
});

test('the authored Go config example gives 30 m and its location', () => {
  const text = readFileSync(join(repoRoot, 'test', 'fixtures', 'plugin', 'plugin-config-and-plugin-manager.ocmconfig.yaml'), 'utf8');
  assert.deepEqual(pluginSettings(parseConfigText(text, '/x/.ocmconfig').entries, '/flag', env), { directories: ['/flag', '/opt/ocm/plugins'], idleTimeoutNs: 30 * 60e9 });
});

test('a bad idleTimeout or locations is CONFIG_ERROR naming the file and entry', () => {
  for (const [body, re] of [
    ['idleTimeout: soon', /\/etc\/ocm\/\.ocmconfig configurations\[0\]: idleTimeout "soon" is not a duration/],
    ['idleTimeout: -1', /idleTimeout -1 is not a duration/],
    ['locations: /single/string', /configurations\[0\]: locations must be a list/],
  ] as const) {
    const cfg = entries(`type: generic.config.ocm.software/v1\nconfigurations:\n  - type: plugin.config.ocm.software/v2alpha1\n    ${body}\n`);
    assert.throws(() => pluginSettings(cfg, undefined, env), (e: unknown) => isOcmError(e, 'CONFIG_ERROR') && re.test(e.message), body);
  }
});
