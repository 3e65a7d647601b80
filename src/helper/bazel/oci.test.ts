import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configFromDocuments } from '../../config/load.js';
import { createSession } from '../../session/session.js';
import { tempDir } from '../../testing/fixtures.js';
import { registryAvailable, startRegistry } from '../../testing/registry.js';
import { resolveCredentials } from './resolve.js';
import { rfc3339, tokenExpiresAt } from './oci.js';

test('token expiry: issued_at + max(expires_in, 60) s − 30 s, whole seconds; skewed issued_at counts from receipt', () => {
  const now = Date.parse('2026-03-01T12:00:00.700Z');
  const table: [{ expiresIn?: number; issuedAt?: string }, string][] = [
    [{ expiresIn: 300, issuedAt: '2026-03-01T12:00:00Z' }, '2026-03-01T12:04:30Z'],
    [{ expiresIn: 300 }, '2026-03-01T12:04:30Z'],
    [{}, '2026-03-01T12:00:30Z'], // default 60 s
    [{ expiresIn: 10 }, '2026-03-01T12:00:30Z'], // clamped up to 60 s
    [{ expiresIn: 0 }, '2026-03-01T12:00:30Z'],
    [{ expiresIn: 300, issuedAt: '2026-03-01T11:58:00Z' }, '2026-03-01T12:02:30Z'], // issued 2 min ago
    [{ expiresIn: 300, issuedAt: '2020-01-01T00:00:00Z' }, '2026-03-01T12:04:30Z'], // skew: from receipt
    [{ expiresIn: 300, issuedAt: 'yesterday' }, '2026-03-01T12:04:30Z'],
  ];
  for (const [grant, want] of table) assert.equal(rfc3339(tokenExpiresAt(grant, now)), want, JSON.stringify(grant));
});

test('tweag config: oauth2 exchange with a lookup chain (env password, auth binding decoded) against the token registry; fake clock sets expires', { skip: !registryAvailable() && 'docker-registry not installed' }, async (t) => {
  const pw = 'pw-oauth2-canary';
  const reg = await startRegistry({ auth: 'token', users: [{ username: 'alice', password: pw, actions: ['pull'] }] });
  t.after(() => reg.stop());
  const d = await tempDir('ocm-ts-bazel-oci-');
  t.after(() => d.dispose());
  const work = join(d.path, 'work');
  await mkdir(work, { recursive: true });
  await writeFile(
    join(work, '.tweag-credential-helper.json'),
    JSON.stringify({
      urls: [
        { scheme: 'http', host: `127.0.0.1:${reg.port}`, path: '/v2/*', helper: 'oci', config: { token_exchange_method: 'oauth2', parse_docker_config: false, lookup_chain: [{ source: 'env', name: 'REG_AUTH', binding: 'auth' }] } },
      ],
    }),
  );
  const env = { HOME: d.path, DOCKER_CONFIG: join(d.path, 'nodocker'), REG_AUTH: Buffer.from(`alice:${pw}`).toString('base64') };
  const fake = Date.parse('2030-01-01T00:00:00Z');
  const opts = { env, cwd: work, session: createSession({ config: configFromDocuments([]), env, cwd: work }), now: () => fake };
  const r = await resolveCredentials({ uri: `${reg.url}/v2/team/app/manifests/v1` }, opts);
  assert.match(r.response.headers.Authorization![0]!, /^Bearer /);
  const last = reg.tokenServer!.requests.at(-1)!;
  assert.equal(last.method, 'POST');
  assert.equal(last.grantType, 'password');
  assert.equal(last.authenticated, true);
  // issued_at from the real server is far from the fake clock: counted from (fake) receipt.
  assert.equal(r.response.expires, '2030-01-01T00:04:30Z');
  assert.ok(!JSON.stringify(r).includes(pw));
  // the same config answers other repositories too; with a wrong password: one line, no secret.
  const bad = { ...opts, env: { ...env, REG_AUTH: Buffer.from('alice:wrong-canary').toString('base64') } };
  await assert.rejects(resolveCredentials({ uri: `${reg.url}/v2/team/app/manifests/v1` }, bad), (e: unknown) => {
    assert.match(String((e as Error).message), /rejected the credentials for identity .*type=OCIRegistry/);
    assert.ok(!(e as Error).message.includes('wrong-canary') && !(e as Error).message.includes('\n'));
    return true;
  });
});
