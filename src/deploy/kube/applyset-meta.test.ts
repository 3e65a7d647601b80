import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySetId, fieldDiff, formatChanges, groupKind, readiness } from './index.js';

test('applySetId matches the KEP-3659 formula (kubectl test vector)', () => {
  assert.equal(applySetId({ name: 'test-foo', namespace: 'test-ns', kind: 'Foo', group: 'foo.bar' }), 'applyset-f9Rk5tKHoB72oV1tU2iFKxDwL8MBZTjMHFQ8V9WNNlA-v1');
});

test('groupKind uses Kind for the core group and Kind.group otherwise', () => {
  for (const [apiVersion, kind, want] of [['v1', 'ConfigMap', 'ConfigMap'], ['apps/v1', 'Deployment', 'Deployment.apps'], ['example.com/v1beta1', 'Widget', 'Widget.example.com']] as const) {
    assert.equal(groupKind(apiVersion, kind), want);
  }
});

test('fieldDiff lists changed paths without values, ignoring server bookkeeping', () => {
  const cases: { name: string; before: unknown; after: unknown; want: string }[] = [
    { name: 'same', before: { a: 1 }, after: { a: 1 }, want: '' },
    { name: 'key order in list items', before: { l: [{ a: 1, b: 2 }] }, after: { l: [{ b: 2, a: 1 }] }, want: '' },
    { name: 'change', before: { spec: { replicas: 1 } }, after: { spec: { replicas: 2 } }, want: '~spec.replicas' },
    { name: 'add and remove', before: { data: { x: 's3cret' } }, after: { data: { y: 'n3w' } }, want: '-data.x +data.y' },
    { name: 'list as a whole', before: { c: [1, 2] }, after: { c: [1, 3] }, want: '~c' },
    { name: 'bookkeeping', before: { metadata: { resourceVersion: '1', managedFields: [1], generation: 1 }, status: { a: 1 } }, after: { metadata: { resourceVersion: '2', managedFields: [2], generation: 2 }, status: { a: 2 } }, want: '' },
  ];
  for (const c of cases) {
    const got = formatChanges(fieldDiff(c.before, c.after));
    assert.equal(got, c.want, c.name);
    assert.doesNotMatch(got, /s3cret|n3w/, c.name);
  }
});

test('readiness judges Deployments, StatefulSets and Jobs from status', () => {
  const cases: { name: string; obj: Record<string, unknown>; want: string }[] = [
    { name: 'deploy not observed', obj: { kind: 'Deployment', metadata: { generation: 2 }, spec: { replicas: 1 }, status: { observedGeneration: 1, updatedReplicas: 1, availableReplicas: 1 } }, want: 'pending' },
    { name: 'deploy partly available', obj: { kind: 'Deployment', metadata: { generation: 1 }, spec: { replicas: 3 }, status: { observedGeneration: 1, updatedReplicas: 3, availableReplicas: 2 } }, want: 'pending' },
    { name: 'deploy ready (default 1 replica)', obj: { kind: 'Deployment', metadata: { generation: 1 }, spec: {}, status: { observedGeneration: 1, updatedReplicas: 1, availableReplicas: 1 } }, want: 'ready' },
    { name: 'sts ready', obj: { kind: 'StatefulSet', metadata: { generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, readyReplicas: 2 } }, want: 'ready' },
    { name: 'sts pending', obj: { kind: 'StatefulSet', metadata: { generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, readyReplicas: 1 } }, want: 'pending' },
    { name: 'job succeeded', obj: { kind: 'Job', status: { succeeded: 1 } }, want: 'ready' },
    { name: 'job running', obj: { kind: 'Job', status: { active: 1 } }, want: 'pending' },
    { name: 'job failed', obj: { kind: 'Job', status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] } }, want: 'failed' },
    { name: 'other kinds', obj: { kind: 'ConfigMap' }, want: 'ready' },
  ];
  for (const c of cases) assert.equal(readiness(c.obj).state, c.want, c.name);
});
