// Proves the fake API server is realistic where a real tool can judge it: Debian's kubectl talks
// to it (discovery, GET, LIST with selectors, client- and server-side dry-run apply), computes the
// same ApplySet id as we do, and recognizes the parent we write (refusing it only for its tooling).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeFake } from '../../testing/kube-fake.js';
import { applyRendered, applySetId, LABEL_ID, LABEL_PART_OF } from './index.js';

const skip = existsSync('/usr/bin/kubectl') ? false : 'kubectl not installed (apt-get install kubernetes-client)';

const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: "registry.local/app@sha256:${'a'.repeat(64)}"}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {k: v2}
`;

test('real kubectl works against the fake API server, and agrees on ApplySet ids', { skip, timeout: 120_000 }, async () => {
  const fake = await startKubeFake();
  const dir = await mkdtemp(join(tmpdir(), 'ocm-kubectl-'));
  try {
    const kubeconfig = await fake.writeKubeconfig({ contexts: [{ name: 'fake', namespace: 'demo' }] });
    // Async exec: the fake runs in this process and must keep answering while kubectl waits.
    const kubectl = (...args: string[]) => new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile('kubectl', ['--request-timeout=10s', ...args], { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir, KUBECTL_APPLYSET: 'true' }, timeout: 60_000 }, (e, out, err) =>
        resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out: String(out), err: String(err) }));
    });
    fake.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'demo', labels: { tier: 'a' } }, data: { k: 'v' } });
    fake.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other', namespace: 'demo', labels: { tier: 'b' } } });

    let r = await kubectl('get', 'configmaps', '-o', 'name');
    assert.deepEqual([r.code, r.out], [0, 'configmap/cfg\nconfigmap/other\n'], r.err);
    r = await kubectl('get', 'cm', '-l', 'tier in (a,c)', '-o', 'name');
    assert.deepEqual([r.code, r.out], [0, 'configmap/cfg\n'], r.err);

    const file = join(dir, 'manifests.yaml');
    await writeFile(file, MANIFESTS);
    r = await kubectl('apply', '--dry-run=client', '--validate=false', '-f', file);
    assert.deepEqual([r.code, r.out], [0, 'deployment.apps/web created (dry run)\nconfigmap/cfg configured (dry run)\n'], r.err);
    // Server-side: the fake reports the field conflict with the seeding manager, like a real server.
    r = await kubectl('apply', '--server-side', '--dry-run=server', '--validate=false', '-f', file);
    assert.equal(r.code, 1);
    assert.match(r.out, /deployment\.apps\/web serverside-applied \(server dry run\)/);
    assert.match(r.err, /Apply failed with 1 conflict\(s\): conflict with "seed": \.data\.k/);
    r = await kubectl('apply', '--server-side', '--force-conflicts', '--dry-run=server', '--validate=false', '-f', file);
    assert.equal(r.code, 0, r.err);
    assert.equal(fake.get('apps/v1', 'Deployment', 'demo', 'web'), undefined, 'server dry run stored nothing');

    // kubectl's own ApplySet (alpha, KUBECTL_APPLYSET=true): same id formula as ours.
    r = await kubectl('apply', '--server-side', '--force-conflicts', '--prune', '--applyset=kset', '-n', 'demo', '--validate=false', '-f', file);
    assert.equal(r.code, 0, r.err);
    const id = applySetId({ name: 'kset', namespace: 'demo', kind: 'Secret', group: '' });
    assert.equal(fake.get('v1', 'Secret', 'demo', 'kset')!.metadata.labels[LABEL_ID], id);
    assert.equal(fake.get('v1', 'ConfigMap', 'demo', 'cfg')!.metadata.labels[LABEL_PART_OF], id);

    // kubectl reads our parent: the id checks out, and it refuses only because the set is ocm's.
    await applyRendered([], { kubeconfig, applySetName: 'x' });
    r = await kubectl('apply', '--server-side', '--prune', '--applyset=applyset-x', '-n', 'demo', '--validate=false', '-f', file);
    assert.equal(r.code, 1);
    assert.match(r.err, /ApplySet parent object "secrets.\/applyset-x" already exists and is managed by tooling "ocm" instead of "kubectl"/);
  } finally {
    await fake.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
