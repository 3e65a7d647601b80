import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOcmError } from '../../runtime/errors.js';
import { DEFAULT_OCI_HOSTS, hostMatches, ociPath, parseHelperUri } from './uri.js';

test('OCI API paths are recognised, with multi-segment repositories; other paths are not', () => {
  const table: [string, { repository: string; op: string } | undefined][] = [
    ['/v2/library/hello-world/blobs/sha256:abc', { repository: 'library/hello-world', op: 'blobs' }],
    ['/v2/org/team/img/manifests/v1', { repository: 'org/team/img', op: 'manifests' }],
    ['/v2/app/tags/list', { repository: 'app', op: 'tags' }],
    ['/v2/a/b/referrers/sha256:abc', { repository: 'a/b', op: 'referrers' }],
    ['/v2/a/b/blobs/uploads/', { repository: 'a/b', op: 'uploads' }],
    ['/v2/a/b/blobs/uploads/0a1b-uuid', { repository: 'a/b', op: 'uploads' }],
    ['/v2/', { repository: '', op: 'ping' }],
    ['/v2', { repository: '', op: 'ping' }],
    ['/v2/UPPER/blobs/sha256:abc', undefined],
    ['/v2/a/things/x', undefined],
    ['/v2/blobs/sha256:abc', undefined],
    ['/v1/a/blobs/x', undefined],
    ['/download/v2/a/blobs/x', undefined],
    ['/v2/a/manifests/', undefined],
  ];
  for (const [path, want] of table) assert.deepEqual(ociPath(path), want, path);
});

test('host patterns match parsed hostname and port only, never substrings', () => {
  const p = (uri: string) => parseHelperUri(uri);
  const table: [string, string, boolean][] = [
    ['ghcr.io', 'https://ghcr.io/v2/a/blobs/x', true],
    ['ghcr.io', 'https://GHCR.IO/v2/a/blobs/x', true], // URL lower-cases hosts
    ['ghcr.io', 'https://ghcr.io:443/v2/a/blobs/x', true], // default port dropped by URL
    ['ghcr.io', 'https://ghcr.io.evil.net/v2/a/blobs/x', false],
    ['ghcr.io', 'https://evil-ghcr.io/v2/a/blobs/x', false],
    ['ghcr.io', 'https://ghcr.io:444/v2/a/blobs/x', false],
    ['ghcr.io', 'https://ghcr.io./v2/a/blobs/x', false], // trailing dot: a different string, refused
    ['ghcr.io', 'https://ghсr.io/v2/a/blobs/x', false], // Cyrillic с → punycode
    ['ghcr.io:444', 'https://ghcr.io:444/v2/a/blobs/x', true],
    ['*.azurecr.io', 'https://me.azurecr.io/v2/a/blobs/x', true],
    ['*.azurecr.io', 'https://a.b.azurecr.io/v2/a/blobs/x', true],
    ['*.azurecr.io', 'https://azurecr.io/v2/a/blobs/x', false],
    ['*.azurecr.io', 'https://evilazurecr.io/v2/a/blobs/x', false],
    ['*.azurecr.io', 'https://me.azurecr.io.evil.net/v2/a/blobs/x', false],
    ['127.0.0.1:5000', 'http://127.0.0.1:5000/v2/a/blobs/x', true],
    ['127.0.0.1', 'http://127.0.0.1:5000/v2/a/blobs/x', false],
  ];
  for (const [pattern, uri, want] of table) assert.equal(hostMatches(pattern, p(uri)), want, `${pattern} vs ${uri}`);
  assert.equal(parseHelperUri('https://ghсr.io/x').hostname.startsWith('xn--'), true);
  assert.ok(!DEFAULT_OCI_HOSTS.some((h) => hostMatches(h, p('https://ghcr.io.evil.net/v2/a/blobs/x'))));
});

test('URIs with user information, other schemes or no host are refused with one line', () => {
  const table: [string, RegExp][] = [
    ['https://user@ghcr.io/v2/a/blobs/x', /user information/],
    ['https://user:pw@ghcr.io/v2/a/blobs/x', /user information/],
    ['grpcs://remote.example/build.bazel.remote.execution.v2.Execution/Execute', /scheme "grpcs" is not supported/],
    ['not a url', /not a valid URL/],
    ['', /has no "uri"/],
  ];
  for (const [uri, re] of table) {
    assert.throws(() => parseHelperUri(uri), (e: unknown) => isOcmError(e) && re.test(e.message) && !e.message.includes('\n') && !e.message.includes('pw'), uri);
  }
});
