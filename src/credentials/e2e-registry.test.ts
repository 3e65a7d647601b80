/**
 * End to end: the built CLI against the real distribution registry (htpasswd and token auth),
 * credentials coming from exactly one source at a time — `.ocmconfig`, docker `auths`, a
 * `credHelpers` helper executable — plus wrong and missing credentials. The registry password is
 * a canary: it must never appear in any stdout, stderr or error message of these runs.
 * HOME, XDG_CONFIG_HOME, DOCKER_CONFIG and OCM_CONFIG point into a temp dir, so the developer's
 * real configuration is never read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOcm, type CliResult } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';
import { registryAvailable, startRegistry } from '../testing/registry.js';

const CONSTRUCTOR = `name: acme.org/creds/e2e
version: 1.0.0
provider:
  name: acme.org
resources:
  - name: text
    type: plainText
    input:
      type: utf8
      text: hello credentials
`;

for (const mode of ['htpasswd', 'token'] as const) {
  test(`credentials resolve end to end against a ${mode} registry, from each source alone, and never leak`, { skip: !registryAvailable() && 'docker-registry not installed' }, async (t) => {
    const canary = `canary-${randomBytes(12).toString('hex')}`;
    const reg = await startRegistry({ auth: mode, users: [{ username: 'ocmuser', password: canary }] });
    t.after(() => reg.stop());
    const d = await tempDir('ocm-ts-creds-e2e-');
    t.after(() => d.dispose());

    const home = join(d.path, 'home');
    const work = join(d.path, 'work');
    const dockerDir = join(d.path, 'docker');
    const bin = join(d.path, 'bin');
    for (const p of [home, work, dockerDir, bin, join(d.path, 'xdg')]) await mkdir(p, { recursive: true });
    await writeFile(join(work, 'component-constructor.yaml'), CONSTRUCTOR);
    const env = {
      HOME: home,
      XDG_CONFIG_HOME: join(d.path, 'xdg'),
      DOCKER_CONFIG: dockerDir,
      OCM_CONFIG: join(d.path, 'no-such-config'),
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      OCM_DEBUG: '',
    };
    const outputs: CliResult[] = [];
    const ocm = async (...args: string[]) => {
      const r = await runOcm(args, { cwd: work, env });
      outputs.push(r);
      return r;
    };
    const port = String(reg.port);
    const repo = `http://127.0.0.1:${port}/creds`;
    const cv = `${repo}//acme.org/creds/e2e:1.0.0`;
    const ocmconfig = join(work, '.ocmconfig');
    const writeOcmConfig = async (password: string) => {
      await writeFile(
        ocmconfig,
        `type: generic.config.ocm.software/v1
configurations:
- type: credentials.config.ocm.software
  consumers:
  - identity: {type: OCIRegistry, hostname: 127.0.0.1, port: "${port}"}
    credentials:
    - type: Credentials/v1
      properties: {username: ocmuser, password: "${password}"}
`,
        { mode: 0o600 },
      );
    };
    const clearSources = async () => {
      await rm(ocmconfig, { force: true });
      await rm(join(dockerDir, 'config.json'), { force: true });
    };

    await t.test('nothing configured: a clear UNAUTHORIZED error naming the registry', async () => {
      const r = await ocm('add', 'cv', '-r', repo, '-c', 'component-constructor.yaml');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /UNAUTHORIZED/);
      assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.match(r.stderr, /no credentials/);
      assert.match(r.stderr, /identity hostname=127\.0\.0\.1,.*type=OCIRegistry/);
    });

    await t.test('.ocmconfig only: push and read back', async () => {
      await clearSources();
      await writeOcmConfig(canary);
      const add = await ocm('add', 'cv', '-r', repo, '-c', 'component-constructor.yaml');
      assert.equal(add.code, 0, add.stderr);
      const get = await ocm('get', 'cv', cv, '-o', 'json');
      assert.equal(get.code, 0, get.stderr);
      assert.match(get.stdout, /acme\.org\/creds\/e2e/);
      const explain = await ocm('get', 'credentials', '--for', cv);
      assert.equal(explain.code, 0, explain.stderr);
      assert.match(explain.stdout, new RegExp(`matched: hostname=127\\.0\\.0\\.1,port=${port},type=OCIRegistry`));
      assert.match(explain.stdout, /password: <redacted>/);
      const cfg = await ocm('get', 'config');
      assert.equal(cfg.code, 0, cfg.stderr);
      assert.match(cfg.stdout, /password: <redacted>/);
    });

    await t.test('.ocmconfig with a wrong password: UNAUTHORIZED naming the registry, not the secret', async () => {
      await clearSources();
      await writeOcmConfig(`${canary}-wrong`);
      const r = await ocm('get', 'cv', cv, '--debug');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /UNAUTHORIZED/);
      // htpasswd: the registry rejects; token: the token server (same host, its own port) does.
      assert.match(r.stderr, /127\.0\.0\.1:\d+.*rejected the credentials/);
      assert.match(r.stderr, /identity hostname=127\.0\.0\.1,.*type=OCIRegistry/);
    });

    await t.test('docker config auths only (no .ocmconfig: auto-configuration)', async () => {
      await clearSources();
      const auth = Buffer.from(`ocmuser:${canary}`).toString('base64');
      await writeFile(join(dockerDir, 'config.json'), JSON.stringify({ auths: { [`127.0.0.1:${port}`]: { auth } } }), { mode: 0o600 });
      const r = await ocm('get', 'cv', cv, '-o', 'yaml');
      assert.equal(r.code, 0, r.stderr);
      const explain = await ocm('get', 'credentials', '--for', cv);
      assert.match(explain.stdout, /auths\["127\.0\.0\.1:\d+"\]/);
      assert.match(explain.stdout, /result: {2}from the credential repository/);
    });

    await t.test('docker credHelpers only: the helper executable answers', async () => {
      await clearSources();
      const log = join(d.path, 'helper.log');
      // The helper holds the secret itself (as a keychain would); the server URL arrives on stdin.
      await writeFile(
        join(bin, 'docker-credential-ocme2e'),
        `#!/bin/sh\nurl=$(cat)\necho "$1 $url" >> "${log}"\nif [ "$url" = "127.0.0.1:${port}" ]; then\n  printf '{"ServerURL":"%s","Username":"ocmuser","Secret":"%s"}\\n' "$url" "${canary}"\nelse\n  echo 'credentials not found in native keychain'; exit 1\nfi\n`,
      );
      await chmod(join(bin, 'docker-credential-ocme2e'), 0o755);
      await writeFile(join(dockerDir, 'config.json'), JSON.stringify({ credHelpers: { [`127.0.0.1:${port}`]: 'ocme2e' } }), { mode: 0o600 });
      const r = await ocm('get', 'cv', cv);
      assert.equal(r.code, 0, r.stderr);
      const explain = await ocm('get', 'credentials', '--for', cv);
      assert.match(explain.stdout, /credHelpers\["127\.0\.0\.1:\d+"\] → docker-credential-ocme2e/);
    });

    await t.test('docker credHelpers["127.0.0.1:PORT"] beats credsStore and a bare-host credHelpers entry (docker precedence)', async () => {
      await clearSources();
      const exact = join(d.path, 'exact.log');
      const other = join(d.path, 'other.log');
      await writeFile(join(bin, 'docker-credential-ocmexact'), `#!/bin/sh\nurl=$(cat)\necho "$url" >> "${exact}"\nprintf '{"ServerURL":"%s","Username":"ocmuser","Secret":"%s"}\\n' "$url" "${canary}"\n`);
      // a store that would answer wrongly: if it is ever asked, the pull fails
      await writeFile(join(bin, 'docker-credential-ocmwrong'), `#!/bin/sh\nurl=$(cat)\necho "$url" >> "${other}"\nprintf '{"ServerURL":"%s","Username":"ocmuser","Secret":"wrong"}\\n' "$url"\n`);
      for (const n of ['ocmexact', 'ocmwrong']) await chmod(join(bin, `docker-credential-${n}`), 0o755);
      await writeFile(join(dockerDir, 'config.json'), JSON.stringify({ credsStore: 'ocmwrong', credHelpers: { '127.0.0.1': 'ocmwrong', [`127.0.0.1:${port}`]: 'ocmexact' } }), { mode: 0o600 });
      const r = await ocm('get', 'cv', cv);
      assert.equal(r.code, 0, r.stderr);
      const explain = await ocm('get', 'credentials', '--for', cv);
      assert.match(explain.stdout, /credHelpers\["127\.0\.0\.1:\d+"\] → docker-credential-ocmexact/);
      assert.equal((await readFile(exact, 'utf8')).trim().split('\n')[0], `127.0.0.1:${port}`);
      await assert.rejects(readFile(other, 'utf8'), /ENOENT/, 'neither credsStore nor the bare-host helper was asked');
    });

    await t.test('the canary secret never appeared in any output', () => {
      assert.ok(outputs.length >= 9);
      for (const o of outputs) {
        assert.ok(!o.stdout.includes(canary), `stdout leaked the secret:\n${o.stdout.replaceAll(canary, '<CANARY>')}`);
        assert.ok(!o.stderr.includes(canary), `stderr leaked the secret:\n${o.stderr.replaceAll(canary, '<CANARY>')}`);
      }
    });
  });
}
