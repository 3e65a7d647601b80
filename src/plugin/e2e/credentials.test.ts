/**
 * End to end: credentials served by plugins reaching a real htpasswd registry — a consumer whose
 * credentials are of a plugin credential type (`Vault/v1alpha1`, credentialPlugin) and a
 * `repositories:` entry of a plugin type (`SecretsDir/v1alpha1`, credentialRepository) — for the
 * TypeScript toolbox and the Python pytools. The vault plugin's own credentials (`token`) reach it
 * only through the identity it returned. No password or token ever appears in any output, also
 * with `--debug`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CliResult } from '../../testing/cli.js';
import { pluginWorld } from '../../testing/plugin-e2e.js';
import { registryAvailable, startRegistry } from '../../testing/registry.js';

const CONSTRUCTOR = 'name: acme.org/plugin-creds\nversion: 1.0.0\nprovider: {name: acme.org}\nresources:\n  - name: text\n    type: plainText\n    input: {type: utf8, text: hello}\n';
const skip = !registryAvailable() && 'docker-registry not installed';

for (const plugin of ['toolbox', 'pytools'] as const) {
  test(`${plugin}: registry credentials from a credentialPlugin (Vault/v1alpha1) and a credentialRepository (SecretsDir/v1alpha1) reach a real htpasswd registry`, { timeout: 180_000, skip }, async (t) => {
    const password = `pw-${randomBytes(10).toString('hex')}`;
    const token = `tok-${randomBytes(10).toString('hex')}`;
    const reg = await startRegistry({ auth: 'htpasswd', users: [{ username: 'ocmuser', password }] });
    t.after(() => reg.stop());
    const w = await pluginWorld([plugin]);
    t.after(() => w.dispose());
    const vault = join(w.root, 'vault');
    const secrets = join(w.root, 'secrets');
    await mkdir(vault);
    await mkdir(secrets);
    await w.file('cc.yaml', CONSTRUCTOR);
    const port = String(reg.port);
    const repo = `http://127.0.0.1:${port}/plugin-creds`;
    const env = { OCM_EXAMPLE_VAULT_DIR: vault };
    const outputs: CliResult[] = [];
    const ocm = async (...args: string[]) => {
      const r = await w.ocm(args, { env, flags: ['--debug'] });
      outputs.push(r);
      return r;
    };
    const header = 'type: generic.config.ocm.software/v1\nconfigurations:\n- type: credentials.config.ocm.software\n';
    const vaultConsumer = `  consumers:
  - identity: {type: OCIRegistry, hostname: 127.0.0.1, port: "${port}"}
    credentials:
    - {type: Vault/v1alpha1, secretPath: reg}
`;
    const tokenConsumer = (tok: string) => `  - identity: {type: Vault, hostname: vault.local, path: reg}
    credentials:
    - type: Credentials/v1
      properties: {token: ${tok}}
`;
    const regJson = JSON.stringify({ username: 'ocmuser', password });

    await t.test('credentialPlugin: a consumer with Vault/v1alpha1 credentials pushes and reads back', async () => {
      await w.writeConfig(header + vaultConsumer);
      await writeFile(join(vault, 'reg.json'), regJson);
      const add = await ocm('add', 'cv', '-c', 'cc.yaml', '-r', repo);
      assert.equal(add.code, 0, add.stderr);
      const get = await ocm('get', 'cv', `${repo}//acme.org/plugin-creds:1.0.0`);
      assert.equal(get.code, 0, get.stderr);
      assert.deepEqual(await w.waitNoPluginProcess(), []);

    });

    await t.test('credentialPlugin: without the secret file it is an auth error (exit 6), not a PLUGIN_ERROR', async () => {
      await rm(join(vault, 'reg.json'));
      const denied = await ocm('get', 'cv', `${repo}//acme.org/plugin-creds:1.0.0`);
      assert.equal(denied.code, 6, denied.stderr);
      assert.match(denied.stderr, /UNAUTHORIZED|CREDENTIAL_ERROR/);
      assert.equal(denied.stderr.split('\n').filter((l) => l.startsWith('Error:')).length, 1, denied.stderr);
    });

    await t.test("the vault plugin's own token reaches it via the identity it returned; .token is enforced both ways", async () => {
      await writeFile(join(vault, 'reg.json'), regJson);
      await writeFile(join(vault, '.token'), token);
      await w.writeConfig(header + vaultConsumer + tokenConsumer(token));
      const ok = await ocm('get', 'cv', `${repo}//acme.org/plugin-creds:1.0.0`);
      assert.equal(ok.code, 0, `right token: ${ok.stderr}`);
      await w.writeConfig(header + vaultConsumer + tokenConsumer(`${token}-wrong`));
      const wrong = await ocm('get', 'cv', `${repo}//acme.org/plugin-creds:1.0.0`);
      assert.notEqual(wrong.code, 0, 'a wrong token must be rejected by the plugin, so the registry is not reached with credentials');
      assert.match(wrong.stderr, /token/);
      assert.equal(wrong.stderr.split('\n').filter((l) => l.startsWith('Error:')).length, 1, wrong.stderr);
      await rm(join(vault, '.token'));
    });

    await t.test('credentialRepository: a repositories: entry of type SecretsDir/v1alpha1 serves OCIRegistry', async (st) => {
      await w.writeConfig(`${header}  repositories:\n  - repository: {type: SecretsDir/v1alpha1, path: ${JSON.stringify(secrets)}}\n`);
      await st.test('a credential repository without an entry for the registry means no credentials: UNAUTHORIZED from the registry', async () => {
        const none = await ocm('get', 'cv', `${repo}//acme.org/plugin-creds:1.0.0`);
        assert.equal(none.code, 6, `no secret file: ${none.stderr}`);
        assert.match(none.stderr, /UNAUTHORIZED/);
      });
      await writeFile(join(secrets, `127.0.0.1_${port}.json`), regJson);
      const tr = await ocm('transfer', 'cv', `${repo}//acme.org/plugin-creds:1.0.0`, 'ctf');
      assert.equal(tr.code, 0, tr.stderr);
      const add = await ocm('add', 'cv', '-c', 'cc.yaml', '-r', `${repo}2`);
      assert.equal(add.code, 0, add.stderr);
      assert.deepEqual(await w.waitNoPluginProcess(), []);
    });

    for (const r of outputs) {
      for (const secret of [password, token]) {
        assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `a secret leaked into --debug output:\n${r.stderr}`);
      }
    }
  });
}
