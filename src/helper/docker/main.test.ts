import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { VERSION } from '../../version.js';
import { main, NOT_FOUND, refusedText, USAGE } from './main.js';

const CONFIG = `# my ocm config (this comment must survive store/erase)
type: generic.config.ocm.software/v1
configurations:
  - type: credentials.config.ocm.software
    consumers:
      - identity: {type: OCIRegistry, hostname: 127.0.0.1, port: "5000"}
        credentials:
          - type: Credentials/v1
            properties: {username: alice, password: s3cret-pw}
      - identity: {type: OCIRegistry, hostname: docker.io}
        credentials:
          - type: Credentials/v1
            properties: {username: hubuser, password: hub-pw}
      - identity: {type: OCIRegistry, hostname: tok.example}
        credentials:
          - type: OCICredentials/v1
            refreshToken: refresh-tok-secret
      - identity: {type: OCIRegistry, hostname: access.example}
        credentials:
          - type: OCICredentials/v1
            accessToken: access-tok-secret
      - identity: {type: OCIRegistry, hostname: ghcr.io}
        credentials:
          - type: Credentials/v1
            properties: {username: gh, password: gh-pw}
      # as written for the Go CLI: scheme and an unquoted port
      - identity: {type: OCIRegistry, scheme: https, hostname: secure.example, port: 8443}
        credentials:
          - type: OCICredentials/v1
            username: sec
            password: sec-pw
`;
const SECRETS = ['s3cret-pw', 'hub-pw', 'refresh-tok-secret', 'access-tok-secret', 'gh-pw', 'sec-pw'];

async function withHome(fn: (home: string, env: NodeJS.ProcessEnv) => Promise<void>, config: string | null = CONFIG): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'docker-credential-ocm-'));
  try {
    if (config !== null) await writeFile(join(home, '.ocmconfig'), config, { mode: 0o600 });
    // Nothing of the real user's setup: HOME, docker config and discovery all point into the temp dir.
    const env: NodeJS.ProcessEnv = { HOME: home, PATH: process.env.PATH, DOCKER_CONFIG: join(home, 'docker'), OCM_CONFIG: join(home, '.ocmconfig') };
    await fn(home, env);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

async function run(argv: string[], env: NodeJS.ProcessEnv, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  stdin.end(input ?? '');
  const code = await main(argv, { stdin, stdout, stderr, env, cwd: env.HOME! });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

const pair = (ServerURL: string, Username: string, Secret: string) => `${JSON.stringify({ ServerURL, Username, Secret })}\n`;

test('get: the server URL shapes docker, podman and skopeo send resolve to the configured consumer', async () => {
  await withHome(async (_home, env) => {
    const cases: [string, string][] = [
      ['127.0.0.1:5000', pair('127.0.0.1:5000', 'alice', 's3cret-pw')],
      ['127.0.0.1:5000\n', pair('127.0.0.1:5000', 'alice', 's3cret-pw')],
      ['  \t127.0.0.1:5000 \r\n\n', pair('127.0.0.1:5000', 'alice', 's3cret-pw')],
      ['http://127.0.0.1:5000', pair('http://127.0.0.1:5000', 'alice', 's3cret-pw')],
      ['https://127.0.0.1:5000/v1/', pair('https://127.0.0.1:5000/v1/', 'alice', 's3cret-pw')],
      ['https://index.docker.io/v1/', pair('https://index.docker.io/v1/', 'hubuser', 'hub-pw')],
      ['docker.io', pair('docker.io', 'hubuser', 'hub-pw')],
      ['index.docker.io', pair('index.docker.io', 'hubuser', 'hub-pw')],
      ['registry-1.docker.io', pair('registry-1.docker.io', 'hubuser', 'hub-pw')],
      ['GHCR.io', pair('GHCR.io', 'gh', 'gh-pw')],
      ['secure.example:8443', pair('secure.example:8443', 'sec', 'sec-pw')],
      ['https://secure.example:8443', pair('https://secure.example:8443', 'sec', 'sec-pw')],
      // an identity token is the <token> convention
      ['tok.example', pair('tok.example', '<token>', 'refresh-tok-secret')],
    ];
    for (const [input, want] of cases) {
      const r = await run(['get'], env, input);
      assert.deepEqual(r, { code: 0, stdout: want, stderr: '' }, JSON.stringify(input));
    }
  });
});

test('get: unknown hosts, other ports, lookalikes and bare access tokens are exactly "not found" on stdout with exit 1', async () => {
  await withHome(async (_home, env) => {
    for (const input of ['127.0.0.1:5001', '127.0.0.1', 'localhost:5000', 'ghcr.io.evil.net', 'evil-ghcr.io', 'ghcr.io:8443', 'docker.io:5000', 'access.example', 'xn--ghcr-io.example']) {
      const r = await run(['get'], env, input);
      assert.deepEqual(r, { code: 1, stdout: `${NOT_FOUND}\n`, stderr: '' }, input);
    }
  });
});

test('get: empty or closed stdin and malformed server URLs fail on stdout with exit 1, never echoing secrets', async () => {
  await withHome(async (_home, env) => {
    for (const input of ['', '\n  \n']) assert.deepEqual(await run(['get'], env, input), { code: 1, stdout: 'no credentials server URL\n', stderr: '' });
    for (const input of ['https://ghcr.io@evil.net', 'https://user:pw@127.0.0.1:5000', 'ftp://127.0.0.1:5000', '127.0.0.1:99999', 'a b', '[::1']) {
      const r = await run(['get'], env, input);
      assert.equal(r.code, 1, input);
      assert.match(r.stdout, /^server URL .* \[INVALID_ARGUMENT\]\n$/, input);
      assert.equal(r.stderr, '');
      for (const s of [...SECRETS, 'pw@']) assert.ok(!r.stdout.includes(s), input);
    }
  });
});

test('get: a broken .ocmconfig is one line on stdout naming the file, exit 1', async () => {
  await withHome(async (home, env) => {
    const r = await run(['get'], env, '127.0.0.1:5000');
    assert.equal(r.code, 1);
    assert.ok(r.stdout.includes(join(home, '.ocmconfig')), r.stdout);
    assert.match(r.stdout, /\[CONFIG_ERROR\]\n$/);
    assert.equal(r.stdout.split('\n').length, 2);
  }, 'type: generic.config.ocm.software/v1\nconfigurations:\n  - type: credentials.config.ocm.software\n    consumers:\n      - credentials: []\n');
});

test('version, usage and unknown actions follow docker-credential-helpers', async () => {
  await withHome(async (_home, env) => {
    const v = `docker-credential-ocm (ocm-ts) ${VERSION}\n`;
    assert.deepEqual(await run(['version'], env), { code: 0, stdout: v, stderr: '' });
    assert.deepEqual(await run(['--version'], env), { code: 0, stdout: v, stderr: '' });
    assert.deepEqual(await run(['-v'], env), { code: 0, stdout: v, stderr: '' });
    assert.deepEqual(await run(['--help'], env), { code: 0, stdout: `${USAGE}\n`, stderr: '' });
    assert.deepEqual(await run([], env), { code: 1, stdout: `${USAGE}\n`, stderr: '' });
    assert.deepEqual(await run(['get', 'extra'], env), { code: 1, stdout: `${USAGE}\n`, stderr: '' });
    assert.deepEqual(await run(['fetch'], env), { code: 1, stdout: 'docker-credential-ocm: unknown action: fetch\n', stderr: '' });
  });
});

test('list: every configured registry with a docker pair, usernames only (Hub under its v1 URL)', async () => {
  await withHome(async (_home, env) => {
    const r = await run(['list'], env, 'unused');
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), { '127.0.0.1:5000': 'alice', 'https://index.docker.io/v1/': 'hubuser', 'tok.example': '<token>', 'ghcr.io': 'gh', 'secure.example:8443': 'sec' });
    for (const s of SECRETS) assert.ok(!r.stdout.includes(s));
  });
});

test('store and erase are refused without the opt-in, with the exact text, and the config is untouched', async () => {
  await withHome(async (home, env) => {
    const store = await run(['store'], env, JSON.stringify({ ServerURL: 'new.example', Username: 'u', Secret: 'new-secret' }));
    assert.deepEqual(store, { code: 1, stdout: `${refusedText('store')}\n`, stderr: '' });
    assert.equal(refusedText('store'), 'error storing credentials: not supported by docker-credential-ocm (enable with OCM_CREDENTIAL_HELPER_ALLOW_STORE=1)');
    assert.deepEqual(await run(['erase'], env, '127.0.0.1:5000'), { code: 1, stdout: `${refusedText('erase')}\n`, stderr: '' });
    assert.equal(await readFile(join(home, '.ocmconfig'), 'utf8'), CONFIG);
  });
});

test('store/erase with the opt-in edit .ocmconfig in place: other entries and comments kept, mode 0600, get sees the result', async () => {
  await withHome(async (home, env) => {
    const path = join(home, '.ocmconfig');
    const allowed = { ...env, OCM_CREDENTIAL_HELPER_ALLOW_STORE: '1' };
    assert.deepEqual(await run(['store'], allowed, JSON.stringify({ ServerURL: 'new.example:5443', Username: 'bob', Secret: 'new-secret' })), { code: 0, stdout: '', stderr: '' });
    let text = await readFile(path, 'utf8');
    assert.ok(text.startsWith('# my ocm config (this comment must survive store/erase)\n'));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await run(['get'], env, 'new.example:5443'), { code: 0, stdout: pair('new.example:5443', 'bob', 'new-secret'), stderr: '' });
    assert.deepEqual(await run(['get'], env, '127.0.0.1:5000'), { code: 0, stdout: pair('127.0.0.1:5000', 'alice', 's3cret-pw'), stderr: '' });
    // replacing an existing consumer (the `--allow-store` argument works too), <token> stored as an identity token
    assert.equal((await run(['--allow-store', 'store'], env, JSON.stringify({ ServerURL: '127.0.0.1:5000', Username: '<token>', Secret: 'idtok' }))).code, 0);
    assert.deepEqual(await run(['get'], env, '127.0.0.1:5000'), { code: 0, stdout: pair('127.0.0.1:5000', '<token>', 'idtok'), stderr: '' });
    text = await readFile(path, 'utf8');
    assert.equal(text.match(/hostname: 127\.0\.0\.1/g)?.length, 1, text);
    // Hub stores under docker.io
    assert.equal((await run(['store'], allowed, JSON.stringify({ ServerURL: 'https://index.docker.io/v1/', Username: 'hub2', Secret: 'hub2-pw' }))).code, 0);
    assert.deepEqual(await run(['get'], env, 'docker.io'), { code: 0, stdout: pair('docker.io', 'hub2', 'hub2-pw'), stderr: '' });
    // erase
    assert.deepEqual(await run(['erase'], allowed, 'new.example:5443\n'), { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(await run(['get'], env, 'new.example:5443'), { code: 1, stdout: `${NOT_FOUND}\n`, stderr: '' });
    assert.deepEqual(await run(['erase'], allowed, 'new.example:5443'), { code: 1, stdout: `${NOT_FOUND}\n`, stderr: '' });
    text = await readFile(path, 'utf8');
    assert.ok(text.includes('# my ocm config') && text.includes('gh-pw') && !text.includes('new-secret'));
  });
});

test('store with the opt-in creates a missing .ocmconfig; bad store input is refused without quoting it', async () => {
  await withHome(async (home, env) => {
    const allowed = { ...env, OCM_CREDENTIAL_HELPER_ALLOW_STORE: 'true' };
    assert.deepEqual(await run(['store'], allowed, '{"ServerURL":"","Username":"u","Secret":"x"}'), { code: 1, stdout: 'no credentials server URL\n', stderr: '' });
    assert.deepEqual(await run(['store'], allowed, '{"ServerURL":"h.example","Username":"","Secret":"x"}'), { code: 1, stdout: 'no credentials username\n', stderr: '' });
    const bad = await run(['store'], allowed, '{"ServerURL": "h.example", "Secret": "leaky-secret"');
    assert.equal(bad.code, 1);
    assert.ok(!bad.stdout.includes('leaky-secret'));
    await assert.rejects(stat(join(home, '.ocmconfig')), { code: 'ENOENT' });
    assert.equal((await run(['store'], allowed, '{"ServerURL":"h.example","Username":"u","Secret":"p"}')).code, 0);
    assert.equal((await stat(join(home, '.ocmconfig'))).mode & 0o777, 0o600);
    assert.deepEqual(await run(['get'], env, 'h.example'), { code: 0, stdout: pair('h.example', 'u', 'p'), stderr: '' });
  }, null);
});

test('store refuses to rewrite an .ocmconfig that is not valid YAML, and leaves it as it was', async () => {
  const broken = 'type: generic.config.ocm.software/v1\nconfigurations: [\n  password: oops-secret\n';
  await withHome(async (home, env) => {
    const r = await run(['store'], { ...env, OCM_CREDENTIAL_HELPER_ALLOW_STORE: '1' }, '{"ServerURL":"h.example","Username":"u","Secret":"p"}');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /is not valid YAML.*\[CONFIG_ERROR\]\n$/);
    assert.ok(!r.stdout.includes('oops-secret'));
    assert.equal(await readFile(join(home, '.ocmconfig'), 'utf8'), broken);
  }, broken);
});

test('get: a Hub consumer written under index.docker.io or registry-1.docker.io answers every Hub server URL', async () => {
  for (const host of ['index.docker.io', 'registry-1.docker.io']) {
    const config = `type: credentials.config.ocm.software\nconsumers:\n  - identity: {type: OCIRegistry, hostname: ${host}}\n    credentials: [{type: Credentials/v1, properties: {username: hub, password: hub-secret}}]\n`;
    await withHome(async (_home, env) => {
      for (const input of ['https://index.docker.io/v1/', 'docker.io', 'registry-1.docker.io']) {
        assert.deepEqual(await run(['get'], env, input), { code: 0, stdout: pair(input, 'hub', 'hub-secret'), stderr: '' }, `${host} ← ${input}`);
      }
    }, config);
  }
});
