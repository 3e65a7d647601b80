import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesSelector, parseLabelSelector } from './kube-selector.js';

test('the fake API server filters LISTs by label selectors as Kubernetes does', () => {
  const labels = { app: 'web', tier: 'front', 'applyset.kubernetes.io/part-of': 'applyset-x-v1' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app', true],
    ['!app', false],
    ['missing', false],
    ['!missing', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['applyset.kubernetes.io/part-of=applyset-x-v1', true],
    ['tier in (back, front)', true],
    ['tier in (back)', false],
    ['tier notin (back)', true],
    ['missing notin (x)', true],
    ['app=web,tier in (a,front),!gone', true],
    ['app=web,tier=back', false],
  ];
  for (const [sel, want] of cases) assert.equal(matchesSelector(labels, parseLabelSelector(sel)), want, sel);
  assert.throws(() => parseLabelSelector('a=(b'), /unable to parse requirement/);
});
