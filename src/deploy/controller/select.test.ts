import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectVersion, type SelectInput } from './select.js';

const V = ['0.9.0', '1.0.0', '1.1.0', '1.2.0-rc.1', '1.2.0', '2.0.0', 'latest', 'v1.3.0-hotfix'];

test('selectVersion: constraint, semverFilter (before the constraint), downgrade policy, nothing allowed', () => {
  const rows: { name: string; in: Partial<Omit<SelectInput, 'semverFilter'>> & { semverFilter?: string }; candidates: string[]; upToDate?: boolean; rejected?: string[]; nothing?: RegExp }[] = [
    { name: 'no constraint: newest first, non-semver ignored', in: {}, candidates: ['2.0.0', 'v1.3.0-hotfix', '1.2.0', '1.2.0-rc.1', '1.1.0', '1.0.0', '0.9.0'] },
    { name: 'constraint excludes 2.0.0 and prereleases', in: { semver: '>=1.0.0 <2.0.0' }, candidates: ['1.2.0', '1.1.0', '1.0.0'], rejected: ['2.0.0: outside constraint >=1.0.0 <2.0.0', 'v1.3.0-hotfix: outside constraint >=1.0.0 <2.0.0'] },
    { name: 'upgrade from current: only newer candidates', in: { semver: '^1', current: '1.0.0' }, candidates: ['1.2.0', '1.1.0'], rejected: ['2.0.0: outside constraint ^1', 'v1.3.0-hotfix: outside constraint ^1'] },
    { name: 'up to date', in: { semver: '~1.1', current: '1.1.0' }, candidates: [], upToDate: true, rejected: ['1.2.0: outside constraint ~1.1', '2.0.0: outside constraint ~1.1', 'v1.3.0-hotfix: outside constraint ~1.1', '1.2.0-rc.1: outside constraint ~1.1'].sort() },
    { name: 'Deny: newest allowed is below current → nothing, recorded', in: { semver: '<1.1.0', current: '1.2.0' }, candidates: [], rejected: ['2.0.0: outside constraint <1.1.0', 'v1.3.0-hotfix: outside constraint <1.1.0', '1.0.0: downgrade from 1.2.0 denied (downgradePolicy: Deny)'] },
    { name: 'Allow: downgrade to newest allowed', in: { semver: '<1.1.0', current: '1.2.0', downgradePolicy: 'Allow' }, candidates: ['1.0.0', '0.9.0'] },
    { name: 'Allow with a newer candidate: never below current', in: { semver: '^1', current: '1.1.0', downgradePolicy: 'Allow' }, candidates: ['1.2.0'] },
    { name: 'semverFilter before the constraint: excludes 1.2.0 (Go ignores it)', in: { semver: '^1', semverFilter: '^1\\.[01]\\.' }, candidates: ['1.1.0', '1.0.0'] },
    { name: 'semverFilter alone admits a prerelease the constraint would not', in: { semverFilter: '-rc\\.' }, candidates: ['1.2.0-rc.1'] },
    { name: 'pinned version', in: { semver: '1.1.0' }, candidates: ['1.1.0'] },
    { name: 'nothing allowed', in: { semver: '>=3' }, candidates: [], nothing: /no version matches semver >=3 \(newest seen: 2\.0\.0, v1\.3\.0-hotfix/ },
    { name: 'nothing allowed by the filter', in: { semverFilter: '^9' }, candidates: [], nothing: /semverFilter \^9/ },
    { name: 'no versions at all', in: { versions: [] }, candidates: [], nothing: /newest seen: none/ },
  ];
  for (const r of rows) {
    const { semverFilter, ...rest } = r.in;
    const input: SelectInput = { versions: V, downgradePolicy: 'Deny', ...rest, ...(semverFilter !== undefined ? { semverFilter: new RegExp(semverFilter) } : {}) };
    const s = selectVersion(input);
    assert.deepEqual(s.candidates, r.candidates, r.name);
    assert.equal(s.upToDate, r.upToDate ?? false, r.name);
    if (r.rejected) {
      const got = s.rejected.map((x) => `${x.version}: ${x.reason}`);
      assert.deepEqual(r.name === 'up to date' ? got.sort() : got, r.rejected, r.name);
    }
    if (r.nothing) assert.match(s.nothingAllowed ?? '', r.nothing, r.name);
    else assert.equal(s.nothingAllowed, undefined, r.name);
  }
});
