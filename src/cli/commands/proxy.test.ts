import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOcm } from '../../testing/cli.js';
import { ocmBin, tempDir } from '../../testing/fixtures.js';
import { hashToken } from '../../proxy/access.js';

const T = 'connectors.config.ocm.software/v1alpha1';
const configWith = (hash: string) => `type: ${T}\nconnectors:\n  - name: acme\n    address: http://127.0.0.1:9\nclients:\n  - {name: ci, tokenHash: "${hash}"}\n`;

test('proxy token create prints a token once on stdout whose hash (on stderr) verifies; token hash reproduces it', async () => {
  const dir = await tempDir();
  try {
    const r = await runOcm(['proxy', 'token', 'create', 'ci']);
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(r.stderr.includes(`ci:${hashToken(token)}`), r.stderr);
    assert.ok(r.stderr.includes(`tokenHash: "${hashToken(token)}"`));
    assert.ok(!r.stderr.includes(token), 'the token is not repeated on stderr');

    const file = join(dir.path, 'ci.token');
    const w = await runOcm(['proxy', 'token', 'create', 'ci', '--token-file', file]);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout, '', 'with --token-file nothing on stdout');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const written = (await readFile(file, 'utf8')).trim();
    const h = await runOcm(['proxy', 'token', 'hash', 'ci', '--token-file', file]);
    assert.equal(h.stdout, `ci:${hashToken(written)}\n`);
    const again = await runOcm(['proxy', 'token', 'create', 'ci', '--token-file', file]);
    assert.equal(again.code, 7);
    assert.equal(again.stderr, `Error: token file ${file} already exists; remove it or choose another path [ALREADY_EXISTS]\n`);
    const bad = await runOcm(['proxy', 'token', 'create', 'CI']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
  } finally {
    await dir.dispose();
  }
});

test('proxy serve refuses a non-loopback listen without client auth, in one line', async () => {
  const dir = await tempDir();
  try {
    const cfg = join(dir.path, 'proxy.yaml');
    const cases: [string, string][] = [
      ['0.0.0.0:0', ''], // the shared listener
      ['127.0.0.1:0', '  - {name: side, address: "http://127.0.0.1:8", listen: "0.0.0.0:0"}\n'], // a connector's dedicated listener
    ];
    for (const [listen, extra] of cases) {
      await writeFile(cfg, `type: ${T}\nconnectors:\n  - {name: acme, address: "http://127.0.0.1:9"}\n${extra}`);
      const r = await runOcm(['--config', cfg, 'proxy', 'serve', '--listen', listen], { timeoutMs: 20_000 });
      assert.equal(r.code, 4);
      assert.equal(r.stderr, 'Error: refusing to listen on 0.0.0.0:0 without client authentication: configure proxy clients (ocm proxy token create) or listen on 127.0.0.1 [CONFIG_ERROR]\n');
    }
  } finally {
    await dir.dispose();
  }
});

test('proxy serve reloads on SIGHUP (new client token applies, a broken file keeps the old config) and stops on SIGTERM', async () => {
  const dir = await tempDir();
  const cfg = join(dir.path, 'proxy.yaml');
  await writeFile(cfg, configWith(hashToken('token-one')));
  const child = spawn(process.execPath, [ocmBin, '--config', cfg, 'proxy', 'serve', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = async (re: RegExp, ms = 15_000) => {
    const end = Date.now() + ms;
    while (!re.test(stderr)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${re}; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return re.exec(stderr)!;
  };
  try {
    const address = (await until(/listening on http:\/\/(127\.0\.0\.1:\d+)/))[1]!;
    const ping = async (token: string) => (await fetch(`http://${address}/v2/`, { headers: { authorization: `Bearer ${token}` } })).status;
    assert.equal(await ping('token-one'), 200);
    assert.equal(await ping('token-two'), 401);

    await writeFile(cfg, configWith(hashToken('token-two')));
    child.kill('SIGHUP');
    await until(/configuration reloaded \(SIGHUP\)/);
    assert.equal(await ping('token-two'), 200);
    assert.equal(await ping('token-one'), 401);

    await writeFile(cfg, 'type: [');
    child.kill('SIGHUP');
    await until(/Warning: configuration not reloaded, the previous one stays in effect: config file .* is not valid YAML or JSON/);
    assert.equal(await ping('token-two'), 200);
    assert.ok(!stderr.includes('token-two') && !stderr.includes(hashToken('token-two')), 'no token or hash in output');

    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(stderr, /stopping, finishing requests in flight/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await dir.dispose();
  }
});

test('proxy client-config writes files atomically, 0600 when they hold the token; unknown connector is one line', async () => {
  const dir = await tempDir();
  try {
    const cfg = join(dir.path, 'proxy.yaml');
    await writeFile(cfg, `type: ${T}\nconnectors:\n  - {name: acme, address: "https://registry.acme.example", listen: "0.0.0.0:5051"}\n`);
    const tokenFile = join(dir.path, 'tok');
    await writeFile(tokenFile, 'secret-token\n', { mode: 0o600 });
    const out = join(dir.path, 'out');
    const r = await runOcm(['--config', cfg, 'proxy', 'client-config', '--connector', 'acme', '--format', 'docker', '--proxy', 'proxy.example:5050', '--token-file', tokenFile, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('secret') && !r.stderr.includes('secret'));
    const file = join(out, 'config.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { auths: { 'proxy.example:5050': { auth: Buffer.from('ocm:secret-token').toString('base64') } } });

    const hosts = await runOcm(['--config', cfg, 'proxy', 'client-config', '--connector', 'acme', '--format', 'containerd-hosts', '--proxy', 'https://proxy.example:5050']);
    assert.equal(hosts.code, 0, hosts.stderr);
    assert.match(hosts.stdout, /^\[host\."https:\/\/proxy\.example:5051"\]$/m, 'a wildcard dedicated listener is reached under the proxy host');

    const bad = await runOcm(['--config', cfg, 'proxy', 'client-config', '--connector', 'nope', '--format', 'docker']);
    assert.equal(bad.code, 3);
    assert.equal(bad.stderr, 'Error: connector "nope" is not configured (configured: acme) [NOT_FOUND]\n');
  } finally {
    await dir.dispose();
  }
});
