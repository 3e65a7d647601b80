import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from './run.js';
import { isExactVersion, parseControllerConfig, parseInterval } from './config.js';
import { metricsText, newEntryStatus, setCondition } from './status.js';

const head = 'apiVersion: controller.ocm.software/v1alpha1\nkind: ControllerConfig\n';
const entry = (extra: string) =>
  `${head}entries:\n  - name: shop\n    repository: http://127.0.0.1:5000/prod\n    component: acme.org/shop\n    verify: [{signature: acme, publicKey: keys/acme.pub}]\n    resource: name=manifests\n    target: {namespace: shop}\n${extra}`;

test('parseControllerConfig: defaults, paths against the config folder', () => {
  const c = parseControllerConfig(entry('    semver: ">=1.0.0 <2.0.0"\n    rules: rules.yaml\n'), '/etc/ocm/controller.yaml');
  const e = c.entries[0]!;
  assert.equal(e.downgradePolicy, 'Deny');
  assert.equal(e.intervalMs, 300_000);
  assert.deepEqual(e.verify, [{ signature: 'acme', publicKey: '/etc/ocm/keys/acme.pub' }]);
  assert.equal(e.rules, '/etc/ocm/rules.yaml');
  assert.deepEqual(e.resource, { name: 'manifests' });
  assert.deepEqual(e.target, { namespace: 'shop' });
});

test('parseControllerConfig: one line naming the entry and the field', () => {
  const rows: [string, RegExp][] = [
    [`${head}entries: []\n`, /entries: give at least one entry/],
    ['apiVersion: v1\nentries: []\n', /apiVersion "v1": use controller\.ocm\.software\/v1alpha1/],
    [entry('    semver: ">=1 <<2"\n'), /entry shop: semver: semver constraint ">=1 <<2": improper/],
    [entry('    semverFilter: "(["\n'), /entry shop: semverFilter: not a regular expression/],
    [entry('    downgradePolicy: Maybe\n'), /entry shop: downgradePolicy: "Maybe": use Deny/],
    [entry('    interval: soon\n'), /entry shop: interval: "soon": give a duration/],
    [entry('    colour: blue\n'), /entry shop: colour: unknown field/],
    [entry('').replace('verify: [{signature: acme, publicKey: keys/acme.pub}]', 'verify: []'), /entry shop: verify: give at least one/],
    [entry('').replace('target: {namespace: shop}', 'target: {}'), /entry shop: target\.namespace: give the namespace/],
    [entry('').replace('name: shop', 'name: Shop_1'), /entry Shop_1: name: "Shop_1": use lower-case/],
    [entry('').replace('    component: acme.org/shop\n', ''), /entry shop: component: give a non-empty string/],
    [`${head}entries:\n  - 42\n`, /entries\[0\]: expected a mapping/],
    [`${head}entries: [`, /not YAML/],
  ];
  for (const [text, re] of rows) {
    assert.throws(() => parseControllerConfig(text, 'c.yaml'), (e: Error) => {
      assert.match(e.message, re);
      assert.ok(!e.message.includes('\n'), e.message);
      return true;
    }, String(re));
  }
});

test('parseInterval, isExactVersion, backoffDelay', () => {
  assert.equal(parseInterval('30s'), 30_000);
  assert.equal(parseInterval('500ms'), 500);
  assert.equal(parseInterval('2m'), 120_000);
  assert.equal(parseInterval('0s'), undefined);
  assert.equal(parseInterval('30'), undefined);
  assert.ok(isExactVersion('1.2.3') && isExactVersion('v1.2.3-rc.1'));
  assert.ok(!isExactVersion('1.2') && !isExactVersion('^1.2.3') && !isExactVersion('1.x'));
  assert.deepEqual([1, 2, 3, 4, 5, 6, 40].map((n) => backoffDelay(n, 1000, 10_000)), [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
});

test('metricsText: Prometheus families; conditions keep their transition time while unchanged', () => {
  const s = newEntryStatus('shop', 'acme.org/"shop"');
  const t0 = new Date('2026-01-01T00:00:00Z');
  setCondition(s, 'Ready', 'True', 'Applied', 'ok', t0);
  setCondition(s, 'Ready', 'True', 'UpToDate', 'ok', new Date('2026-01-02T00:00:00Z'));
  assert.equal(s.conditions[0]!.lastTransitionTime, t0.toISOString());
  Object.assign(s, { lastAppliedVersion: '1.1.0', lastAppliedDigest: 'sha256:ab', lastSuccessTime: t0.toISOString(), reconciles: 3, errors: 1 });
  const text = metricsText({ apiVersion: 'controller.ocm.software/v1alpha1', kind: 'ControllerStatus', updated: '', entries: [s] });
  assert.match(text, /^ocm_controller_applied_version_info\{entry="shop",component="acme\.org\/\\"shop\\"",version="1\.1\.0",digest="sha256:ab"\} 1$/m);
  assert.match(text, /^ocm_controller_reconcile_total\{entry="shop"\} 3$/m);
  assert.match(text, /^ocm_controller_reconcile_errors_total\{entry="shop"\} 1$/m);
  assert.match(text, /^ocm_controller_last_success_timestamp_seconds\{entry="shop"\} 1767225600$/m);
  assert.match(text, /^# TYPE ocm_controller_ready gauge$/m);
});
