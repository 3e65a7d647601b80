/**
 * End to end: `ocm-plugin-passwordstore` (credentialRepository `PasswordStore/v1`) as the single
 * bundled file a user installs, resolving registry credentials from a real `pass` + gnupg store
 * and pushing to a real htpasswd docker-registry: most specific entry first, no entry = anonymous
 * (the registry's 401 as one line), a wrong password = the registry's auth error, a broken gpg
 * home = one clear line. No password ever appears in any output, also with `--debug`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { CliResult } from '../../testing/cli.js';
import { repoRoot } from '../../testing/fixtures.js';
import { pluginWorld, type PluginWorld } from '../../testing/plugin-e2e.js';
import { passMissing, startPassStore } from '../../testing/pass-store.js';
import { registryAvailable, startRegistry } from '../../testing/registry.js';

/** Installs `examples/plugins/<name>` the way a user gets it: one bundled executable file, copied. */
async function installBundle(w: PluginWorld, name: string): Promise<void> {
  const { bundlePlugin } = (await import(pathToFileURL(join(repoRoot, 'scripts', 'bundle-plugin.mjs')).href)) as { bundlePlugin(entry: string, out: string): Promise<string> };
  await bundlePlugin(join(repoRoot, 'examples', 'plugins', name, 'main.ts'), join(w.plugins, `ocm-plugin-${name}`));
}

const CONSTRUCTOR = 'name: acme.org/pass-creds\nversion: 1.0.0\nprovider: {name: acme.org}\nresources:\n  - name: text\n    type: plainText\n    input: {type: utf8, text: hello from pass}\n';
const skip = (!registryAvailable() && 'docker-registry not installed') || passMissing() || false;
const errorLines = (r: CliResult) => r.stderr.split('\n').filter((l) => l.startsWith('Error:'));

test('PasswordStore/v1 credentials from a real pass store push to a real htpasswd registry; most specific entry first; none = anonymous', { timeout: 240_000, skip }, async (t) => {
  const password = `pw-${randomBytes(10).toString('hex')}`;
  const wrong = `wrong-${randomBytes(10).toString('hex')}`;
  const reg = await startRegistry({ auth: 'htpasswd', users: [{ username: 'ocmuser', password }] });
  t.after(() => reg.stop());
  const store = await startPassStore();
  t.after(() => store.stop());
  const w = await pluginWorld([]);
  t.after(() => w.dispose());
  await installBundle(w, 'passwordstore');
  await w.file('cc.yaml', CONSTRUCTOR);
  const port = String(reg.port);
  const repo = `http://127.0.0.1:${port}/pass-creds`;
  const outputs: CliResult[] = [];
  const ocm = async (...args: string[]) => {
    const r = await w.ocm(args, { flags: ['--debug'] });
    outputs.push(r);
    return r;
  };
  // Without --debug: what a user sees (one line, no stack trace).
  const plain = async (...args: string[]) => {
    const r = await w.ocm(args);
    outputs.push(r);
    return r;
  };
  const config = (gpgHome: string) => `type: generic.config.ocm.software/v1
configurations:
- type: credentials.config.ocm.software
  repositories:
  - repository: {type: PasswordStore/v1, prefix: ocm/, storeDir: ${JSON.stringify(store.storeDir)}, gpgHome: ${JSON.stringify(gpgHome)}}
`;
  await w.writeConfig(config(store.gpgHome));

  await t.test('no entry for the registry: anonymous, the registry answers 401 — one clear line', async () => {
    const r = await plain('add', 'cv', '-c', 'cc.yaml', '-r', repo);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /UNAUTHORIZED/);
    assert.equal(errorLines(r).length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace for an expected failure');
  });

  await t.test('an entry <prefix><host>:<port> (password line + username:) is found, explained redacted and used to push', async () => {
    await store.insert(`ocm/127.0.0.1:${port}`, `${password}\nusername: ocmuser\nurl: ${repo}\n`);
    const explain = await ocm('get', 'credentials', '--identity', `type=OCIRegistry,hostname=127.0.0.1,port=${port},path=pass-creds`, '-o', 'json');
    assert.equal(explain.code, 0, explain.stderr);
    const view = JSON.parse(explain.stdout);
    assert.equal(view.outcome, 'repository', explain.stdout);
    assert.equal(view.credentials.username, 'ocmuser');
    assert.notEqual(view.credentials.password, password);
    const add = await ocm('add', 'cv', '-c', 'cc.yaml', '-r', repo);
    assert.equal(add.code, 0, add.stderr);
    const tr = await ocm('transfer', 'cv', `${repo}//acme.org/pass-creds:1.0.0`, `http://127.0.0.1:${port}/pass-copy`);
    assert.equal(tr.code, 0, tr.stderr);
    const dl = await ocm('download', 'resource', `http://127.0.0.1:${port}/pass-copy//acme.org/pass-creds:1.0.0`, '--identity', 'name=text', '-O', '-');
    assert.equal(dl.code, 0, dl.stderr);
    assert.equal(dl.stdout, 'hello from pass');
    assert.deepEqual(await w.waitNoPluginProcess(), []);
  });

  await t.test('a more specific entry <host>:<port>/<path> wins; its wrong password is the registry auth error', async () => {
    await store.insert(`ocm/127.0.0.1:${port}/special`, `${wrong}\nlogin: ocmuser\n`);
    const specific = await w.ocm(['get', 'credentials', '--identity', `type=OCIRegistry,hostname=127.0.0.1,port=${port},path=special/sub`, '--show-secrets', '-o', 'json']);
    assert.equal(specific.code, 0, specific.stderr);
    assert.equal(JSON.parse(specific.stdout).credentials.password, wrong);
    const other = await w.ocm(['get', 'credentials', '--identity', `type=OCIRegistry,hostname=127.0.0.1,port=${port},path=elsewhere`, '--show-secrets', '-o', 'json']);
    assert.equal(JSON.parse(other.stdout).credentials.password, password, 'other paths fall back to <host>:<port>');
    const denied = await ocm('add', 'cv', '-c', 'cc.yaml', '-r', `http://127.0.0.1:${port}/special/sub`);
    assert.equal(denied.code, 6, denied.stderr);
    assert.match(denied.stderr, /UNAUTHORIZED/);
    assert.equal(errorLines(denied).length, 1, denied.stderr);
  });

  await t.test('a gpg home without the key: one clear line naming pass and the gpg failure', async (st) => {
    const emptyHome = join(store.dir, 'empty-gpg');
    await mkdir(emptyHome, { mode: 0o700 });
    // gpg starts an agent for this home too: end it with the home's own gpgconf, as pass-store does.
    st.after(() => promisify(execFile)('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: emptyHome } }).catch(() => undefined));
    await w.writeConfig(config(emptyHome));
    const r = await plain('get', 'cv', `${repo}//acme.org/pass-creds:1.0.0`);
    assert.notEqual(r.code, 0, r.stderr);
    const lines = errorLines(r);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /pass show ocm\/127\.0\.0\.1:\d+ failed: .*(decrypt|secret key)/i);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
    await w.writeConfig(config(store.gpgHome));
  });

  await t.test('pass not installed: one clear line saying what to install', async () => {
    // A PATH with node (the plugin's `#!/usr/bin/env node`) and nothing else.
    const bin = join(w.root, 'node-only-bin');
    await mkdir(bin);
    await symlink(process.execPath, join(bin, 'node'));
    const r = await w.ocm(['get', 'cv', `${repo}//acme.org/pass-creds:1.0.0`], { env: { PATH: bin } });
    assert.notEqual(r.code, 0, r.stderr);
    assert.equal(errorLines(r).length, 1, r.stderr);
    assert.match(r.stderr, /pass .*not installed.*apt-get install pass/);
  });

  for (const r of outputs) {
    for (const secret of [password, wrong]) assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `a password leaked into --debug output:\n${r.stderr}`);
  }
});
