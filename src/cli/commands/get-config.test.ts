import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOcm } from '../../testing/cli.js';
import { tempDir } from '../../testing/fixtures.js';

const SECRET = 'canary-cfg-51c2e8';
const CONFIG_ERROR_EXIT = 4;

const inEnvelope = (credentialsEntry: string) => `type: generic.config.ocm.software/v1
configurations:
- type: some.other.config/v1
  anything: goes
- type: credentials.config.ocm.software
${credentialsEntry}`;

const id = '{type: OCIRegistry, hostname: ghcr.io}';

// Every row is a malformed credentials part; both commands must reject it with the same one line.
const ROWS: { name: string; config: string; path: RegExp }[] = [
  {
    name: 'Credentials/v1 properties that are not a mapping',
    config: inEnvelope(`  consumers:\n  - identity: ${id}\n    credentials: [{type: Credentials/v1, properties: "x"}]\n`),
    path: /configurations\[1\]\.consumers\[0\]\.credentials\[0\]\.properties must be a mapping/,
  },
  {
    name: 'a consumer without identity',
    config: inEnvelope(`  consumers:\n  - identiy: ${id}\n    credentials: [{type: Credentials/v1, properties: {password: ${SECRET}}}]\n`),
    path: /configurations\[1\]\.consumers\[0\] has no identity/,
  },
  {
    name: 'an unknown credential type',
    config: inEnvelope(`  consumers:\n  - identity: ${id}\n    credentials: [{type: VaultThing/v1, token: ${SECRET}}]\n`),
    path: /configurations\[1\]\.consumers\[0\]\.credentials\[0\] has an unknown credential type "VaultThing\/v1"/,
  },
  {
    name: 'a credential repository of unknown type',
    config: inEnvelope(`  repositories:\n  - repository: {type: HashiCorpVault/v1, secret: ${SECRET}}\n`),
    path: /configurations\[1\]\.repositories\[0\]\.repository has an unknown credential repository type "HashiCorpVault\/v1"/,
  },
  {
    name: 'a property value that YAML reads as a number',
    config: inEnvelope(`  consumers:\n  - identity: ${id}\n    credentials: [{type: Credentials/v1, properties: {username: u, password: 0123}}]\n`),
    path: /configurations\[1\]\.consumers\[0\]\.credentials\[0\]\.properties\.password must be a string; quote the value/,
  },
  {
    name: 'a property value that is a mapping',
    config: inEnvelope(`  consumers:\n  - identity: ${id}\n    credentials: [{type: Credentials/v1, properties: {password: {value: ${SECRET}}}}]\n`),
    path: /configurations\[1\]\.consumers\[0\]\.credentials\[0\]\.properties\.password must be a string/,
  },
  {
    name: 'a typed credential field that is not a string',
    config: inEnvelope(`  consumers:\n  - identity: ${id}\n    credentials: [{type: OCICredentials/v1, username: u, password: 12345}]\n`),
    path: /configurations\[1\]\.consumers\[0\]\.credentials\[0\]\.password must be a string/,
  },
  {
    name: 'a bare credentials document (no envelope)',
    config: `type: credentials.config.ocm.software\nconsumers:\n- credentials: [{type: Credentials/v1, properties: {password: ${SECRET}}}]\n`,
    path: /: consumers\[0\] has no identity/,
  },
];

test('get config and get credentials reject a malformed credentials part the same way: one CONFIG_ERROR line naming file and entry path', async (t) => {
  const d = await tempDir();
  t.after(() => d.dispose());
  const home = join(d.path, 'home');
  await mkdir(home);
  const env = { HOME: home, XDG_CONFIG_HOME: '', OCM_CONFIG: '', DOCKER_CONFIG: join(d.path, 'docker') };
  let i = 0;
  for (const row of ROWS) {
    const file = join(d.path, `row-${i++}.ocmconfig`);
    await writeFile(file, row.config, { mode: 0o600 });
    const cfg = await runOcm(['--config', file, 'get', 'config'], { cwd: d.path, env });
    const creds = await runOcm(['--config', file, 'get', 'credentials', '--identity', 'type=OCIRegistry,hostname=ghcr.io'], { cwd: d.path, env });
    for (const [cmd, r] of [['get config', cfg], ['get credentials', creds]] as const) {
      assert.equal(r.code, CONFIG_ERROR_EXIT, `${row.name} (${cmd}): ${r.stderr}`);
      assert.equal(r.stdout, '', `${row.name} (${cmd}) printed something`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${row.name} (${cmd}): one line, no stack: ${r.stderr}`);
      assert.ok(lines[0]!.includes(`config file ${file}: `), `${row.name} (${cmd}) names the file: ${lines[0]}`);
      assert.match(lines[0]!, row.path, `${row.name} (${cmd})`);
      assert.match(lines[0]!, /\[CONFIG_ERROR\]$/, `${row.name} (${cmd})`);
      assert.ok(!lines[0]!.includes(SECRET), `${row.name} (${cmd}) leaks a secret`);
    }
    assert.equal(cfg.stderr, creds.stderr, `${row.name}: both commands report the same error`);
  }
});

test('unknown config entry types are kept and ignored (as Go): get config shows them, get credentials works', async (t) => {
  const d = await tempDir();
  t.after(() => d.dispose());
  const env = { HOME: d.path, XDG_CONFIG_HOME: '', OCM_CONFIG: '', DOCKER_CONFIG: join(d.path, 'docker') };
  const file = join(d.path, 'ok.ocmconfig');
  await writeFile(file, inEnvelope(`  consumers:\n  - identity: ${id}\n    credentials: [{type: Credentials/v1, properties: {username: me}}]\n`), { mode: 0o600 });
  const cfg = await runOcm(['--config', file, 'get', 'config', '-o', 'json'], { cwd: d.path, env });
  assert.equal(cfg.code, 0, cfg.stderr);
  assert.deepEqual(JSON.parse(cfg.stdout).configurations.map((c: { type: string }) => c.type), ['some.other.config/v1', 'credentials.config.ocm.software']);
  const creds = await runOcm(['--config', file, 'get', 'credentials', '--identity', 'type=OCIRegistry,hostname=ghcr.io'], { cwd: d.path, env });
  assert.equal(creds.code, 0, creds.stderr);
  assert.match(creds.stdout, /username: me/);
});
