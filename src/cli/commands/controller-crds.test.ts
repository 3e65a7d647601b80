/**
 * `ocm controller run --crds` on a real registry and the FAKE API server (no real one can be
 * installed here): the settings come from seeded delivery.ocm.software Repository → Component →
 * Resource → Deployer objects (the public key from a Secret), the component's resource is applied
 * to the controller's namespace, and each object's status is written through `/status`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOcm } from '../../testing/cli.js';
import { tempDir } from '../../testing/fixtures.js';
import { registryAvailable, startRegistry } from '../../testing/registry.js';
import { DELIVERY_KINDS, startKubeFake } from '../../testing/kube-fake.js';

const skip = !registryAvailable() ? 'docker-registry not installed' : false;
const APP = 'acme.org/deploy/crds';
const D = 'delivery.ocm.software/v1alpha1';

interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration: number;
}

test('controller run --crds: reads Repository/Component/Resource/Deployer, applies the verified version, writes each status; an unsigned version is Ready=False naming why', { skip }, async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const reg = await startRegistry({ auth: 'none' });
  t.after(() => reg.stop());
  const kube = await startKubeFake({ readyAfterPolls: 1 });
  t.after(() => kube.stop());
  for (const k of DELIVERY_KINDS) kube.registerKind(k);
  const p = (n: string): string => join(dir.path, n);
  const ocm = (args: string[]) => runOcm(args, { cwd: dir.path });
  const ok = async (args: string[]) => {
    const r = await ocm(args);
    assert.equal(r.code, 0, `ocm ${args.join(' ')}: ${r.stderr}`);
  };

  const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: crds-app}\ndata: {version: "${v}"}\n`;
  const cv = (v: string) => `  - name: ${APP}
    version: ${v}
    provider: {name: acme.org}
    resources:
      - {name: manifests, type: kubernetes-manifests, input: {type: file, path: m-${v}.yaml, mediaType: application/x-yaml}}
`;
  for (const v of ['1.0.0', '1.1.0']) await writeFile(p(`m-${v}.yaml`), cm(v));
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', p('key.pem')], { stdio: 'ignore' });
  execFileSync('openssl', ['pkey', '-in', p('key.pem'), '-pubout', '-out', p('key.pub')], { stdio: 'ignore' });
  const pub = await readFile(p('key.pub'));
  await writeFile(p('c1.yaml'), `components:\n${cv('1.0.0')}`);
  await ok(['add', 'cv', '-r', `${reg.url}/ocm`, '-c', 'c1.yaml']);
  await ok(['sign', 'cv', `${reg.url}/ocm//${APP}:1.0.0`, '--signature', 'acme', '--private-key', p('key.pem')]);

  const ns = 'apps';
  const meta = (name: string) => ({ name, namespace: ns });
  kube.seed({ apiVersion: 'v1', kind: 'Secret', metadata: meta('acme-keys'), type: 'Opaque', data: { acme: pub.toString('base64') } });
  kube.seed({ apiVersion: D, kind: 'Repository', metadata: meta('airgap'), spec: { repositorySpec: { type: 'OCIRegistry', baseUrl: reg.url, subPath: 'ocm' }, interval: '1m0s' } });
  const chain = (name: string, semver: string, verify: object[] = [{ signature: 'acme', secretRef: { name: 'acme-keys' } }]) => {
    kube.seed({ apiVersion: D, kind: 'Component', metadata: meta(name), spec: { repositoryRef: { name: 'airgap' }, component: APP, semver, interval: '10m0s', verify } });
    kube.seed({ apiVersion: D, kind: 'Resource', metadata: meta(name), spec: { componentRef: { name }, resource: { byReference: { resource: { name: 'manifests' } } }, interval: '10m0s' } });
    kube.seed({ apiVersion: D, kind: 'Deployer', metadata: { name }, spec: { resourceRef: { name, namespace: ns } } });
  };
  chain('shop', '>=1.0.0');
  const kubeconfig = await kube.writeKubeconfig();
  const once = () => ocm(['controller', 'run', '--crds', '--kubeconfig', kubeconfig, '--namespace', ns, '--once', '--status-file', p('status.json')]);
  const obj = (kind: string, name: string) => kube.get(D, kind, kind === 'Deployer' ? undefined : ns, name)!;
  const ready = (kind: string, name: string): Cond => (obj(kind, name).status?.conditions as Cond[] | undefined)?.find((c) => c.type === 'Ready')!;

  await t.test('--crds --once applies the signed 1.0.0 into the controller namespace and writes Ready, observedGeneration and the resolved version', async () => {
    const r = await once();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^shop: acme\.org\/deploy\/crds:1\.0\.0 Ready \(Applied: 1\.0\.0 applied\)$/m);
    const applied = kube.get('v1', 'ConfigMap', ns, 'crds-app') as { data: { version: string }; metadata: { annotations: Record<string, string> } };
    assert.equal(applied.data.version, '1.0.0');
    assert.equal(applied.metadata.annotations['component.delivery.ocm.software/version'], '1.0.0');
    for (const kind of ['Repository', 'Component', 'Resource', 'Deployer']) {
      const name = kind === 'Repository' ? 'airgap' : 'shop';
      const c = ready(kind, name);
      assert.equal(c?.status, 'True', `${kind}: ${JSON.stringify(obj(kind, name).status)}`);
      assert.equal(c.observedGeneration, 1);
      assert.equal(obj(kind, name).status.observedGeneration, 1);
      assert.equal(obj(kind, name).metadata.generation, 1, 'a status write does not bump the generation');
    }
    const comp = obj('Component', 'shop').status.component;
    assert.equal(comp.component, APP);
    assert.equal(comp.version, '1.0.0');
    assert.deepEqual(comp.repositorySpec, { type: 'OCIRegistry', baseUrl: reg.url, subPath: 'ocm' });
    assert.match(obj('Resource', 'shop').status.resource.digest, /^sha256:[0-9a-f]{64}$/);
    assert.match(ready('Deployer', 'shop').message, /^1\.0\.0 applied to namespace apps: 1 created/);
    assert.ok(kube.requests.some((q) => q.method === 'PATCH' && q.url.startsWith(`/apis/${D}/namespaces/apps/components/shop/status`)), 'status goes through the subresource');
    const status = JSON.parse(await readFile(p('status.json'), 'utf8')) as { entries: { name: string; lastAppliedVersion: string }[] };
    assert.equal(status.entries[0]!.lastAppliedVersion, '1.0.0');
  });

  await t.test('an unsigned 1.1.0 is not applied: a Component pinned to it is Ready=False naming the missing signature; the other keeps 1.0.0 across a restart', async () => {
    await writeFile(p('c2.yaml'), `components:\n${cv('1.1.0')}`);
    await ok(['add', 'cv', '-r', `${reg.url}/ocm`, '-c', 'c2.yaml']);
    chain('pinned', '1.1.0');
    const r = await once();
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^shop: acme\.org\/deploy\/crds:1\.0\.0 Ready \(KeptCurrent: /m);
    assert.match(r.stdout, /^pinned: acme\.org\/deploy\/crds NotReady/m);
    const c = ready('Component', 'pinned');
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'VerificationFailed');
    assert.match(c.message, /^1\.1\.0: signature acme failed: .*has no signature "acme"/);
    assert.equal(ready('Deployer', 'pinned').status, 'False');
    assert.equal(obj('Component', 'pinned').status.component, undefined, 'no resolved version');
    assert.equal(ready('Component', 'shop').reason, 'KeptCurrent');
    assert.equal(obj('Component', 'shop').status.component.version, '1.0.0');
    assert.equal((kube.get('v1', 'ConfigMap', ns, 'crds-app') as { data: { version: string } }).data.version, '1.0.0');
  });

  await t.test('a broken chain is Ready=False on the object whose reference or field is wrong, naming it', async () => {
    kube.seed({ apiVersion: D, kind: 'Deployer', metadata: { name: 'dangling' }, spec: { resourceRef: { name: 'nope', namespace: ns } } });
    kube.seed({ apiVersion: D, kind: 'Component', metadata: meta('nokey'), spec: { repositoryRef: { name: 'airgap' }, component: APP, semver: '1.0.0', interval: '10m0s', verify: [{ signature: 'acme', secretRef: { name: 'missing' } }] } });
    kube.seed({ apiVersion: D, kind: 'Resource', metadata: meta('nokey'), spec: { componentRef: { name: 'nokey' }, resource: { byReference: { resource: { name: 'manifests' } } }, interval: '10m0s' } });
    kube.seed({ apiVersion: D, kind: 'Deployer', metadata: { name: 'nokey' }, spec: { resourceRef: { name: 'nokey', namespace: ns } } });
    const r = await once();
    assert.equal(r.code, 1);
    const d = ready('Deployer', 'dangling');
    assert.equal(d.status, 'False');
    assert.equal(d.reason, 'InvalidSpec');
    assert.equal(d.message, 'Deployer dangling: spec.resourceRef.name: Resource apps/nope not found');
    const k = ready('Component', 'nokey');
    assert.equal(k.reason, 'InvalidSpec');
    assert.equal(k.message, 'Component apps/nokey: spec.verify[0].secretRef: Secret apps/missing not found');
    assert.equal(ready('Deployer', 'nokey').message, k.message);
    assert.equal(ready('Component', 'shop').status, 'True', 'other chains are unaffected');
  });

  await t.test('--crds and --config together, or --kubeconfig without --crds, is one line', async () => {
    const both = await ocm(['controller', 'run', '--crds', '--config', 'x.yaml', '--once']);
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /^Error: controller run: give either --config <controller\.yaml> or --crds/);
    const stray = await ocm(['controller', 'run', '--config', 'x.yaml', '--namespace', 'a', '--once']);
    assert.match(stray.stderr, /--kubeconfig, --context and --namespace go with --crds/);
  });
});
