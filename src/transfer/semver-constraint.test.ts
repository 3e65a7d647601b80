import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOcmError } from '../runtime/errors.js';
import { compareSemVer, parseSemVer, parseSemverConstraint } from './semver-constraint.js';
import { selectVersions } from './select.js';

// [constraint, version, matches]: the tables of Masterminds/semver v3 constraints_test.go
// (TestConstraintCheck, TestConstraintsCheck), which Go v2's --semver-constraint uses.
const MASTERMINDS: [string, string, boolean][] = [
  ['=2.0.0', '1.2.3', false], ['=2.0.0', '2.0.0', true], ['=2.0', '1.2.3', false], ['=2.0', '2.0.0', true], ['=2.0', '2.0.1', true],
  ['4.1', '4.1.0', true], ['!=4.1.0', '4.1.0', false], ['!=4.1.0', '4.1.1', true], ['!=4.1', '4.1.0', false], ['!=4.1', '4.1.1', false],
  ['!=4.1', '5.1.0-alpha.1', false], ['!=4.1-alpha', '4.1.0', true], ['!=4.1', '5.1.0', true],
  ['<11', '0.1.0', true], ['<11', '11.1.0', false], ['<1.1', '0.1.0', true], ['<1.1', '1.1.0', false], ['<1.1', '1.1.1', false],
  ['<=11', '1.2.3', true], ['<=11', '12.2.3', false], ['<=11', '11.2.3', true], ['<=1.1', '1.2.3', false], ['<=1.1', '0.1.0', true],
  ['<=1.1', '1.1.0', true], ['<=1.1', '1.1.1', true], ['>1.1', '4.1.0', true], ['>1.1', '1.1.0', false], ['>0', '0', false], ['>0', '1', true],
  ['>0', '0.0.1-alpha', false], ['>0.0', '0.0.1-alpha', false], ['>0-0', '0.0.1-alpha', false], ['>0.0-0', '0.0.1-alpha', false],
  ['>0', '0.0.0-alpha', false], ['>0-0', '0.0.0-alpha', false], ['>0.0.0-0', '0.0.0-alpha', true], ['>1.2.3-alpha.1', '1.2.3-alpha.2', true],
  ['>1.2.3-alpha.1', '1.3.3-alpha.2', true], ['>11', '11.1.0', false], ['>11.1', '11.1.0', false], ['>11.1', '11.1.1', false], ['>11.1', '11.2.1', true],
  ['>=11', '11.1.2', true], ['>=11.1', '11.1.2', true], ['>=11.1', '11.0.2', false], ['>=1.1', '4.1.0', true], ['>=1.1', '1.1.0', true],
  ['>=1.1', '0.0.9', false], ['>=0', '0.0.1-alpha', false], ['>=0.0', '0.0.1-alpha', false], ['>=0-0', '0.0.1-alpha', true],
  ['>=0.0-0', '0.0.1-alpha', true], ['>=0', '0.0.0-alpha', false], ['>=0-0', '0.0.0-alpha', true], ['>=0.0.0-0', '0.0.0-alpha', true],
  ['>=0.0.0-0', '1.2.3', true], ['>=0.0.0-0', '3.4.5-beta.1', true], ['<0', '0.0.0-alpha', false], ['<0-z', '0.0.0-alpha', true],
  ['>=0', '0', true], ['=0', '1', false], ['*', '1', true], ['*', '4.5.6', true], ['*', '1.2.3-alpha.1', false], ['*-0', '1.2.3-alpha.1', true],
  ['2.*', '1', false], ['2.*', '3.4.5', false], ['2.*', '2.1.1', true], ['2.1.*', '2.1.1', true], ['2.1.*', '2.2.1', false],
  ['2', '1', false], ['2', '3.4.5', false], ['2', '2.1.1', true], ['2.1', '2.1.1', true], ['2.1', '2.2.1', false],
  ['~1.2.3', '1.2.4', true], ['~1.2.3', '1.3.4', false], ['~1.2', '1.2.4', true], ['~1.2', '1.3.4', false], ['~1', '1.2.4', true], ['~1', '2.3.4', false],
  ['~0.2.3', '0.2.5', true], ['~0.2.3', '0.3.5', false], ['~1.2.3-beta.2', '1.2.3-beta.4', true], ['~1.2.3-beta.2', '1.2.4-beta.2', true],
  ['~1.2.3-beta.2', '1.3.4-beta.2', false], ['^1.2.3', '1.8.9', true], ['^1.2.3', '2.8.9', false], ['^1.2.3', '1.2.1', false], ['^1.1.0', '2.1.0', false],
  ['^1.2.0', '2.2.1', false], ['^1.2.0', '1.2.1-alpha.1', false], ['^1.2.0-alpha.0', '1.2.1-alpha.1', true], ['^1.2.0-alpha.0', '1.2.1-alpha.0', true],
  ['^1.2.0-alpha.2', '1.2.0-alpha.1', false], ['^1.2', '1.8.9', true], ['^1.2', '2.8.9', false], ['^1', '1.8.9', true], ['^1', '2.8.9', false],
  ['^0.2.3', '0.2.5', true], ['^0.2.3', '0.5.6', false], ['^0.2', '0.2.5', true], ['^0.2', '0.5.6', false], ['^0.0.3', '0.0.3', true], ['^0.0.3', '0.0.4', false],
  ['^0.0', '0.0.3', true], ['^0.0', '0.1.4', false], ['^0.0', '1.0.4', false], ['^0', '0.2.3', true], ['^0', '1.1.4', false],
  ['^0.2.3-beta.2', '0.2.3-beta.4', true], ['^0.2.3-beta.2', '0.2.4-beta.2', true], ['^0.2.3-beta.2', '0.3.4-beta.2', false], ['^0.2.3-beta.2', '0.2.3-beta.2', true],
  // TestConstraintsCheck (multi-constraint strings)
  ['*', '1.2.3', true], ['~0.0.0', '1.2.3', true], ['0.x.x', '1.2.3', false], ['0.0.x', '1.2.3', false], ['0.0.0', '1.2.3', false], ['^0.0.0', '1.2.3', false],
  ['= 2.0', '1.2.3', false], ['= 2.0', '2.0.0', true], ['4.1.x', '4.1.3', true], ['1.x', '1.4', true], ['!=4.1-alpha', '4.1.0-alpha', false],
  ['!=4.1-alpha', '4.1.1-alpha', false], ['!=4.x', '5.1.0', true], ['!=4.x', '4.1.0', false], ['!=4.1.x', '4.2.0', true], ['!=4.2.x', '4.2.3', false],
  ['<1.x', '1.1.1', false], ['<1.x', '0.1.1', true], ['<1.x', '2.0.0', false], ['<1.1.x', '1.2.1', false], ['<1.1.x', '1.1.500', false], ['<1.1.x', '1.0.500', true],
  ['<1.2.x', '1.1.1', true], ['>=1.1', '4.1.0-beta', false], ['<=1.1', '0.1.0-alpha', false], ['<=1.1-a', '0.1.0-alpha', true], ['<=1.x', '1.1.0', true],
  ['<=2.x', '3.0.0', false], ['<=1.1.x', '1.2.500', false], ['<=4.5', '3.4.0', true], ['<=4.5', '3.7.0', true], ['<=4.5', '4.6.3', false],
  ['>1.1, <2', '1.1.1', false], ['>1.1, <2', '1.2.1', true], ['>1.1, <3', '4.3.2', false], ['>=1.1, <2, !=1.2.3', '1.2.3', false],
  ['>1.1 <2', '1.1.1', false], ['>1.1 <2', '1.2.1', true], ['>1.1    <3', '4.3.2', false], ['>=1.1    <2    !=1.2.3', '1.2.3', false],
  ['>=1.1, <2, !=1.2.3 || > 3', '4.1.2', true], ['>=1.1, <2, !=1.2.3 || > 3', '3.1.2', false], ['>=1.1, <2, !=1.2.3 || >= 3', '3.0.0', true],
  ['>=1.1, <2, !=1.2.3 || > 3', '3.0.0', false], ['>=1.1, <2, !=1.2.3 || > 3', '1.2.3', false], ['>=1.1 <2 !=1.2.3 || > 3', '4.1.2', true],
  ['> 1.1, <     2', '1.1.1', false], ['>   1.1, <2', '1.2.1', true], ['>= 1.1, <     2, !=1.2.3', '1.2.3', false], ['> 1.1 < 2', '1.1.1', false],
  ['>= 1.1 <2 != 1.2.3 || >= 3', '3.0.0', true], ['>=1.1 < 2 !=1.2.3 || > 3', '1.2.3', false],
  ['1.1 - 2', '1.1.1', true], ['1.5.0 - 4.5', '3.7.0', true], ['1.1-3', '4.3.2', false], ['^1.1', '1.1.1', true], ['^1.1', '4.3.2', false],
  ['^1.x', '1.1.1', true], ['^2.x', '1.1.1', false], ['^1.x', '2.1.1', false], ['^1.x', '1.1.1-beta1', false], ['^1.1.2-alpha', '1.2.1-beta1', true],
  ['^1.2.x-alpha', '1.1.1-beta1', false], ['^0.0.1', '0.0.1', true], ['^0.0.1', '0.3.1', false], ['~*', '2.1.1', true], ['~1', '2.1.1', false],
  ['~1', '1.3.5', true], ['~1', '1.4', true], ['~1.x', '2.1.1', false], ['~1.x', '1.3.5', true], ['~1.x', '1.4', true], ['~1.1', '1.1.1', true],
  ['~1.1', '1.1.1-alpha', false], ['~1.1-alpha', '1.1.1-beta', true], ['~1.1.1-beta', '1.1.1-alpha', false], ['~1.1.1-beta', '1.1.1', true],
  ['~1.2.3', '1.2.5', true], ['~1.2.3', '1.2.2', false], ['~1.2.3', '1.3.2', false], ['~1.1', '1.2.3', false], ['~1.3', '2.4.5', false],
];

// v3.4 (#267, the version Go v2 uses): a prerelease in one constraint of an AND group admits prereleases for the whole group.
const GROUPS: [string, string, boolean][] = [
  ['>=1.0.0-0, <2.0.0', '1.5.0-rc.1', true],
  ['>=1.0.0, <2.0.0-0', '1.5.0-rc.1', true],
  ['>=1.0.0, <2.0.0', '1.5.0-rc.1', false],
  ['>=1.0.0-0 || <0.5', '0.4.0-rc.1', false],
  ['v1.2.x', 'v1.2.7', true],
  ['>= v1.0, < v2', '1.9.9', true],
  ['=>1.0 =<1.1', '1.1.9', true],
  ['~>1.2', '1.2.9', true],
  ['~>1.2', '1.3.0', false],
  ['>=1.0.0', 'latest', false],
];

test('semver constraints match as Masterminds/semver v3 (Go v2) does', () => {
  for (const [c, v, want] of [...MASTERMINDS, ...GROUPS]) assert.equal(parseSemverConstraint(c).matches(v), want, `"${c}" ~ ${v}`);
});

test('improper semver constraints are INVALID_ARGUMENT naming the part (TestNewConstraint)', () => {
  for (const ok of ['>= 1.1', '>40.50.60, < 50.70', '2.0', 'v2.3.5-20161202202307-sha.e8fc5e5', '>= 1.2.3 < 2.0 || => 3.0 < 4', '3 - 4 || => 3.0, < 4', '12.3.34 ~1.2.3']) {
    assert.doesNotThrow(() => parseSemverConstraint(ok), ok);
  }
  for (const bad of ['>= bar', 'BAR >= 1.2.3', '12.3.4.1234', '12.23.4.1234', '12.3.34~ 1.2.3', '', '>=1.0 ||', '1.2.3-01']) {
    assert.throws(() => parseSemverConstraint(bad), (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT') && (e as Error).message.includes(`"${bad}"`), bad);
  }
});

test('semver versions parse and sort as Masterminds NewVersion / Compare', () => {
  const cases: [string, [number, number, number, string] | undefined][] = [
    ['1.2.3', [1, 2, 3, '']], ['v1.2', [1, 2, 0, '']], ['1', [1, 0, 0, '']], ['1.2.3-rc.1+b.5', [1, 2, 3, 'rc.1']], ['01.2.3', [1, 2, 3, '']],
    ['1.2.3-01', undefined], ['latest', undefined], ['1.2.3.4', undefined], ['V1.0.0', undefined], ['1.x', undefined],
  ];
  for (const [text, want] of cases) {
    const v = parseSemVer(text);
    assert.deepEqual(v ? [v.major, v.minor, v.patch, v.pre] : undefined, want, text);
  }
  const order = ['0.9.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.10.0', '2.0.0'];
  const shuffled = [...order].reverse();
  assert.deepEqual(shuffled.sort((a, b) => compareSemVer(parseSemVer(a)!, parseSemVer(b)!)), order);
});

test('version selection: all, --latest, --semver-constraint and both', () => {
  const tags = ['1.0.0', '1.1.0', '1.2.0-rc.1', '1.10.0', '2.0.0', 'v2.1.0', 'latest', '0.9.0'];
  const cases: [{ latest?: boolean; semverConstraint?: string }, string[]][] = [
    [{}, ['latest', '0.9.0', '1.0.0', '1.1.0', '1.2.0-rc.1', '1.10.0', '2.0.0', 'v2.1.0']],
    [{ latest: true }, ['v2.1.0']],
    [{ semverConstraint: '^1' }, ['1.0.0', '1.1.0', '1.10.0']],
    [{ semverConstraint: '^1', latest: true }, ['1.10.0']],
    [{ semverConstraint: '>=1.2.0-0, <2' }, ['1.2.0-rc.1', '1.10.0']],
    [{ semverConstraint: '~1.1 || >=2.1' }, ['1.1.0', 'v2.1.0']],
    [{ semverConstraint: '1.0.0 - 1.1' }, ['1.0.0', '1.1.0']],
    [{ semverConstraint: '*', latest: true }, ['v2.1.0']],
  ];
  for (const [sel, want] of cases) assert.deepEqual(selectVersions('acme.org/app', tags, sel, 'ctf'), want, JSON.stringify(sel));
  assert.throws(
    () => selectVersions('acme.org/app', tags, { semverConstraint: '>=3' }, './ctf'),
    (e: unknown) =>
      isOcmError(e, 'NOT_FOUND') && /no version of acme\.org\/app in \.\/ctf matches semver constraint ">=3" \(versions seen: latest, 0\.9\.0, 1\.0\.0, .*v2\.1\.0\)/.test((e as Error).message),
  );
  assert.throws(() => selectVersions('acme.org/app', tags, { semverConstraint: '>= bar' }, 'ctf'), (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT'));
  assert.throws(() => selectVersions('acme.org/app', [], {}, 'ctf'), (e: unknown) => isOcmError(e, 'NOT_FOUND'));
});
