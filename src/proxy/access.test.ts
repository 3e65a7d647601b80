import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccessControl, generateToken, hashToken, matchRepository, parseTokenHash, presentedToken } from './access.js';
import type { Connector, ProxyAction, ProxyPrincipal } from './types.js';

test('repository globs: * is one segment, ** any depth, everything else exact; invalid names never match', () => {
  const cases: [string, string, boolean][] = [
    ['team-a/**', 'team-a/app', true],
    ['team-a/**', 'team-a/x/y/z', true],
    ['team-a/**', 'team-a', true],
    ['team-a/**', 'team-ab/app', false],
    ['team-a/*', 'team-a/app', true],
    ['team-a/*', 'team-a/x/app', false],
    ['team-a/*/app', 'team-a/x/app', true],
    ['team-a/app-*', 'team-a/app-web', true],
    ['team-a/app-*', 'team-a/web', false],
    ['**', 'anything/at/all', true],
    ['library/nginx', 'library/nginx', true],
    ['library/nginx', 'library/nginx2', false],
    ['library/nginx', 'Library/nginx', false],
    ['team-a/**', 'team-a/../team-b/app', false],
    ['team-a/**', 'team-a//app', false],
    ['team-a/**', 'team-a/./app', false],
    ['team-a/**', 'team-a/App', false],
    ['**', '', false],
    ['team-a/**', '/team-a/app', false],
    ['a.b/*', 'aXb/c', false],
  ];
  for (const [glob, repo, want] of cases) assert.equal(matchRepository(glob, repo), want, `${glob} vs ${repo}`);
});

test('presented token: Basic password (any user name) or Bearer; malformed → undefined; none → null', () => {
  const b = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  const cases: [string | undefined, string | null | undefined][] = [
    [undefined, null],
    ['', null],
    [b('ci:tok'), 'tok'],
    [b('u:tok:with:colons'), 'tok:with:colons'],
    [b(':tok'), 'tok'],
    [b('ci:'), undefined],
    [b('nocolon'), undefined],
    ['Bearer tok', 'tok'],
    ['bearer tok', 'tok'],
    ['Digest abc', undefined],
    ['Bearer', undefined],
    [`Bearer ${'x'.repeat(5000)}`, undefined],
  ];
  for (const [h, want] of cases) assert.equal(presentedToken(h), want, String(h));
});

const connector = (name: string, access: Connector['access']): Connector => ({
  name,
  address: 'https://r.example',
  upstream: { scheme: 'https', host: 'r.example' },
  upstreamIdentity: null,
  access,
});

test('authenticate: sha256 of the token against every client; wrong token → undefined; no credentials → anonymous', () => {
  const tCi = generateToken();
  const tOps = generateToken();
  assert.match(tCi, /^[A-Za-z0-9_-]{43}$/);
  const ac = createAccessControl({
    clients: [
      { name: 'ci', tokenSha256: parseTokenHash(hashToken(tCi))! },
      { name: 'ops', tokenSha256: parseTokenHash(hashToken(tOps))! },
    ],
  });
  assert.equal(ac.authRequired, true);
  assert.deepEqual(ac.authenticate(`Basic ${Buffer.from(`whoever:${tCi}`).toString('base64')}`), { kind: 'client', name: 'ci' });
  assert.deepEqual(ac.authenticate(`Bearer ${tOps}`), { kind: 'client', name: 'ops' });
  assert.equal(ac.authenticate(`Bearer ${tOps}x`), undefined);
  assert.equal(ac.authenticate('Bearer '), undefined);
  assert.deepEqual(ac.authenticate(undefined), { kind: 'anonymous' });
  assert.equal(ac.challenge(), 'Basic realm="ocm-proxy"');
});

test('open mode (no clients): any credentials count as anonymous, auth not required', () => {
  const ac = createAccessControl({ clients: [] });
  assert.equal(ac.authRequired, false);
  assert.deepEqual(ac.authenticate('Basic Zm9vOmJhcg=='), { kind: 'anonymous' });
});

test('a rule granting anonymous makes client auth optional (the proxy must stay on loopback)', () => {
  const ac = createAccessControl({ clients: [{ name: 'ci', tokenSha256: Buffer.alloc(32) }], anonymousGranted: true });
  assert.equal(ac.authRequired, false);
});

test('authorize: per connector, per client, per action, per repository glob', () => {
  const ac = createAccessControl({ clients: [] });
  const a = connector('a', [
    { clients: ['ci'], repositories: ['team-a/**'], actions: ['pull', 'push'] },
    { clients: ['*'], repositories: ['public/*'], actions: ['pull'] },
    { clients: ['anonymous'], repositories: ['open/**'], actions: ['pull'] },
  ]);
  const b = connector('b', [{ clients: ['ops'], repositories: ['**'], actions: ['pull', 'push', 'delete'] }]);
  const ci: ProxyPrincipal = { kind: 'client', name: 'ci' };
  const ops: ProxyPrincipal = { kind: 'client', name: 'ops' };
  const anon: ProxyPrincipal = { kind: 'anonymous' };
  const cases: [ProxyPrincipal, Connector, string, ProxyAction, boolean][] = [
    [ci, a, 'team-a/app', 'pull', true],
    [ci, a, 'team-a/app', 'push', true],
    [ci, a, 'team-a/app', 'delete', false],
    [ci, a, 'team-b/app', 'pull', false],
    [ci, a, 'public/x', 'pull', true],
    [ci, a, 'public/x', 'push', false],
    [ops, a, 'team-a/app', 'pull', false],
    [ops, a, 'public/x', 'pull', true],
    [anon, a, 'public/x', 'pull', false],
    [anon, a, 'open/x/y', 'pull', true],
    [ci, b, 'team-a/app', 'pull', false],
    [ops, b, 'x', 'delete', true],
    [ci, a, 'team-a/../secret', 'pull', false],
  ];
  for (const [who, c, repo, action, want] of cases) assert.equal(ac.authorize(who, c, repo, action), want, `${JSON.stringify(who)} ${c.name} ${repo} ${action}`);
});
