/**
 * render() on a real CTF built by `ocm add cv`: a manifest stream (YAML and JSON), a kustomize base
 * (tgz directory), a Helm chart's values, nested components via referencePath, the rules resource,
 * and the errors that name the rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { openRepository } from '../repository/open.js';
import { runOcm } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';
import { render } from './render.js';
import { parseRules } from './rules.js';
import { ANNOTATION_COMPONENT_NAME, ANNOTATION_COMPONENT_VERSION, ANNOTATION_RESOURCE_DIGEST, ANNOTATION_RESOURCE_IDENTITY } from './types.js';

const APP = 'acme.org/deploy/app';
const LIB = 'acme.org/deploy/lib';
const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);
const digest = (h: string) => `{hashAlgorithm: SHA-256, normalisationAlgorithm: ociArtifactDigest/v1, value: ${h}}`;

const DEPLOY = `# app deployment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:1.0 # localized at deploy time
        - name: sidecar
          image: placeholder
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {color: red}
`;

test('render: manifests, JSON, kustomize base, Helm values, nested references; errors name the rule', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const p = (n: string) => join(dir.path, n);
  await mkdir(p('base'));
  await mkdir(p('chart/app'), { recursive: true });
  await writeFile(p('manifests.yaml'), DEPLOY);
  await writeFile(p('manifests.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] } }));
  await writeFile(p('base/kustomization.yaml'), 'resources: [deployment.yaml]\nimages:\n  - name: app\n    newName: ghcr.io/acme/app # replaced\n    digest: sha256:0\n');
  await writeFile(p('base/deployment.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec: {template: {spec: {containers: [{name: app, image: app}]}}}\n');
  await writeFile(p('chart/app/Chart.yaml'), 'apiVersion: v2\nname: app\nversion: 1.0.0\n');
  await writeFile(p('chart/app/values.yaml'), '# chart values\nimage:\n  repository: ghcr.io/acme/app\n  tag: "1.0"\nreplicas: 1\n');
  execFileSync('tar', ['-czf', p('chart.tgz'), '-C', p('chart'), 'app']);
  await writeFile(
    p('rules.yaml'),
    `localization:
  - {resource: {name: image}, file: manifests.yaml, image: "spec.template.spec.containers[0].image"}
  - {resource: {name: sidecar}, referencePath: [{name: lib}], file: manifests.yaml, image: "spec.template.spec.containers[1].image"}
configuration:
  defaults: {color: blue}
  rules:
    - {value: (( color )), file: manifests.yaml, path: data.color}
    - {value: 3, file: manifests.yaml, path: spec.replicas}
`,
  );
  await writeFile(
    p('component-constructor.yaml'),
    `components:
  - name: ${LIB}
    version: 1.0.0
    provider: {name: acme.org}
    resources:
      - {name: sidecar, type: ociImage, version: "2", access: {type: ociArtifact, imageReference: "registry.example:5000/lib/sidecar:2@sha256:${H2}"}, digest: ${digest(H2)}}
  - name: ${APP}
    version: 1.0.0
    provider: {name: acme.org}
    componentReferences: [{name: lib, componentName: ${LIB}, version: 1.0.0}]
    resources:
      - {name: image, type: ociImage, version: "1.0", access: {type: ociArtifact, imageReference: "gap.example:5000/prod/acme/app:1.0@sha256:${H1}"}, digest: ${digest(H1)}}
      - {name: manifests, type: kubernetes-manifests, input: {type: file, path: manifests.yaml, mediaType: application/x-yaml}}
      - {name: service, type: kubernetes-manifests, input: {type: file, path: manifests.json, mediaType: application/json}}
      - {name: base, type: directory, input: {type: dir, path: base, compress: true}}
      - {name: chart, type: helmChart, input: {type: file, path: chart.tgz, mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip}}
      - {name: rules, type: ocm.software/localization-rules, input: {type: file, path: rules.yaml}}
`,
  );
  const r = await runOcm(['add', 'cv', '-r', p('ctf'), '-c', p('component-constructor.yaml')]);
  assert.equal(r.code, 0, r.stderr);
  const repository = await openRepository({ type: 'CommonTransportFormat/v1', filePath: p('ctf'), accessMode: 'readonly' });
  t.after(() => repository.close());
  const src = { repository, descriptor: await repository.getComponentVersion(APP, '1.0.0') };
  const image = `gap.example:5000/prod/acme/app:1.0@sha256:${H1}`;

  await t.test('manifest stream: rules resource, nested referencePath, configuration, comments kept, annotations', async () => {
    const out = await render(src, { name: 'manifests' });
    assert.equal(out.kind, 'manifests');
    assert.deepEqual(out.files.map((f) => f.path), ['manifests.yaml']);
    const text = out.files[0]!.content;
    assert.match(text, /^# app deployment\n/);
    assert.match(text, new RegExp(`image: ${image.replace(/[.]/g, '\\.')} # localized at deploy time`));
    const docs = parseAllDocuments(text).map((d) => d.toJS());
    assert.equal(docs[0].spec.template.spec.containers[1].image, `registry.example:5000/lib/sidecar:2@sha256:${H2}`);
    assert.equal(docs[0].spec.replicas, 3);
    assert.deepEqual(docs[1].data, { color: 'blue' });
    assert.equal(out.objects.length, 2);
    for (const o of out.objects) {
      const a = o.metadata.annotations!;
      assert.equal(a[ANNOTATION_COMPONENT_NAME], APP);
      assert.equal(a[ANNOTATION_COMPONENT_VERSION], '1.0.0');
      assert.equal(a[ANNOTATION_RESOURCE_IDENTITY], '{"name":"manifests"}');
      assert.match(a[ANNOTATION_RESOURCE_DIGEST]!, /^sha256:[0-9a-f]{64}$/);
    }
    assert.deepEqual(out.objects, docs, 'the files carry the same annotations');
  });

  await t.test('JSON manifest: stays JSON, annotated; rules given explicitly', async () => {
    const rules = parseRules('localization: [{resource: {name: image}, file: service.json, fullyQualifiedRepository: spec.externalName}]', 'svc-rules.yaml');
    const out = await render(src, { name: 'service' }, { rules });
    assert.deepEqual(out.files.map((f) => f.path), ['service.json']);
    const o = JSON.parse(out.files[0]!.content);
    assert.equal(o.spec.externalName, 'gap.example:5000/prod/acme/app');
    assert.equal(o.metadata.annotations[ANNOTATION_COMPONENT_NAME], APP);
  });

  await t.test('kustomize base: images newName and digest localized; kustomization is not an object', async () => {
    const rules = parseRules(
      'localization:\n  - {resource: {name: image}, file: kustomization.yaml, fullyQualifiedRepository: "images[0].newName"}\n  - {resource: {name: image}, file: kustomization.yaml, digest: "images[0].digest"}\n',
      'k.yaml',
    );
    const out = await render(src, { name: 'base' }, { rules });
    assert.equal(out.kind, 'directory');
    assert.deepEqual(out.files.map((f) => f.path), ['deployment.yaml', 'kustomization.yaml']);
    const k = parse(out.files[1]!.content);
    assert.equal(k.images[0].newName, 'gap.example:5000/prod/acme/app');
    assert.equal(k.images[0].digest, `sha256:${H1}`);
    assert.match(out.files[1]!.content, /# replaced/);
    assert.deepEqual(out.objects.map((o) => o.kind), ['Deployment']);
  });

  await t.test('Helm chart: only values.yaml, localized, comments kept, no objects', async () => {
    const rules = parseRules('localization:\n  - {resource: {name: image}, file: values.yaml, fullyQualifiedRepository: image.repository}\n  - {resource: {name: image}, file: values.yaml, tag: image.tag}\n', 'h.yaml');
    const out = await render(src, { name: 'chart' }, { rules });
    assert.equal(out.kind, 'helm-values');
    assert.deepEqual(out.files.map((f) => f.path), ['values.yaml']);
    assert.match(out.files[0]!.content, /^# chart values\n/);
    assert.deepEqual(parse(out.files[0]!.content).image, { repository: 'gap.example:5000/prod/acme/app', tag: '1.0' });
    assert.deepEqual(out.objects, []);
  });

  await t.test('errors name the rule: missing resource, missing reference, non-image resource, missing path', async () => {
    const cases: [string, RegExp][] = [
      ['{resource: {name: nope}, file: manifests.yaml, image: a}', /^rules e\.yaml: localization\[0\] \(resource nope\): no resource name=nope in acme\.org\/deploy\/app:1\.0\.0 \(available: /],
      ['{resource: {name: sidecar}, referencePath: [{name: nolib}], file: manifests.yaml, image: a}', /localization\[0\] \(resource sidecar via reference nolib\): acme\.org\/deploy\/app:1\.0\.0 has no component reference named nolib \(references: lib\)/],
      ['{resource: {name: manifests}, file: manifests.yaml, image: a}', /localization\[0\] \(resource manifests\): resource manifests of .* has access type localBlob; localization needs an OCI image/],
      ['{resource: {name: image, extraIdentity: {arch: arm}}, file: manifests.yaml, image: spec.x.y}', /localization\[0\] \(resource image,arch=arm\): no resource/],
      ['{resource: {name: image}, file: manifests.yaml, image: spec.x.y}', /localization\[0\] \(resource image\): path spec\.x\.y does not exist in manifests\.yaml/],
    ];
    for (const [rule, re] of cases) {
      await assert.rejects(render(src, { name: 'manifests' }, { rules: parseRules(`localization: [${rule}]`, 'e.yaml') }), { message: re }, rule);
    }
    await assert.rejects(render(src, { name: 'manifests' }, { maxFileBytes: 100 }), { message: /deployable manifests is larger than 100 bytes/ });
    await assert.rejects(render(src, { name: 'missing' }), { message: /^deployable: no resource name=missing/ });
  });
});
