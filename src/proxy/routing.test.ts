import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionFor, mountSource, route } from './routing.js';
import { mountQuery } from './forward.js';
import { redactedQuery, rewriteLink, toProxyUrl, upstreamQuery } from './rewrite.js';
import { testConnector, testState } from '../testing/proxy-fixture.js';

const D = `sha256:${'a'.repeat(64)}`;
const state = testState([testConnector('a', 'http://127.0.0.1:5001'), testConnector('b', 'https://ghcr.io')]).current();

test('route: shared-listener paths, ns and dedicated listeners map to connector + upstream repository', () => {
  const cases: { path: string; opts?: { dedicated?: string; ns?: string }; want: string }[] = [
    { path: '/v2/', want: 'ping' },
    { path: '/v2', want: 'ping' },
    { path: '/v2/_catalog', want: 'unsupported' },
    { path: '/v2/a/team/app/manifests/v1', want: 'a team/app manifest prefix' },
    { path: `/v2/a/app/manifests/${D}`, want: 'a app manifest prefix' },
    { path: `/v2/a/app/blobs/${D}`, want: 'a app blob prefix' },
    { path: '/v2/a/app/blobs/uploads/', want: 'a app upload-start prefix' },
    { path: '/v2/a/app/blobs/uploads/0f3e-9a', want: 'a app upload prefix' },
    { path: '/v2/a/app/tags/list', want: 'a app tags prefix' },
    { path: `/v2/a/app/referrers/${D}`, want: 'a app referrers prefix' },
    // A repository whose components look like endpoints: the shortest name wins, as in distribution.
    { path: `/v2/a/blobs/blobs/${D}`, want: 'a blobs blob prefix' },
    { path: '/v2/team/app/manifests/v1', opts: { dedicated: 'a' }, want: 'a team/app manifest root' },
    { path: '/v2/library/alpine/manifests/3', opts: { ns: 'ghcr.io' }, want: 'b library/alpine manifest ns' },
    { path: '/v2/library/alpine/manifests/3', opts: { ns: 'GHCR.IO' }, want: 'b library/alpine manifest ns' },
    // Refusals: unknown connector/ns (never contacted), lookalike hosts, bad names, traversal, encoding.
    { path: '/v2/c/app/manifests/v1', want: 'error 404 NAME_UNKNOWN' },
    { path: '/v2/app/manifests/v1', want: 'error 404 NAME_UNKNOWN' },
    { path: '/v2/x/manifests/v1', opts: { ns: 'evil.example.com' }, want: 'error 404 NAME_UNKNOWN' },
    { path: '/v2/x/manifests/v1', opts: { ns: 'ghcr.io.evil.net' }, want: 'error 404 NAME_UNKNOWN' },
    { path: '/v2/x/manifests/v1', opts: { ns: '127.0.0.1:5002' }, want: 'error 404 NAME_UNKNOWN' },
    { path: '/v2/x/manifests/v1', opts: { dedicated: 'gone' }, want: 'error 404 NAME_UNKNOWN' },
    { path: '/v2/a/App/manifests/v1', want: 'error 400 NAME_INVALID' },
    { path: '/v2/a/../b/app/manifests/v1', want: 'error 400 NAME_INVALID' },
    { path: '/v2/a/%2e%2e/app/manifests/v1', want: 'error 400 NAME_INVALID' },
    { path: '/v2/a//app/manifests/v1', want: 'error 400 NAME_INVALID' },
    { path: '/v2/a/app/manifests/-bad', want: 'error 400 MANIFEST_INVALID' },
    { path: '/v2/a/app/blobs/notadigest', want: 'error 400 DIGEST_INVALID' },
    { path: '/v2/a/app/blobs/uploads/a%2fb', want: 'error 400 NAME_INVALID' },
    { path: '/v2/a/app/other', want: 'error 404 NOT_FOUND' },
    { path: '/metrics2', want: 'error 404 NOT_FOUND' },
  ];
  for (const c of cases) {
    const r = route(c.path, state, c.opts);
    const got =
      r.kind === 'api'
        ? `${r.connector.name} ${r.repository} ${r.endpoint.kind} ${r.addressing.kind}`
        : r.kind === 'error'
          ? `error ${r.status} ${r.code}`
          : r.kind;
    assert.equal(got, c.want, c.path);
  }
});

test('actionFor: reads pull, uploads push, DELETE delete; methods an endpoint does not have are refused', () => {
  const cases: [string, Parameters<typeof actionFor>[1], string | undefined][] = [
    ['GET', { kind: 'manifest', reference: 'v1' }, 'pull'],
    ['HEAD', { kind: 'blob', digest: D }, 'pull'],
    ['PUT', { kind: 'manifest', reference: 'v1' }, 'push'],
    ['DELETE', { kind: 'manifest', reference: D }, 'delete'],
    ['DELETE', { kind: 'blob', digest: D }, 'delete'],
    ['POST', { kind: 'upload-start' }, 'push'],
    ['PATCH', { kind: 'upload', session: 'x' }, 'push'],
    ['PUT', { kind: 'upload', session: 'x' }, 'push'],
    ['GET', { kind: 'upload', session: 'x' }, 'push'],
    ['GET', { kind: 'tags' }, 'pull'],
    ['PUT', { kind: 'blob', digest: D }, undefined],
    ['POST', { kind: 'tags' }, undefined],
    ['PATCH', { kind: 'manifest', reference: 'v1' }, undefined],
  ];
  for (const [m, e, want] of cases) assert.equal(actionFor(m, e), want, `${m} ${e.kind}`);
});

test('mount: a source in the same connector is rewritten to the upstream name; others are dropped (plain upload)', () => {
  const a = state.connectors.get('a')!;
  assert.equal(mountSource('a/other', a, { kind: 'prefix' }), 'other');
  assert.equal(mountSource('b/other', a, { kind: 'prefix' }), undefined);
  assert.equal(mountSource('other', a, { kind: 'prefix' }), undefined);
  assert.equal(mountSource('other', a, { kind: 'root' }), 'other');
  const ok = (f: string) => mountSource(f, a, { kind: 'prefix' });
  assert.deepEqual(mountQuery(`?mount=${D}&from=a%2Fteam%2Fsrc`, ok), { query: `?mount=${D}&from=team/src`, from: 'team/src' });
  assert.deepEqual(mountQuery(`?mount=${D}&from=b/src`, ok), { query: '' });
  assert.deepEqual(mountQuery(`?mount=${D}&from=a/src&x=1`, () => undefined), { query: '?x=1' });
});

test('rewrite: upstream Location/Link become proxy paths; query kept byte for byte; other origins are not exposed', () => {
  const up = 'http://127.0.0.1:5001';
  const prefix = { upstreamOrigin: up, responseUrl: `${up}/v2/app/blobs/uploads/`, connectorName: 'a', addressing: { kind: 'prefix' } as const };
  const state = '_state=AbC%2B%2F%3D%3D&x=1';
  assert.equal(toProxyUrl(`${up}/v2/app/blobs/uploads/u1?${state}`, prefix), `/v2/a/app/blobs/uploads/u1?${state}`);
  assert.equal(toProxyUrl(`/v2/app/blobs/${D}`, prefix), `/v2/a/app/blobs/${D}`);
  assert.equal(toProxyUrl(`/v2/app/blobs/${D}`, { ...prefix, addressing: { kind: 'root' } }), `/v2/app/blobs/${D}`);
  assert.equal(toProxyUrl(`/v2/app/blobs/uploads/u?${state}`, { ...prefix, addressing: { kind: 'ns', ns: 'r.io' } }), `/v2/app/blobs/uploads/u?${state}&ns=r.io`);
  assert.equal(toProxyUrl('http://127.0.0.1:9/v2/app/blobs/x', prefix), undefined);
  assert.equal(toProxyUrl('https://s3.example.com/bucket/blob?X-Amz-Signature=s', prefix), undefined);
  assert.equal(toProxyUrl(`${up}/other`, prefix), undefined);
  assert.equal(
    rewriteLink('</v2/app/tags/list?n=2&last=b>; rel="next"', prefix),
    '</v2/a/app/tags/list?n=2&last=b>; rel="next"',
  );
  assert.equal(rewriteLink('<https://evil.example/v2/x>; rel="next"', prefix), undefined);
  assert.equal(upstreamQuery('?ns=r.io&n=2'), '?n=2');
  assert.equal(upstreamQuery('?ns=r.io'), '');
  assert.equal(upstreamQuery(''), '');
  assert.equal(redactedQuery('?_state=secret&digest=sha256:x'), '?_state=…&digest=…');
});
