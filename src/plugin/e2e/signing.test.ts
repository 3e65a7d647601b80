/**
 * End to end: sign and verify with a plugin signing handler (`HMAC/v1alpha1`, toolbox and pytools):
 * the secret comes from the consumer the handler's identity names, a wrong secret and a tampered
 * descriptor fail verification with exit 5 and one line, and the signer can come from a
 * `signing.config.ocm.software/v1alpha1` entry. The secrets never appear in `--debug` output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hmacKeysConfig, pluginWorld, startedPids } from '../../testing/plugin-e2e.js';

const TIMEOUT = { timeout: 120_000 };
const SECRET = 'hmac-secret-c4n4ry-7f3a';
const CI_SECRET = 'hmac-ci-secret-c4n4ry-91bd';

const config = (secret: string) =>
  hmacKeysConfig({ release: secret, ci: CI_SECRET }, '- type: signing.config.ocm.software/v1alpha1\n  signature: ci\n  signer: {type: HMAC/v1alpha1}\n');

for (const plugin of ['toolbox', 'pytools'] as const) {
  test(`${plugin}: sign and verify cv with the HMAC/v1alpha1 plugin signing handler; wrong secret and tampered descriptor fail with VERIFICATION_FAILED`, TIMEOUT, async (t) => {
    // filestore too: its descriptor.json is plain, so the test can tamper with a signed descriptor.
    const w = await pluginWorld([plugin, 'filestore']);
    t.after(() => w.dispose());
    const store = join(w.root, 'store');
    await mkdir(store);
    await w.file('store.yaml', `type: FileStore/v1alpha1\npath: ${JSON.stringify(store)}\n`);
    await w.file('hmac.yaml', 'type: HMAC/v1alpha1\nkeyName: release\n');
    await w.file('cc.yaml', 'name: acme.org/signed\nversion: 1.0.0\nprovider: {name: acme.org}\nresources:\n  - name: text\n    type: plainText\n    input: {type: utf8, text: signed content}\n');
    await w.writeConfig(config(SECRET));
    const outputs: string[] = [];
    const ocm = async (args: string[], debug = false) => {
      const r = await w.ocm(args, debug ? { flags: ['--debug'] } : {});
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    for (const repo of [['-r', 'ctf'], ['--repository-spec', 'store.yaml']]) {
      const add = await ocm(['add', 'cv', '-c', 'cc.yaml', ...repo]);
      assert.equal(add.code, 0, add.stderr);
    }
    const refs = ['ctf//acme.org/signed:1.0.0', `FileStore/v1alpha1::${store}//acme.org/signed:1.0.0`];

    for (const ref of refs) {
      const sign = await ocm(['sign', 'cv', ref, '--signer-spec', 'hmac.yaml', '--signature', 'release'], true);
      assert.equal(sign.code, 0, sign.stderr);
      assert.equal(startedPids(sign.stderr).filter((s) => s.id === `ocm-plugin-${plugin}`).length, 1);
      const verify = await ocm(['verify', 'cv', ref, '--verifier-spec', 'hmac.yaml', '--signature', 'release'], true);
      assert.equal(verify.code, 0, verify.stderr);
    }
    const get = await ocm(['get', 'cv', refs[0]!, '-o', 'json']);
    const sig = JSON.parse(get.stdout).signatures.find((s: { name: string }) => s.name === 'release');
    assert.equal(sig.signature.algorithm, 'HMAC-SHA256');
    assert.equal(sig.signature.mediaType, 'application/vnd.ocm.signature.hmac');
    assert.match(sig.signature.value, /^[0-9a-f]{64}$/);

    await t.test('a wrong secret fails verification: exit 5, one line', async () => {
      await w.writeConfig(config(`${SECRET}-wrong`));
      const bad = await ocm(['verify', 'cv', refs[0]!, '--verifier-spec', 'hmac.yaml', '--signature', 'release']);
      assert.equal(bad.code, 5, bad.stderr);
      assert.match(bad.stderr, /VERIFICATION_FAILED/);
      assert.match(bad.stderr, /signature mismatch/);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      await w.writeConfig(config(SECRET));
    });

    await t.test('a tampered descriptor fails verification: exit 5, one line', async () => {
      const base = join(store, 'components');
      const [name] = await readdir(base);
      const [version] = await readdir(join(base, name!));
      const file = join(base, name!, version!, 'descriptor.json');
      const text = await readFile(file, 'utf8');
      assert.ok(text.includes('"acme.org"'));
      const tampered = text.replace(/"provider":(\s*)"acme\.org"/, '"provider":$1"evil.org"');
      assert.notEqual(tampered, text, 'the test changed the descriptor');
      await writeFile(file, tampered);
      const bad = await ocm(['verify', 'cv', refs[1]!, '--verifier-spec', 'hmac.yaml', '--signature', 'release']);
      assert.equal(bad.code, 5, bad.stderr);
      assert.match(bad.stderr, /VERIFICATION_FAILED/);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    });

    await t.test('the signer from a signing.config.ocm.software/v1alpha1 entry (identity name = signature name)', async () => {
      const sign = await ocm(['sign', 'cv', refs[0]!, '--signature', 'ci'], true);
      assert.equal(sign.code, 0, sign.stderr);
      const verify = await ocm(['verify', 'cv', refs[0]!, '--verifier-spec', 'hmac.yaml', '--signature', 'ci']);
      // keyName release → the release secret, which did not sign "ci".
      assert.equal(verify.code, 5, verify.stderr);
      await w.file('ci.yaml', 'type: HMAC/v1alpha1\n');
      const ok = await ocm(['verify', 'cv', refs[0]!, '--verifier-spec', 'ci.yaml', '--signature', 'ci']);
      assert.equal(ok.code, 0, ok.stderr);
    });

    assert.deepEqual(await w.waitNoPluginProcess(), []);
    for (const out of outputs) {
      assert.ok(!out.includes(SECRET) && !out.includes(CI_SECRET), `a secret leaked into output: ${out}`);
    }
  });
}
