/**
 * End to end with the SSH signing plugin shipped as ONE bundled file and the real OpenSSH
 * `ssh-keygen` (ed25519 and RSA keys made in the test's temp dir): sign and verify a component
 * version through the CLI, check the signature with plain `ssh-keygen -Y verify` outside ocm (the
 * signed message is the digest value), verify again after `ocm transfer cv` to another CTF and to a
 * real registry, and see a tampered descriptor and an untrusted key fail with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../testing/fixtures.js';
import { hmacKeysConfig, pluginWorld, startedPids, type PluginWorld } from '../../testing/plugin-e2e.js';
import { registryAvailable, startRegistry } from '../../testing/registry.js';

const TIMEOUT = { timeout: 180_000 };
const PRINCIPAL = 'release@acme.org';
const hasSshKeygen = spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error === undefined;
const skip = !hasSshKeygen && 'ssh-keygen not installed (Debian package openssh-client)';

interface Keys {
  readonly privateKeyFile: string;
  readonly allowedSigners: string;
  readonly otherAllowedSigners: string;
}

/** A world with the bundled plugin (plus the filestore example, whose plain descriptor.json can be tampered with). */
async function sshWorld(keyType: 'ed25519' | 'rsa'): Promise<{ w: PluginWorld; keys: Keys }> {
  const w = await pluginWorld(['filestore']);
  await promisify(execFile)(process.execPath, [join(repoRoot, 'scripts', 'bundle-plugin.mjs'), join(repoRoot, 'examples', 'plugins', 'ssh-signing', 'main.ts'), join(w.plugins, 'ocm-plugin-ssh-signing')], { cwd: repoRoot });
  const dir = join(w.root, 'keys');
  await mkdir(dir, { mode: 0o700 });
  const gen = (name: string) => {
    const args = ['-q', '-t', keyType, ...(keyType === 'rsa' ? ['-b', '3072'] : []), '-N', '', '-C', name, '-f', join(dir, name)];
    execFileSync('ssh-keygen', args, { stdio: 'ignore' });
  };
  gen('signer');
  gen('other');
  const allowed = async (name: string) => {
    const file = join(dir, `allowed_${name}`);
    await writeFile(file, `${PRINCIPAL} namespaces="ocm" ${(await readFile(join(dir, `${name}.pub`), 'utf8')).trim()}\n`);
    return file;
  };
  const keys = { privateKeyFile: join(dir, 'signer'), allowedSigners: await allowed('signer'), otherAllowedSigners: await allowed('other') };
  await writeSshConfig(w, keys.privateKeyFile, keys.allowedSigners);
  await w.file('ssh.yaml', `type: SSHSignature/v1alpha1\nprincipal: ${PRINCIPAL}\n`);
  await w.file('cc.yaml', 'name: acme.org/ssh\nversion: 1.0.0\nprovider: {name: acme.org}\nresources:\n  - name: text\n    type: plainText\n    input: {type: utf8, text: signed with ssh}\n');
  return { w, keys };
}

/** An `.ocmconfig` giving the consumer {type: SSHKey, name: release} its key file and allowed_signers file. */
function writeSshConfig(w: PluginWorld, privateKeyFile: string, allowedSignersFile: string): Promise<void> {
  return w.writeConfig(
    hmacKeysConfig({}).replace(
      '  consumers:\n',
      `  consumers:\n  - identity: {type: SSHKey, name: release}\n    credentials:\n    - type: Credentials/v1\n      properties: {privateKeyFile: ${JSON.stringify(privateKeyFile)}, allowedSignersFile: ${JSON.stringify(allowedSignersFile)}}\n`,
    ),
  );
}

async function ocmOk(w: PluginWorld, args: string[]): Promise<string> {
  const r = await w.ocm(args, { flags: ['--debug'] });
  assert.equal(r.code, 0, `ocm ${args.join(' ')}: ${r.stderr}`);
  return r.stderr;
}

async function signatureOf(w: PluginWorld, ref: string): Promise<{ name: string; digest: { value: string }; signature: { algorithm: string; value: string; mediaType: string; issuer?: string } }> {
  const get = await w.ocm(['get', 'cv', ref, '-o', 'json']);
  assert.equal(get.code, 0, get.stderr);
  return JSON.parse(get.stdout).signatures.find((s: { name: string }) => s.name === 'release');
}

/** `ssh-keygen -Y verify` by hand, outside ocm: the message is the digest value, no newline. */
async function plainVerify(w: PluginWorld, sig: { digest: { value: string }; signature: { value: string } }, allowedSigners: string): Promise<{ status: number | null; out: string }> {
  const file = join(w.root, `sig-${Date.now()}`);
  await writeFile(file, sig.signature.value);
  const r = spawnSync('ssh-keygen', ['-Y', 'verify', '-n', 'ocm', '-f', allowedSigners, '-I', PRINCIPAL, '-s', file], { input: sig.digest.value, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

for (const keyType of ['ed25519', 'rsa'] as const) {
  test(`ssh-signing (${keyType}, bundled single file): sign cv via the CLI, verify via the CLI and with plain ssh-keygen -Y verify, and again after transfer to another CTF and a registry`, { ...TIMEOUT, skip }, async (t) => {
    const { w, keys } = await sshWorld(keyType);
    t.after(() => w.dispose());
    await ocmOk(w, ['add', 'cv', '-c', 'cc.yaml', '-r', 'ctf']);
    const ref = 'ctf//acme.org/ssh:1.0.0';
    const sign = await ocmOk(w, ['sign', 'cv', ref, '--signer-spec', 'ssh.yaml', '--signature', 'release']);
    assert.deepEqual(startedPids(sign).map((s) => s.id), ['ocm-plugin-ssh-signing']);
    assert.deepEqual(await w.waitNoPluginProcess(), []);
    await ocmOk(w, ['verify', 'cv', ref, '--verifier-spec', 'ssh.yaml', '--signature', 'release']);

    const sig = await signatureOf(w, ref);
    assert.equal(sig.signature.algorithm, 'SSH-SIG');
    assert.equal(sig.signature.mediaType, 'application/x-ssh-signature');
    assert.equal(sig.signature.issuer, PRINCIPAL);
    assert.match(sig.signature.value, /^-----BEGIN SSH SIGNATURE-----\n[\s\S]+\n-----END SSH SIGNATURE-----\n$/);
    assert.match(sig.digest.value, /^[0-9a-f]{64}$/);

    await t.test('the signature verifies with plain ssh-keygen -Y verify outside ocm', async () => {
      const r = await plainVerify(w, sig, keys.allowedSigners);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, new RegExp(`Good "ocm" signature for ${PRINCIPAL}`));
      const bad = await plainVerify(w, { ...sig, digest: { value: sig.digest.value.replace(/^./, (c) => (c === '0' ? '1' : '0')) } }, keys.allowedSigners);
      assert.notEqual(bad.status, 0, 'a different digest does not verify');
    });

    await t.test('after transfer cv to another CTF it still verifies (CLI and plain ssh-keygen)', async () => {
      await ocmOk(w, ['transfer', 'cv', ref, 'ctf2']);
      await ocmOk(w, ['verify', 'cv', 'ctf2//acme.org/ssh:1.0.0', '--verifier-spec', 'ssh.yaml', '--signature', 'release']);
      const moved = await signatureOf(w, 'ctf2//acme.org/ssh:1.0.0');
      assert.deepEqual(moved, sig);
      assert.equal((await plainVerify(w, moved, keys.allowedSigners)).status, 0);
    });

    await t.test('after transfer cv to a real registry it still verifies', { skip: !registryAvailable() && 'docker-registry not installed' }, async () => {
      const reg = await startRegistry();
      try {
        const target = `${reg.url}/ocm`;
        await ocmOk(w, ['transfer', 'cv', ref, target]);
        await ocmOk(w, ['verify', 'cv', `${target}//acme.org/ssh:1.0.0`, '--verifier-spec', 'ssh.yaml', '--signature', 'release']);
        assert.equal((await plainVerify(w, await signatureOf(w, `${target}//acme.org/ssh:1.0.0`), keys.allowedSigners)).status, 0);
      } finally {
        await reg.stop();
      }
    });

    await t.test('a key that allowed_signers does not trust fails verification: exit 5, one line', async () => {
      await writeSshConfig(w, keys.privateKeyFile, keys.otherAllowedSigners);
      const bad = await w.ocm(['verify', 'cv', ref, '--verifier-spec', 'ssh.yaml', '--signature', 'release']);
      await writeSshConfig(w, keys.privateKeyFile, keys.allowedSigners);
      assert.equal(bad.code, 5, bad.stderr);
      assert.match(bad.stderr, /VERIFICATION_FAILED/);
      assert.match(bad.stderr, /signature mismatch/);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    });
  });
}

test('ssh-signing: a tampered descriptor fails verification with exit 5 and one line', { ...TIMEOUT, skip }, async (t) => {
  const { w } = await sshWorld('ed25519');
  t.after(() => w.dispose());
  const store = join(w.root, 'store');
  await mkdir(store);
  await w.file('store.yaml', `type: FileStore/v1alpha1\npath: ${JSON.stringify(store)}\n`);
  await ocmOk(w, ['add', 'cv', '-c', 'cc.yaml', '--repository-spec', 'store.yaml']);
  const ref = `FileStore/v1alpha1::${store}//acme.org/ssh:1.0.0`;
  await ocmOk(w, ['sign', 'cv', ref, '--signer-spec', 'ssh.yaml', '--signature', 'release']);
  await ocmOk(w, ['verify', 'cv', ref, '--verifier-spec', 'ssh.yaml', '--signature', 'release']);
  const base = join(store, 'components');
  const [name] = await readdir(base);
  const [version] = await readdir(join(base, name!));
  const file = join(base, name!, version!, 'descriptor.json');
  const text = await readFile(file, 'utf8');
  const tampered = text.replace(/"provider":(\s*)"acme\.org"/, '"provider":$1"evil.org"');
  assert.notEqual(tampered, text, 'the test changed the descriptor');
  await writeFile(file, tampered);
  const bad = await w.ocm(['verify', 'cv', ref, '--verifier-spec', 'ssh.yaml', '--signature', 'release']);
  assert.equal(bad.code, 5, bad.stderr);
  assert.match(bad.stderr, /VERIFICATION_FAILED/);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.deepEqual(await w.waitNoPluginProcess(), []);
});

test('ssh-signing: the private key given inline (credential property privateKey) signs too and never shows in --debug output', { ...TIMEOUT, skip }, async (t) => {
  const { w, keys } = await sshWorld('ed25519');
  t.after(() => w.dispose());
  const pem = await readFile(keys.privateKeyFile, 'utf8');
  const body = pem.split('\n')[1]!;
  await w.writeConfig(
    hmacKeysConfig({}).replace(
      '  consumers:\n',
      `  consumers:\n  - identity: {type: SSHKey, name: release}\n    credentials:\n    - type: Credentials/v1\n      properties:\n        allowedSignersFile: ${JSON.stringify(keys.allowedSigners)}\n        privateKey: ${JSON.stringify(pem)}\n`,
    ),
  );
  await ocmOk(w, ['add', 'cv', '-c', 'cc.yaml', '-r', 'ctf']);
  const sign = await w.ocm(['sign', 'cv', 'ctf//acme.org/ssh:1.0.0', '--signer-spec', 'ssh.yaml', '--signature', 'release'], { flags: ['--debug'] });
  assert.equal(sign.code, 0, sign.stderr);
  const verify = await w.ocm(['verify', 'cv', 'ctf//acme.org/ssh:1.0.0', '--verifier-spec', 'ssh.yaml', '--signature', 'release'], { flags: ['--debug'] });
  assert.equal(verify.code, 0, verify.stderr);
  for (const out of [sign.stdout, sign.stderr, verify.stdout, verify.stderr]) assert.ok(!out.includes(body), 'the private key never appears in output');
  assert.deepEqual(await w.tmpEntries().then((e) => e.filter((n) => n.startsWith('ocm-ssh-signing-'))), [], 'the temporary key file is gone');
});
