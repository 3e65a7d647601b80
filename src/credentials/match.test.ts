import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { conformance } from '../testing/fixtures.js';
import { identityString, matchIdentity, mismatch, pathMatch } from './match.js';

interface Case {
  name: string;
  request: Record<string, string>;
  configured: Record<string, string>;
  expected: boolean;
}
const table = JSON.parse(readFileSync(conformance('ocm-config/identity-match-cases.json'), 'utf8')) as Record<string, Case[]>;

for (const section of ['urlMatcherCases', 'pathMatcherCases', 'fullMatchCases']) {
  test(`matcher agrees with Go on ${section}`, async (t) => {
    assert.ok((table[section] ?? []).length > 0);
    for (const c of table[section]!) {
      await t.test(c.name, () => {
        assert.equal(matchIdentity(c.request, c.configured), c.expected);
        assert.equal(mismatch(c.request, c.configured) === undefined, c.expected, 'explain agrees with the matcher');
      });
    }
  });
}

test('path globs follow Go path.Match', () => {
  const rows: [string, string, boolean][] = [
    ['*', '', true], // a configured "*" also matches lookups without path
    ['*', 'a/b', false],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['[a-c]x', 'bx', true],
    ['[^a-c]x', 'bx', false],
    ['[^a-c]x', 'dx', true],
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
    ['[', '[', false], // malformed pattern: no match
    ['a[', 'a[', false],
    ['my-org/*', 'my-org/x', true],
    ['my.org/x', 'myXorg/x', false], // regex meta characters are literal
    ['(a|b)', 'a', false],
  ];
  for (const [p, n, want] of rows) assert.equal(pathMatch(p, n), want, `${p} vs ${n}`);
});

test('a lookup without path does not match a configured literal path but matches "*"', () => {
  const lookup = { type: 'OCIRegistry', hostname: 'quay.io' };
  assert.equal(matchIdentity(lookup, { ...lookup, path: 'some-owner/*' }), false);
  assert.equal(matchIdentity(lookup, { ...lookup, path: '*' }), true);
});

test('type is compared exactly, versions are not normalised', () => {
  assert.equal(matchIdentity({ type: 'OCIRegistry', hostname: 'h' }, { type: 'OCIRegistry/v1', hostname: 'h' }), false);
});

test('extra attributes on either side prevent a match (no subset semantics)', () => {
  const id = { type: 'OCIRegistry', hostname: 'ghcr.io' };
  assert.equal(matchIdentity(id, { ...id, pathprefix: 'org' }), false);
  assert.equal(matchIdentity({ ...id, algorithm: 'x' }, id), false);
});

test('hostnames are compared as strings: no docker.io alias, no case folding, no suffix match', () => {
  const c = { type: 'OCIRegistry', hostname: 'example.com' };
  for (const h of ['index.docker.io', 'EXAMPLE.com', 'evil-example.com', 'example.com.evil.net']) {
    assert.equal(matchIdentity({ type: 'OCIRegistry', hostname: h }, c), false, h);
  }
  assert.equal(matchIdentity({ type: 'OCIRegistry', hostname: 'docker.io' }, { type: 'OCIRegistry', hostname: 'index.docker.io' }), false);
});

test('identity strings are Go Identity.String(): sorted k=v joined by commas', () => {
  assert.equal(identityString({ type: 'OCIRegistry', hostname: 'ghcr.io', path: 'a' }), 'hostname=ghcr.io,path=a,type=OCIRegistry');
});
