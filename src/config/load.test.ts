import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { conformance, tempDir } from '../testing/fixtures.js';
import { isOcmError } from '../runtime/errors.js';
import { configEntriesOfType, configSearchPaths, discoverConfigFiles, loadConfig, parseConfigText } from './load.js';

interface SearchCase {
  name: string;
  env: Record<string, string>;
  existing: string[] | 'ALL';
  home: string;
  cwd?: string;
  exeDir?: string;
  expected?: string[];
  expectedError?: boolean;
}

test('config search order matches the Go CLI (conformance table)', async (t) => {
  const table = JSON.parse(readFileSync(conformance('ocm-config/config-search-order-cases.json'), 'utf8')) as { cases: SearchCase[] };
  for (const c of table.cases) {
    await t.test(c.name, () => {
      const env = { ...c.env, HOME: c.home };
      const cwd = c.cwd ?? '/work/dir';
      const exists = (p: string) => c.existing === 'ALL' || c.existing.includes(p);
      const found = discoverConfigFiles(env, cwd, c.exeDir, exists);
      if (c.expectedError) {
        // Go's lookup errors when nothing exists; the CLI then continues with an empty config.
        assert.deepEqual(found, []);
      } else {
        assert.deepEqual(found, c.expected);
      }
    });
  }
});

test('without XDG_CONFIG_HOME and OCM_CONFIG there are 8 candidates (9 with the executable dir twice)', () => {
  assert.equal(configSearchPaths({ HOME: '/h' }, '/c').length, 6);
  assert.equal(configSearchPaths({ HOME: '/h' }, '/c', '/e').length, 8);
  assert.equal(configSearchPaths({ HOME: '/h', OCM_CONFIG: '/x', XDG_CONFIG_HOME: '/xdg' }, '/c', '/e').length, 11);
});

const creds = (user: string, host = 'ghcr.io') => `type: generic.config.ocm.software/v1
configurations:
- type: credentials.config.ocm.software
  consumers:
  - identity: {type: OCIRegistry, hostname: ${host}}
    credentials:
    - type: Credentials/v1
      properties: {username: ${user}, password: pw-${user}}
`;

test('every discovered file is merged, in order; a broken discovered file is skipped with a warning', async (t) => {
  const d = await tempDir();
  t.after(() => d.dispose());
  const home = join(d.path, 'home');
  const cwd = join(d.path, 'cwd');
  await mkdir(join(home, '.ocm'), { recursive: true });
  await mkdir(cwd, { recursive: true });
  await writeFile(join(home, '.ocmconfig'), creds('from-home'), { mode: 0o600 });
  await writeFile(join(home, '.ocm', 'config'), 'type: [unclosed\n  password: hunter2', { mode: 0o600 });
  await writeFile(join(cwd, '.ocmconfig'), creds('from-cwd'), { mode: 0o600 });
  const cfg = await loadConfig({ env: { HOME: home }, cwd });
  assert.deepEqual(cfg.sources, [join(home, '.ocmconfig'), join(cwd, '.ocmconfig')]);
  assert.equal(cfg.entries.length, 2);
  assert.equal(cfg.entries[1]!.source, join(cwd, '.ocmconfig'));
  assert.equal(cfg.warnings.length, 1);
  assert.match(cfg.warnings[0]!, /\.ocm\/config is not valid YAML or JSON at line \d+/);
  assert.doesNotMatch(cfg.warnings[0]!, /hunter2/);
});

test('--config files replace discovery and make errors fatal, naming the file but not its content', async (t) => {
  const d = await tempDir();
  t.after(() => d.dispose());
  const good = join(d.path, 'good.yaml');
  const bad = join(d.path, 'bad.yaml');
  await writeFile(good, creds('explicit'), { mode: 0o600 });
  await writeFile(bad, 'type: generic.config.ocm.software/v1\nconfigurations:\n- password: s3cr3t-value: x: y\n', { mode: 0o600 });
  const cfg = await loadConfig({ files: [good], env: { HOME: d.path, OCM_CONFIG: bad }, cwd: d.path });
  assert.deepEqual(cfg.sources, [good]);
  assert.equal(cfg.explicit, true);
  await assert.rejects(loadConfig({ files: [good, bad], env: { HOME: d.path }, cwd: d.path }), (e) => {
    assert.ok(isOcmError(e, 'CONFIG_ERROR'));
    assert.match(e.message, /bad\.yaml/);
    assert.doesNotMatch(e.message, /s3cr3t/);
    return true;
  });
  await assert.rejects(loadConfig({ files: [join(d.path, 'missing.yaml')] }), (e) => isOcmError(e, 'CONFIG_ERROR') && /does not exist/.test(e.message));
});

test('a world-readable config file holding credentials gives a warning with the fix', async (t) => {
  const d = await tempDir();
  t.after(() => d.dispose());
  const f = join(d.path, 'cfg.yaml');
  await writeFile(f, creds('u'));
  await chmod(f, 0o644);
  const cfg = await loadConfig({ files: [f] });
  assert.equal(cfg.warnings.length, 1);
  assert.match(cfg.warnings[0]!, /readable by every user.*chmod 600/);
  await chmod(f, 0o600);
  assert.equal((await loadConfig({ files: [f] })).warnings.length, 0);
});

test('the generic envelope is flattened: direct entries first, nested generic children after them', () => {
  const cfg = parseConfigText(`type: generic.config.ocm.software/v1
configurations:
- type: generic.config.ocm.software/v1
  configurations:
  - {type: nested.a}
  - type: generic.config.ocm.software
    configurations: [{type: nested.deeper}]
  - {type: nested.b}
- {type: direct.one}
- {type: direct.two}
`);
  assert.deepEqual(cfg.entries.map((e) => e.type), ['direct.one', 'direct.two', 'nested.a', 'nested.b', 'nested.deeper']);
});

test('Go CLI testdata configs parse; unknown v1-only types are kept in order', () => {
  const one = parseConfigText(readFileSync(conformance('ocm-config/cli-testdata-ocmconfig-1.yaml'), 'utf8'));
  assert.deepEqual(one.entries.map((e) => e.type), [
    'credentials.config.ocm.software',
    'attributes.config.ocm.software',
    'credentials.config.ocm.software',
    'credentials.config.ocm.software',
    'uploader.ocm.config.ocm.software',
  ]);
  assert.equal(configEntriesOfType(one, 'credentials.config.ocm.software/v1').length, 3);
  assert.equal(configEntriesOfType(one, 'attributes.config.ocm.software').length, 1);
  const two = parseConfigText(readFileSync(conformance('ocm-config/cli-testdata-ocmconfig-2.yaml'), 'utf8'));
  assert.equal(two.entries.length, 1);
});

test('a bare typed document (no envelope) is one entry; JSON works too; an empty file is an empty config', () => {
  assert.equal(parseConfigText(readFileSync(conformance('ocm-config/credential-graph-test.credentials-config.yaml'), 'utf8')).entries.length, 1);
  assert.equal(parseConfigText('{"type":"generic.config.ocm.software/v1","configurations":[{"type":"x"}]}').entries.length, 1);
  assert.equal(parseConfigText('').entries.length, 0);
});

test('structurally bad configs are CONFIG_ERRORs with a pointer to the problem', () => {
  const rows: [string, RegExp][] = [
    ['- a\n- b', /mapping with a "type"/],
    ['configurations: []', /has no "type"/],
    ['type: generic.config.ocm.software/v1\nconfigurations: {a: 1}', /must be a list/],
    ['type: generic.config.ocm.software/v1\nconfigurations: [42]', /configurations\[0\] must be a mapping/],
    ['type: a/b/c', /at most one/],
  ];
  for (const [text, re] of rows) assert.throws(() => parseConfigText(text), (e) => isOcmError(e, 'CONFIG_ERROR') && re.test(e.message), text);
});
