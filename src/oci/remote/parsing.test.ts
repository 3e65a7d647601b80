import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOcmError } from '../../runtime/errors.js';
import { mergeScopes, parseChallenges } from './auth.js';
import { redact, retryAfterMs } from './http.js';
import { parseImageReference, parseOciReference } from './reference.js';
import { nextLink } from './repository.js';

test('WWW-Authenticate challenges are parsed (quoted values, escapes, several scopes, several challenges)', () => {
  const cases: [string[], unknown][] = [
    [['Basic realm="basic-realm"'], [{ scheme: 'basic', params: { realm: 'basic-realm' } }]],
    [
      ['Bearer realm="http://127.0.0.1:5080/token",service="test-registry",scope="repository:a/b:pull,push repository:c:pull",error="insufficient_scope"'],
      [{ scheme: 'bearer', params: { realm: 'http://127.0.0.1:5080/token', service: 'test-registry', scope: 'repository:a/b:pull,push repository:c:pull', error: 'insufficient_scope' } }],
    ],
    [['bearer Realm = "r\\"q" , service=svc'], [{ scheme: 'bearer', params: { realm: 'r"q', service: 'svc' } }]],
    [['Basic realm="x", Bearer realm="y"'], [{ scheme: 'basic', params: { realm: 'x' } }, { scheme: 'bearer', params: { realm: 'y' } }]],
    [['Basic realm="x"', 'Bearer realm="y"'], [{ scheme: 'basic', params: { realm: 'x' } }, { scheme: 'bearer', params: { realm: 'y' } }]],
  ];
  for (const [input, want] of cases) assert.deepEqual(parseChallenges(input), want, input.join(' | '));
});

test('scopes for the same resource are merged; host:port names survive', () => {
  assert.deepEqual(mergeScopes(['repository:a:pull', 'repository:a:push', 'repository:h:5000/x:pull']), ['repository:a:pull,push', 'repository:h:5000/x:pull']);
});

test('registry references choose HTTP only when written, for loopback, or with plainHttp', () => {
  const cases: [string, boolean, unknown][] = [
    ['http://127.0.0.1:5000/prefix', false, { scheme: 'http', host: '127.0.0.1:5000', path: 'prefix', explicitScheme: true }],
    ['127.0.0.1:5000/a/b', false, { scheme: 'http', host: '127.0.0.1:5000', path: 'a/b', explicitScheme: false }],
    ['localhost:5000', false, { scheme: 'http', host: 'localhost:5000', path: '', explicitScheme: false }],
    ['ghcr.io/acme/', false, { scheme: 'https', host: 'ghcr.io', path: 'acme', explicitScheme: false }],
    ['ghcr.io/acme', true, { scheme: 'http', host: 'ghcr.io', path: 'acme', explicitScheme: false }],
    ['oci://ghcr.io/acme', false, { scheme: 'https', host: 'ghcr.io', path: 'acme', explicitScheme: false }],
    ['http://registry.example:8080', false, { scheme: 'http', host: 'registry.example:8080', path: '', explicitScheme: true }],
  ];
  for (const [text, plainHttp, want] of cases) assert.deepEqual(parseOciReference(text, { plainHttp }), want, text);
  for (const bad of ['ftp://x/y', 'ho st/x', '']) assert.throws(() => parseOciReference(bad), (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT'), bad);
});

test('image references: host, repository, tag, digest, Docker Hub short names', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  const cases: [string, unknown][] = [
    ['127.0.0.1:5000/img/hello:v1', { scheme: 'http', host: '127.0.0.1:5000', repository: 'img/hello', tag: 'v1' }],
    [`ghcr.io/acme/app@${d}`, { scheme: 'https', host: 'ghcr.io', repository: 'acme/app', digest: d }],
    [`ghcr.io/acme/app:1.0@${d}`, { scheme: 'https', host: 'ghcr.io', repository: 'acme/app', tag: '1.0', digest: d }],
    ['nginx:1.25', { scheme: 'https', host: 'docker.io', repository: 'library/nginx', tag: '1.25' }],
    ['bitnami/redis', { scheme: 'https', host: 'docker.io', repository: 'bitnami/redis', tag: 'latest' }],
    ['localhost/x:y', { scheme: 'http', host: 'localhost', repository: 'x', tag: 'y' }],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseImageReference(text), want, text);
  for (const bad of ['ghcr.io/acme/app:bad tag', 'ghcr.io/acme/app@sha256:xyz', 'gopher://a/b']) {
    assert.throws(() => parseImageReference(bad), (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT'), bad);
  }
});

test('Link headers, Retry-After values and URL redaction', () => {
  assert.equal(nextLink('</v2/x/tags/list?last=b&n=2>; rel="next"', 'http://h:1/v2/x/tags/list?n=2'), 'http://h:1/v2/x/tags/list?last=b&n=2');
  assert.equal(nextLink(undefined, 'http://h'), undefined);
  assert.equal(retryAfterMs('3'), 3000);
  assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
  assert.equal(retryAfterMs('soon'), undefined);
  assert.equal(redact('http://h:1/v2/x/blobs/uploads/abc?_state=secret&digest=sha256:1'), 'http://h:1/v2/x/blobs/uploads/abc');
});
