/**
 * `ocm deploy cv` end to end on real registries: an app image pushed by skopeo, a signed component
 * (image, manifests, kustomize base, rules) transferred through a CTF into an "air-gapped"
 * registry; the rendered files point at the air-gapped registry by digest, real kubectl accepts
 * them (client dry-run against a discovery-only stub) and `kubectl kustomize` builds the base.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { writeOciLayout } from '../../testing/image-fixture.js';
import { startDiscoveryStub } from '../../testing/kube-discovery-stub.js';
import { run, skopeoAvailable } from '../../testing/registry-fixture.js';
import { registryAvailable } from '../../testing/registry.js';
import { startKubeFake } from '../../testing/kube-fake.js';
import { airGapWorld } from '../../testing/air-gap-world.js';

const exec = promisify(execFile);
const kubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skip = !registryAvailable() || !skopeoAvailable() ? 'docker-registry or skopeo not installed' : !kubectl ? 'kubectl not installed' : false;
const APP = 'acme.org/deploy/app';

test('deploy cv: signed, transferred through a CTF into an air-gapped registry, rendered by digest; kubectl accepts it', { skip }, async (t) => {
  const { src, gap, p, ocm, ok } = await airGapWorld(t);
  const stub = await startDiscoveryStub();
  t.after(() => stub.stop());

  const layout = await writeOciLayout(p('image'), { single: true });
  await run('skopeo', ['copy', '-q', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout.dir}:${layout.tag}`, `docker://${src.host}/images/app:${layout.tag}`]);
  const digest = layout.root.digest;

  await mkdir(p('base'));
  await writeFile(p('base/kustomization.yaml'), 'resources: [deployment.yaml]\nimages:\n  - name: app\n    newName: example.org/app\n    digest: sha256:0000000000000000000000000000000000000000000000000000000000000000\n');
  await writeFile(p('base/deployment.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  selector: {matchLabels: {app: app}}\n  template:\n    metadata: {labels: {app: app}}\n    spec: {containers: [{name: app, image: app}]}\n');
  await writeFile(
    p('manifests.yaml'),
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
        - name: app
          image: example.org/app:dev # localized at deploy time
---
apiVersion: v1
kind: Service
metadata: {name: app}
spec: {selector: {app: app}, ports: [{port: 80}]}
`,
  );
  await writeFile(p('rules.yaml'), 'localization:\n  - {resource: {name: image}, file: manifests.yaml, image: "spec.template.spec.containers[0].image"}\n');
  await writeFile(p('base-rules.yaml'), 'localization:\n  - {resource: {name: image}, file: kustomization.yaml, fullyQualifiedRepository: "images[0].newName"}\n  - {resource: {name: image}, file: kustomization.yaml, digest: "images[0].digest"}\n');
  await writeFile(
    p('component-constructor.yaml'),
    `components:
  - name: ${APP}
    version: 1.0.0
    provider: {name: acme.org}
    resources:
      - name: image
        type: ociImage
        version: "1.0"
        access: {type: ociArtifact, imageReference: "${src.host}/images/app:${layout.tag}@${digest}"}
        digest: {hashAlgorithm: SHA-256, normalisationAlgorithm: ociArtifactDigest/v1, value: ${digest.slice(7)}}
      - {name: manifests, type: kubernetes-manifests, input: {type: file, path: manifests.yaml, mediaType: application/x-yaml}}
      - {name: base, type: directory, input: {type: dir, path: base, compress: true}}
      - {name: rules, type: ocm.software/localization-rules, input: {type: file, path: rules.yaml}}
`,
  );
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', p('key.pem')], { stdio: 'ignore' });
  execFileSync('openssl', ['pkey', '-in', p('key.pem'), '-pubout', '-out', p('pub.pem')], { stdio: 'ignore' });
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', p('other.pem')], { stdio: 'ignore' });
  execFileSync('openssl', ['pkey', '-in', p('other.pem'), '-pubout', '-out', p('other.pub')], { stdio: 'ignore' });
  const source = `${src.url}/ocm`;
  const airgap = `${gap.url}/prod`;
  await ok(['add', 'cv', '-r', source, '-c', 'component-constructor.yaml']);
  await ok(['sign', 'cv', `${source}//${APP}:1.0.0`, '--signature', 'acme', '--private-key', p('key.pem')]);
  await ok(['transfer', 'cv', `${source}//${APP}:1.0.0`, p('transport.tgz'), '--copy-resources', '--upload-as', 'ociArtifact', '-q']);
  await ok(['transfer', 'cv', `ctf::${p('transport.tgz')}//${APP}:1.0.0`, airgap, '--copy-resources', '--upload-as', 'ociArtifact', '-q']);
  await src.stop(); // nothing may call back to the source

  const ref = `${airgap}//${APP}:1.0.0`;
  let image = '';
  await t.test('manifests: verified, localized to the air-gapped registry by digest, annotated', async () => {
    const r = await ok(['deploy', 'cv', ref, '--resource', 'name=manifests', '--verify-signature', 'acme', '--public-key', p('pub.pem'), '--render-to', p('out')]);
    assert.match(r.stdout, /wrote .*out\/manifests\.yaml\n/);
    assert.match(r.stdout, /manifests, 1 file\(s\), 2 Kubernetes object\(s\)/);
    assert.deepEqual(await readdir(p('out')), ['manifests.yaml']);
    const text = await readFile(p('out/manifests.yaml'), 'utf8');
    const docs = parseAllDocuments(text).map((d) => d.toJS());
    image = docs[0].spec.template.spec.containers[0].image;
    assert.ok(image.startsWith(`${gap.host}/prod/`), image);
    assert.ok(image.endsWith(`@${digest}`), image);
    assert.match(text, / # localized at deploy time/);
    assert.equal(docs[1].metadata.annotations['component.delivery.ocm.software/version'], '1.0.0');
    // the reference is pullable as written, from the air-gapped registry alone
    const raw = JSON.parse((await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${image}`])).stdout);
    assert.equal(raw.schemaVersion, 2);
    const applied = await exec('kubectl', ['apply', '--dry-run=client', '--validate=false', '--server', stub.url, '-f', p('out/manifests.yaml')]);
    assert.match(applied.stdout, /deployment\.apps\/app created \(dry run\)\nservice\/app created \(dry run\)/);
  });

  await t.test('kustomize base: images localized; kubectl kustomize builds it; kubectl accepts the result', async () => {
    await ok(['deploy', 'cv', ref, '--resource', 'name=base', '--rules', p('base-rules.yaml'), '--render-to', p('base-out')]);
    const k = parse(await readFile(p('base-out/kustomization.yaml'), 'utf8'));
    assert.equal(k.images[0].newName, image.slice(0, image.indexOf('@')).replace(/:[^/]*$/, ''));
    const built = (await exec('kubectl', ['kustomize', p('base-out')])).stdout;
    const d = parse(built);
    assert.equal(k.images[0].digest, digest);
    assert.equal(d.spec.template.spec.containers[0].image, image, 'kustomize writes the same pinned reference as the manifest rules');
    await writeFile(p('built.yaml'), built);
    await exec('kubectl', ['apply', '--dry-run=client', '--validate=false', '--server', stub.url, '-f', p('built.yaml')]);
  });

  await t.test('--apply: server-side apply as an ApplySet to the fake API server; --dry-run changes nothing; re-apply is unchanged', async () => {
    const kube = await startKubeFake({ readyAfterPolls: 1 });
    try {
      const kubeconfig = await kube.writeKubeconfig();
      const args = ['deploy', 'cv', ref, '--resource', 'name=manifests', '--verify-signature', 'acme', '--public-key', p('pub.pem'), '--apply', '--kubeconfig', kubeconfig, '--namespace', 'shop'];
      const dry = await ok([...args, '--dry-run']);
      assert.match(dry.stdout, /Deployment\.apps shop\/app would be created/);
      assert.equal(kube.get('apps/v1', 'Deployment', 'shop', 'app'), undefined, 'a dry run writes nothing');
      const first = await ok([...args, '--wait', '--wait-timeout', '60']);
      assert.match(first.stdout, /2 created, 0 configured, 0 unchanged, 0 pruned/);
      assert.match(first.stdout, /Deployment\.apps shop\/app ready/);
      const dep = kube.get('apps/v1', 'Deployment', 'shop', 'app') as { spec: { template: { spec: { containers: { image: string }[] } } }; metadata: { labels: Record<string, string> } };
      assert.equal(dep.spec.template.spec.containers[0]!.image, image, 'the cluster runs the air-gapped image by digest');
      assert.ok(dep.metadata.labels['applyset.kubernetes.io/part-of'], 'member of the ApplySet');
      const again = await ok(args);
      assert.match(again.stdout, /0 created, 0 configured, 2 unchanged, 0 pruned/);
      const token = /token: (\S+)/.exec(kube.kubeconfig())?.[1];
      if (token) for (const r of [dry, first, again]) assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), 'no token in output');
    } finally {
      await kube.stop();
    }
  });

  await t.test('refusals: wrong key, non-empty target, cluster flags without --apply, nothing half-written', async () => {
    const bad = await ocm(['deploy', 'cv', ref, '--resource', 'name=manifests', '--verify-signature', 'acme', '--public-key', p('other.pub'), '--render-to', p('bad-out')]);
    assert.notEqual(bad.code, 0);
    assert.equal(bad.stderr.split('\n').filter(Boolean).length, 1, bad.stderr);
    await assert.rejects(readdir(p('bad-out')), /ENOENT/);
    const full = await ocm(['deploy', 'cv', ref, '--resource', 'name=manifests', '--render-to', p('out')]);
    assert.match(full.stderr, /^Error: render target .*out is not empty; .* --force/);
    await ok(['deploy', 'cv', ref, '--resource', 'name=manifests', '--render-to', p('out'), '--force']);
    const noApply = await ocm(['deploy', 'cv', ref, '--resource', 'name=manifests', '--namespace', 'shop']);
    assert.match(noApply.stderr, /^Error: --namespace applies to a cluster: add --apply/);
    const missing = await ocm(['deploy', 'cv', ref, '--resource', 'name=manifests', '--rules', p('nope.yaml'), '--render-to', p('x')]);
    assert.match(missing.stderr, /^Error: rules file .*nope\.yaml: no such file or directory/);
  });
});
