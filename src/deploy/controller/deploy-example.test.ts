import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseConfigText } from '../../config/load.js';
import { repoRoot } from '../../testing/fixtures.js';
import { parseControllerConfig } from './config.js';

// No API server here: the manifest is checked for YAML, shape, RBAC coverage and a config the controller accepts.
test('deploy/kubernetes/ocm-controller.yaml parses, runs non-root, its RBAC covers the managed namespace and its configs are valid', async () => {
  const text = await readFile(join(repoRoot, 'deploy', 'kubernetes', 'ocm-controller.yaml'), 'utf8');
  const docs = parseAllDocuments(text).map((d) => {
    assert.deepEqual(d.errors, []);
    return d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; data?: Record<string, string>; stringData?: Record<string, string>; spec?: any; rules?: any[]; subjects?: any[] };
  });
  assert.deepEqual(docs.map((d) => d.kind), ['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Secret', 'Deployment']);
  const byKind = (k: string) => docs.find((d) => d.kind === k)!;
  const cm = byKind('ConfigMap');
  const config = parseControllerConfig(cm.data!['controller.yaml']!, '/etc/ocm-controller/controller.yaml');
  const entry = config.entries[0]!;
  assert.equal(entry.verify[0]!.publicKey, '/etc/ocm-controller/acme.pub');
  assert.ok(cm.data!['acme.pub'], 'the public key is in the mounted ConfigMap');
  assert.equal(entry.target.kubeconfig, undefined, 'in-cluster service account');

  const role = byKind('Role');
  assert.equal(role.metadata.namespace, entry.target.namespace, 'the Role is in the managed namespace');
  const allowed = (group: string, resource: string, verb: string) =>
    role.rules!.some((r: { apiGroups: string[]; resources: string[]; verbs: string[] }) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
  for (const verb of ['get', 'list', 'patch', 'delete']) {
    assert.ok(allowed('', 'secrets', verb), `secrets ${verb} (ApplySet parent)`);
    assert.ok(allowed('apps', 'deployments', verb), `deployments ${verb}`);
  }
  const sa = byKind('ServiceAccount');
  assert.deepEqual(byKind('RoleBinding').subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);

  parseConfigText(byKind('Secret').stringData!['.ocmconfig']!, 'ocm-controller-ocmconfig');
  const pod = byKind('Deployment').spec.template.spec;
  const c = pod.containers[0];
  assert.equal(pod.serviceAccountName, sa.metadata.name);
  assert.equal(byKind('Deployment').spec.replicas, 1);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.deepEqual(c.args.slice(0, 6), ['--config', '/etc/ocm/.ocmconfig', 'controller', 'run', '--config', '/etc/ocm-controller/controller.yaml']);
  assert.ok(c.args.includes('--status-file') && c.args.includes('--metrics-listen'));
  assert.equal(c.livenessProbe.httpGet.path, '/healthz');
  const mounts = c.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
  for (const m of ['/etc/ocm', '/etc/ocm-controller', '/var/run/ocm-controller']) assert.ok(mounts.includes(m), m);
});

test('deploy/kubernetes/ocm-controller-crds-rbac.yaml lets --crds read the delivery objects and key Secrets and write their status', async () => {
  const text = await readFile(join(repoRoot, 'deploy', 'kubernetes', 'ocm-controller-crds-rbac.yaml'), 'utf8');
  const docs = parseAllDocuments(text).map((d) => {
    assert.deepEqual(d.errors, []);
    return d.toJS() as { kind: string; rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[]; subjects?: unknown[]; roleRef?: { name: string } };
  });
  assert.deepEqual(docs.map((d) => d.kind), ['ClusterRole', 'ClusterRoleBinding']);
  const rules = docs[0]!.rules!;
  const allows = (group: string, resource: string, verb: string) => rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
  for (const plural of ['deployers', 'resources', 'components', 'repositories']) {
    assert.ok(allows('delivery.ocm.software', plural, 'list') && allows('delivery.ocm.software', plural, 'get'), `read ${plural}`);
    assert.ok(allows('delivery.ocm.software', `${plural}/status`, 'patch'), `patch ${plural}/status`);
  }
  assert.ok(allows('', 'secrets', 'get'), 'read key Secrets');
  const manifest = parseAllDocuments(await readFile(join(repoRoot, 'deploy', 'kubernetes', 'ocm-controller.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
  const sa = manifest.find((d) => d.kind === 'ServiceAccount')!;
  assert.deepEqual(docs[1]!.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
  assert.equal(docs[1]!.roleRef!.name, 'ocm-controller-crds');
});
