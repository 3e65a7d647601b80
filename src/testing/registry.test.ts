import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRegistry } from './registry.js';
import { decodeJwtClaims } from './token-server.js';

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: string }> {
  const r = await fetch(url, { headers });
  return { status: r.status, headers: r.headers, body: await r.text() };
}

test('startRegistry without auth answers 200 on /v2/ and stops cleanly', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  assert.match(reg.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal((await get(`${reg.url}/v2/`)).status, 200);
  await reg.stop();
  await assert.rejects(get(`${reg.url}/v2/`));
});

test('startRegistry with htpasswd challenges with Basic and accepts the bcrypt user', async (t) => {
  const reg = await startRegistry({ auth: 'htpasswd', users: [{ username: 'alice', password: 's3cret' }] });
  t.after(() => reg.stop());
  const anon = await get(`${reg.url}/v2/`);
  assert.equal(anon.status, 401);
  assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic /);
  const ok = await get(`${reg.url}/v2/`, { authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` });
  assert.equal(ok.status, 200);
  const bad = await get(`${reg.url}/v2/`, { authorization: `Basic ${Buffer.from('alice:wrong').toString('base64')}` });
  assert.equal(bad.status, 401);
});

test('startRegistry with token auth: tokens honour repeated scopes and the per-user policy', async (t) => {
  const reg = await startRegistry({
    auth: 'token',
    users: [
      { username: 'writer', password: 'w' },
      { username: 'reader', password: 'r', actions: ['pull'] },
    ],
  });
  t.after(() => reg.stop());
  const ts = reg.tokenServer!;
  const ch = await get(`${reg.url}/v2/x/manifests/latest`);
  assert.equal(ch.status, 401);
  assert.match(ch.headers.get('www-authenticate') ?? '', /Bearer realm=.*scope="repository:x:pull"/);
  const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
  const tok = await get(`${ts.realm}?service=${ts.service}&scope=repository:a:pull,push&scope=repository:b:pull`, basic('reader', 'r'));
  assert.equal(tok.status, 200);
  const claims = decodeJwtClaims(JSON.parse(tok.body).token as string);
  assert.equal(claims.aud, 'test-registry');
  assert.deepEqual(claims.access, [
    { type: 'repository', name: 'a', actions: ['pull'] },
    { type: 'repository', name: 'b', actions: ['pull'] },
  ]);
  // The registry accepts the token (unknown manifest → 404, not 401).
  const withTok = await get(`${reg.url}/v2/a/manifests/latest`, { authorization: `Bearer ${JSON.parse(tok.body).token}` });
  assert.equal(withTok.status, 404);
  assert.equal((await get(`${ts.realm}?service=${ts.service}`, basic('reader', 'nope'))).status, 401);
});
