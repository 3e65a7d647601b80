import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOcm } from '../../testing/cli.js';
import { tempDir } from '../../testing/fixtures.js';

const SECRET = 'canary-cli-7f3a9d';

async function sandbox(t: import('node:test').TestContext) {
  const d = await tempDir();
  t.after(() => d.dispose());
  const home = join(d.path, 'home');
  const work = join(d.path, 'work');
  await mkdir(home, { recursive: true });
  await mkdir(work, { recursive: true });
  const env = { HOME: home, XDG_CONFIG_HOME: join(d.path, 'xdg'), DOCKER_CONFIG: join(d.path, 'docker'), OCM_CONFIG: join(d.path, 'none') };
  const run = (args: string[]) => runOcm(args, { cwd: work, env });
  const noLeak = (r: { stdout: string; stderr: string }) => assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), `${r.stdout}\n${r.stderr}`);
  return { d, home, work, env, run, noLeak };
}

const consumers = (body: string) => `type: generic.config.ocm.software/v1
configurations:
- type: credentials.config.ocm.software
  consumers:
${body}`;

test('ocm get credentials explains the match, redacts secrets unless --show-secrets', async (t) => {
  const s = await sandbox(t);
  const cfg = join(s.work, 'cfg.yaml');
  await writeFile(
    cfg,
    consumers(`  - identity: {type: OCIRegistry, hostname: ghcr.io, path: "org/*"}
    credentials: [{type: Credentials/v1, properties: {username: me, password: ${SECRET}}}]
  - identity: {type: OCIRegistry, hostname: ghcr.io}
    credentials: [{type: Credentials/v1, properties: {username: other, password: ${SECRET}}}]
`),
    { mode: 0o600 },
  );
  const r = await s.run(['--config', cfg, 'get', 'credentials', '--identity', 'type=OCIRegistry,hostname=ghcr.io,path=org/repo']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /matched: hostname=ghcr\.io,path=org\/\*,type=OCIRegistry/);
  assert.match(r.stdout, /most specific wins/);
  assert.match(r.stdout, /also matched \(less specific\): hostname=ghcr\.io,type=OCIRegistry/);
  assert.match(r.stdout, /username: me/);
  s.noLeak(r);
  const shown = await s.run(['--config', cfg, 'get', 'credentials', '--for', 'ghcr.io/org/repo//acme.org/x:1.0', '--show-secrets', '-o', 'json']);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(JSON.parse(shown.stdout).credentials.password, SECRET);
  const none = await s.run(['--config', cfg, 'get', 'credentials', '--identity', 'type=OCIRegistry,hostname=quay.io']);
  assert.match(none.stdout, /no credentials: anonymous access/);
  assert.match(none.stdout, /hostname "quay\.io" differs from "ghcr\.io"/);
  const bad = await s.run(['--config', cfg, 'get', 'credentials']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /exactly one of --identity/);
});

test('ocm get config prints the merged discovered config, secrets redacted', async (t) => {
  const s = await sandbox(t);
  await writeFile(join(s.home, '.ocmconfig'), consumers(`  - identity: {type: OCIRegistry, hostname: home.io}\n    credentials: [{type: Credentials/v1, properties: {username: h, password: ${SECRET}}}]\n`), { mode: 0o600 });
  await writeFile(join(s.work, '.ocmconfig'), 'type: generic.config.ocm.software/v1\nconfigurations:\n- {type: transfer.config.ocm.software/v1alpha1, recursive: -1}\n', { mode: 0o600 });
  const r = await s.run(['get', 'config', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.sources, [join(s.home, '.ocmconfig'), join(s.work, '.ocmconfig')]);
  assert.deepEqual(doc.configurations.map((c: { type: string }) => c.type), ['credentials.config.ocm.software', 'transfer.config.ocm.software/v1alpha1']);
  s.noLeak(r);
});

test('bad configs give clear errors or warnings, never a crash or a leaked secret', async (t) => {
  const s = await sandbox(t);
  const write = async (name: string, text: string, mode = 0o600) => {
    const p = join(s.work, name);
    await writeFile(p, text);
    await chmod(p, mode);
    return p;
  };
  const lookup = ['get', 'credentials', '--identity', 'type=OCIRegistry,hostname=ghcr.io'];
  const rows: [string, string, RegExp, number][] = [
    ['unknown-type.yaml', consumers(`  - identity: {type: OCIRegistry, hostname: ghcr.io}\n    credentials: [{type: VaultSecret/v1, token: ${SECRET}}]\n`), /unknown-type\.yaml.*unknown credential type "VaultSecret\/v1".*\[CONFIG_ERROR\]/, 4],
    ['unknown-repo.yaml', consumers(`  - identity: {type: OCIRegistry, hostname: ghcr.io}\n    credentials: [{type: Credentials/v1, properties: {password: ${SECRET}}}]\n  repositories:\n  - repository: {type: HashiCorpVault/v1, serverURL: x}\n`), /unknown credential repository type "HashiCorpVault\/v1"/, 4],
    ['malformed.yaml', `type: generic.config.ocm.software/v1\nconfigurations:\n- type: x\n  password: ${SECRET}: [\n`, /malformed\.yaml is not valid YAML or JSON at line \d+, column \d+.*\[CONFIG_ERROR\]/, 4],
    ['not-a-map.yaml', `- ${SECRET}\n`, /expected a mapping with a "type"/, 4],
  ];
  for (const [name, text, re, code] of rows) {
    const p = await write(name, text);
    const r = await s.run(['--config', p, ...lookup]);
    assert.equal(r.code, code, `${name}: ${r.stderr}`);
    assert.match(r.stderr, re, name);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${name}: no stack trace without --debug`);
    s.noLeak(r);
  }
  // discovered (not --config) broken file: skipped with a warning, the command still works
  await write('.ocmconfig', `type: [${SECRET}`);
  const lenient = await s.run(lookup);
  assert.equal(lenient.code, 0, lenient.stderr);
  assert.match(lenient.stderr, /Warning: config file .*\.ocmconfig is not valid YAML.*skipped/);
  s.noLeak(lenient);
  // world-readable file with secrets: warning with the fix, still works
  const open = await write('open.yaml', consumers(`  - identity: {type: OCIRegistry, hostname: ghcr.io}\n    credentials: [{type: Credentials/v1, properties: {username: u, password: ${SECRET}}}]\n`), 0o644);
  const w = await s.run(['--config', open, ...lookup]);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stderr, /Warning: config file .*open\.yaml holds credentials and is readable by every user; restrict it: chmod 600/);
  s.noLeak(w);
  // two consumers matching each other (the Go CLI fails with a cycle): accepted with a warning
  const mutual = await write('mutual.yaml', consumers(`  - identity: {type: OCIRegistry, hostname: ghcr.io}\n    credentials: [{type: Credentials/v1, properties: {username: a}}]\n  - identity: {type: OCIRegistry, hostname: ghcr.io, scheme: https}\n    credentials: [{type: Credentials/v1, properties: {username: b}}]\n`));
  const m = await s.run(['--config', mutual, 'get', 'credentials', '--identity', 'type=OCIRegistry,hostname=ghcr.io,path=x']);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stderr, /Warning: consumers .* match each other; the Go CLI rejects this as a cycle/);
  assert.match(m.stdout, /username: b/);
});
