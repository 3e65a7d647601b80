import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startKubeFake, type KubeFake } from '../../testing/kube-fake.js';
import { isOcmError } from '../../runtime/errors.js';
import type { KubeObject } from '../types.js';
import { applyRendered, applySetId, LABEL_ID, LABEL_PART_OF, ANNOTATION_CONTAINS_GROUP_KINDS, ANNOTATION_TOOLING, type ApplyOptions } from './index.js';

const NS = 'demo';
const cm = (name: string, data: Record<string, string> = { k: 'v' }): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });
const deploy = (name: string, image = 'registry.local/app@sha256:' + 'a'.repeat(64)): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } } },
});
const svc = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], selector: { app: name } } });

/** One fake per test, stopped also when the test fails. */
async function withFake(fn: (fake: KubeFake, kubeconfig: string) => Promise<void>, ctxNs = NS): Promise<void> {
  const fake = await startKubeFake();
  try {
    const kubeconfig = await fake.writeKubeconfig({ contexts: [{ name: 'fake', ...(ctxNs ? { namespace: ctxNs } : {}) }] });
    await fn(fake, kubeconfig);
  } finally {
    await fake.stop();
  }
}

const opts = (kubeconfig: string, extra: Partial<ApplyOptions> = {}): ApplyOptions => ({ kubeconfig, applySetName: 'acme-app', ...extra });

test('apply creates the objects and the ApplySet parent, members labelled part-of its id', () =>
  withFake(async (fake, kubeconfig) => {
    const r = await applyRendered([deploy('web'), cm('cfg'), svc('web')], opts(kubeconfig));
    const id = applySetId({ name: 'applyset-acme-app', namespace: NS, kind: 'Secret', group: '' });
    assert.equal(r.applySetId, id);
    assert.deepEqual(r.created, ['ConfigMap demo/cfg', 'Service demo/web', 'Deployment.apps demo/web']);
    assert.deepEqual([r.configured, r.unchanged, r.pruned, r.waited], [[], [], [], []]);
    assert.equal(r.diff, undefined);
    const parent = fake.get('v1', 'Secret', NS, 'applyset-acme-app')!;
    assert.equal(parent.metadata.labels[LABEL_ID], id);
    assert.equal(parent.metadata.annotations[ANNOTATION_CONTAINS_GROUP_KINDS], 'ConfigMap,Deployment.apps,Service');
    assert.match(parent.metadata.annotations[ANNOTATION_TOOLING], /^ocm\/v\d/);
    const d = fake.get('apps/v1', 'Deployment', NS, 'web')!;
    assert.equal(d.metadata.labels[LABEL_PART_OF], id);
    assert.equal(d.metadata.labels.app, 'web', 'own labels kept');
    assert.equal(d.metadata.managedFields[0].manager, 'delivery.ocm.software/applyset');
    // The server-side apply requests carried the field manager and force.
    const patch = fake.requests.find((q) => q.method === 'PATCH' && q.url.includes('/deployments/web'))!;
    assert.match(patch.url, /fieldManager=delivery.ocm.software%2Fapplyset/);
    assert.match(patch.url, /force=true/);
    assert.equal(patch.headers['content-type'], 'application/apply-patch+yaml');
  }));

test('re-applying the same objects reports them unchanged and bumps no resourceVersion', () =>
  withFake(async (fake, kubeconfig) => {
    await applyRendered([deploy('web'), cm('cfg')], opts(kubeconfig));
    const rv = fake.get('v1', 'ConfigMap', NS, 'cfg')!.metadata.resourceVersion;
    const r = await applyRendered([deploy('web'), cm('cfg')], opts(kubeconfig));
    assert.deepEqual(r.unchanged, ['ConfigMap demo/cfg', 'Deployment.apps demo/web']);
    assert.deepEqual([r.created, r.configured, r.pruned], [[], [], []]);
    assert.equal(fake.get('v1', 'ConfigMap', NS, 'cfg')!.metadata.resourceVersion, rv);
    // A changed object is "configured".
    const r2 = await applyRendered([deploy('web'), cm('cfg', { k: 'changed' })], opts(kubeconfig));
    assert.deepEqual(r2.configured, ['ConfigMap demo/cfg']);
    assert.equal(fake.get('v1', 'ConfigMap', NS, 'cfg')!.data.k, 'changed');
  }));

test('a second set without an object prunes it, and only members of the set', () =>
  withFake(async (fake, kubeconfig) => {
    fake.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unrelated', namespace: NS }, data: {} });
    fake.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other-set', namespace: NS, labels: { [LABEL_PART_OF]: 'applyset-someoneelse-v1' } } });
    await applyRendered([deploy('web'), cm('cfg'), cm('old'), svc('web')], opts(kubeconfig));
    const r = await applyRendered([deploy('web'), cm('cfg')], opts(kubeconfig));
    assert.deepEqual(r.pruned.sort(), ['ConfigMap demo/old', 'Service demo/web']);
    assert.equal(fake.get('v1', 'ConfigMap', NS, 'old'), undefined);
    assert.equal(fake.get('v1', 'Service', NS, 'web'), undefined);
    assert.ok(fake.get('v1', 'ConfigMap', NS, 'unrelated'), 'an unlabelled object of the same kind stays');
    assert.ok(fake.get('v1', 'ConfigMap', NS, 'other-set'), "another set's member stays");
    assert.ok(fake.get('v1', 'ConfigMap', NS, 'cfg'));
    // The parent now lists only the kinds the set holds; prune LISTed with the part-of selector.
    assert.equal(fake.get('v1', 'Secret', NS, 'applyset-acme-app')!.metadata.annotations[ANNOTATION_CONTAINS_GROUP_KINDS], 'ConfigMap,Deployment.apps');
    assert.ok(fake.requests.some((q) => q.method === 'GET' && q.url.startsWith('/api/v1/namespaces/demo/services?') && q.url.includes('labelSelector=applyset.kubernetes.io%2Fpart-of')));
    // prune: false keeps what the set dropped.
    const r2 = await applyRendered([cm('cfg')], opts(kubeconfig, { prune: false }));
    assert.deepEqual(r2.pruned, []);
    assert.ok(fake.get('apps/v1', 'Deployment', NS, 'web'));
  }));

test('dry-run writes nothing and reports the diff (paths, never values)', () =>
  withFake(async (fake, kubeconfig) => {
    fake.readyAfterPolls = Infinity; // no synthesized status: nothing may change in the store
    await applyRendered([deploy('web'), cm('cfg'), cm('old')], opts(kubeconfig));
    const before = JSON.stringify(fake.all());
    const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, stringData: { password: 'hunter2-secret-value' } };
    const r = await applyRendered([deploy('web', 'registry.local/app@sha256:' + 'b'.repeat(64)), cm('cfg'), secret], opts(kubeconfig, { dryRun: true }));
    assert.equal(JSON.stringify(fake.all()), before, 'nothing written');
    assert.equal(r.dryRun, true);
    assert.deepEqual(r.created, ['Secret demo/creds']);
    assert.deepEqual(r.configured, ['Deployment.apps demo/web']);
    assert.deepEqual(r.unchanged, ['ConfigMap demo/cfg']);
    assert.deepEqual(r.pruned, ['ConfigMap demo/old']);
    const web = r.diff!.find((d) => d.ref === 'Deployment.apps demo/web')!;
    assert.deepEqual(web, { ref: 'Deployment.apps demo/web', action: 'update', changes: [{ path: 'spec.template.spec.containers', op: 'change' }] });
    assert.deepEqual(r.diff!.map((d) => d.action).sort(), ['create', 'prune', 'unchanged', 'update']);
    assert.doesNotMatch(JSON.stringify(r), /hunter2/);
    // Server-side dry run: every PATCH of this run carried dryRun=All, and no DELETE was sent.
    const run = fake.requests.slice(fake.requests.findIndex((q) => q.url.includes('/secrets/creds')));
    assert.ok(run.filter((q) => q.method === 'PATCH').every((q) => q.url.includes('dryRun=All')));
    assert.ok(!run.some((q) => q.method === 'DELETE'));
  }));

test('wait succeeds once the workloads report ready', () =>
  withFake(async (fake, kubeconfig) => {
    fake.readyAfterPolls = 3;
    const job: KubeObject = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'x' }] } } } };
    const sts: KubeObject = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { replicas: 1, serviceName: 'db', selector: {}, template: {} } };
    const r = await applyRendered([deploy('web'), sts, job, cm('cfg')], opts(kubeconfig, { wait: { timeoutMs: 10_000, intervalMs: 20 } }));
    assert.deepEqual(r.waited, ['Deployment.apps demo/web', 'StatefulSet.apps demo/db', 'Job.batch demo/migrate']);
  }));

test('wait times out with one line naming what is not ready; a failed Job is an error', () =>
  withFake(async (fake, kubeconfig) => {
    fake.readyAfterPolls = Infinity;
    await assert.rejects(applyRendered([deploy('web')], opts(kubeconfig, { wait: { timeoutMs: 200, intervalMs: 20 } })), (e: unknown) => {
      assert.ok(isOcmError(e, 'LIMIT_EXCEEDED'));
      assert.match(e.message, /^not ready after 0\.2 s: Deployment\.apps demo\/web \(waiting for the controller to observe the new generation\); raise the wait timeout/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    fake.readyAfterPolls = 1;
    fake.failJobs = true;
    const job: KubeObject = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' }, spec: {} };
    await assert.rejects(applyRendered([job], opts(kubeconfig, { applySetName: 'jobs', wait: { timeoutMs: 5000, intervalMs: 20 } })), /Job\.batch demo\/migrate: job failed \(BackoffLimitExceeded\)/);
  }));

test('namespace defaulting: explicit option, else the context namespace, else default; cluster-scoped objects get none', async () => {
  await withFake(async (fake, kubeconfig) => {
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', namespace: 'ignored' } };
    const r = await applyRendered([cm('a'), { ...cm('b'), metadata: { name: 'b', namespace: 'other' } }, ns], opts(kubeconfig));
    assert.deepEqual(r.created, ['Namespace team', 'ConfigMap demo/a', 'ConfigMap other/b']);
    assert.equal(fake.get('v1', 'Namespace', undefined, 'team')!.metadata.namespace, undefined);
    assert.equal(fake.get('v1', 'Secret', NS, 'applyset-acme-app')!.metadata.annotations['applyset.kubernetes.io/additional-namespaces'], 'other');
    await applyRendered([cm('c')], opts(kubeconfig, { namespace: 'explicit' }));
    assert.ok(fake.get('v1', 'ConfigMap', 'explicit', 'c'));
    assert.ok(fake.get('v1', 'Secret', 'explicit', 'applyset-acme-app'));
  });
  await withFake(async (fake, kubeconfig) => {
    await applyRendered([cm('a')], opts(kubeconfig));
    assert.ok(fake.get('v1', 'ConfigMap', 'default', 'a'));
  }, '');
});

test('kubeconfig context selection: --context picks the cluster, an unknown context is one clear line', () =>
  withFake(async (fake, _kc) => {
    const kubeconfig = await fake.writeKubeconfig({ contexts: [{ name: 'broken', server: 'https://127.0.0.1:1' }, { name: 'good', namespace: 'ctx-ns' }], currentContext: 'broken' });
    const r = await applyRendered([cm('a')], opts(kubeconfig, { context: 'good' }));
    assert.deepEqual(r.created, ['ConfigMap ctx-ns/a']);
    await assert.rejects(applyRendered([cm('a')], opts(kubeconfig)), (e: unknown) => isOcmError(e, 'NETWORK_ERROR') && /^Kubernetes API https:\/\/127\.0\.0\.1:1: .*cannot connect \(ECONNREFUSED\)/.test(e.message));
    await assert.rejects(applyRendered([cm('a')], opts(kubeconfig, { context: 'nope' })), (e: unknown) => isOcmError(e, 'CONFIG_ERROR') && e.message.endsWith('has no context "nope"; it has: broken, good'));
    await assert.rejects(applyRendered([cm('a')], opts('/nonexistent/kubeconfig')), (e: unknown) => isOcmError(e, 'NOT_FOUND'));
  }));

test('a failing API (500, 403, 401) is one clear line without the token', () =>
  withFake(async (fake, kubeconfig) => {
    const token = /token: (\S+)/.exec(fake.kubeconfig())![1]!;
    fake.fail({ status: 500, method: 'PATCH' });
    await assert.rejects(applyRendered([cm('a')], opts(kubeconfig)), (e: unknown) => {
      assert.ok(isOcmError(e, 'REGISTRY_ERROR'));
      assert.match(e.message, /^Kubernetes API https:\/\/127\.0\.0\.1:\d+: apply of Secret demo\/applyset-acme-app: HTTP 500 fake failure 500$/);
      return true;
    });
    fake.fail({ status: 403, method: 'PATCH', pathIncludes: '/configmaps/' });
    await assert.rejects(applyRendered([cm('a')], opts(kubeconfig)), (e: unknown) => {
      assert.ok(isOcmError(e, 'FORBIDDEN'));
      assert.match(e.message, /: apply of ConfigMap demo\/a: HTTP 403 forbidden: .*; the kubeconfig user lacks RBAC permission for it$/);
      assert.ok(!e.message.includes(token));
      return true;
    });
    fake.fail(undefined);
    const bad = (await import('node:fs/promises')).writeFile;
    await bad(kubeconfig, fake.kubeconfig().replace(token, 'wrong-token'));
    await assert.rejects(applyRendered([cm('a')], opts(kubeconfig)), (e: unknown) => isOcmError(e, 'UNAUTHORIZED') && !e.message.includes('wrong-token') && !e.message.includes('\n'));
  }));

test('unknown kinds, duplicates and bad set names fail before any write', () =>
  withFake(async (fake, kubeconfig) => {
    const crd: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    await assert.rejects(applyRendered([crd], opts(kubeconfig)), /Widget\.example\.com w: the cluster at .* serves no kind Widget in example\.com\/v1; install its CustomResourceDefinition first/);
    await assert.rejects(applyRendered([cm('a'), cm('a')], opts(kubeconfig)), /ConfigMap a appears twice/);
    await assert.rejects(applyRendered([cm('a')], opts(kubeconfig, { applySetName: 'Acme/App' })), (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT'));
    assert.equal(fake.all().length, 0);
    // A registered CRD kind works, and is pruned by group-kind like any other.
    fake.registerKind({ group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true });
    await applyRendered([crd, cm('a')], opts(kubeconfig));
    const r = await applyRendered([cm('a')], opts(kubeconfig));
    assert.deepEqual(r.pruned, ['Widget.example.com demo/w']);
  }));

test('a parent owned by another set or tool is refused', () =>
  withFake(async (fake, kubeconfig) => {
    fake.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'applyset-acme-app', namespace: NS, labels: { [LABEL_ID]: 'applyset-x-v1' } } });
    await assert.rejects(applyRendered([cm('a')], opts(kubeconfig)), (e: unknown) => isOcmError(e, 'ALREADY_EXISTS') && /is not the parent of ApplySet/.test(e.message));
  }));

test('an aborted signal stops apply with ABORTED', () =>
  withFake(async (_fake, kubeconfig) => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(applyRendered([cm('a')], opts(kubeconfig, { signal: ac.signal })), (e: unknown) => isOcmError(e, 'ABORTED'));
  }));
