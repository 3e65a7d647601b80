import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits, localizedValue, openEditable, parsePath, parseRules, resolveEdits, serialize, type EditableFile, type ImageLocation, type LocalizationField } from './rules.js';

const LOC: ImageLocation = { registry: '127.0.0.1:5001', repository: 'prod/images/app', tag: '1.0', digest: `sha256:${'a'.repeat(64)}` };
const D = `sha256:${'a'.repeat(64)}`;

test('localizedValue: every field form, with and without tag/digest', () => {
  const cases: [LocalizationField, ImageLocation, string][] = [
    ['image', LOC, `127.0.0.1:5001/prod/images/app:1.0@${D}`],
    ['image', { ...LOC, tag: undefined } as ImageLocation, `127.0.0.1:5001/prod/images/app@${D}`],
    ['image', { registry: 'r.io', repository: 'x', tag: 'v1' }, 'r.io/x:v1'],
    ['registry', LOC, '127.0.0.1:5001'],
    ['repository', LOC, 'prod/images/app'],
    ['fullyQualifiedRepository', LOC, '127.0.0.1:5001/prod/images/app'],
    ['tag', LOC, '1.0'],
    ['tag', { registry: 'r', repository: 'x', digest: D }, `@${D}`],
    ['digest', LOC, D],
  ];
  for (const [field, loc, want] of cases) assert.equal(localizedValue(field, loc), want, `${field} of ${JSON.stringify(loc)}`);
  assert.throws(() => localizedValue('digest', { registry: 'r.io', repository: 'x', tag: 'v1' }), { message: 'r.io/x:v1 has no digest to pin' });
});

test('parsePath: dotted keys, indices, quoted keys; bad paths refused', () => {
  const ok: [string, (string | number)[]][] = [
    ['spec.template.spec.containers[0].image', ['spec', 'template', 'spec', 'containers', 0, 'image']],
    ['image.repository', ['image', 'repository']],
    ['$.a.b', ['a', 'b']],
    ['.a', ['a']],
    ['images[1].newName', ['images', 1, 'newName']],
    ['metadata.annotations["a.b/c"]', ['metadata', 'annotations', 'a.b/c']],
    ["data['x.y']", ['data', 'x.y']],
    ['[0]', [0]],
  ];
  for (const [p, want] of ok) assert.deepEqual(parsePath(p), want, p);
  for (const p of ['', 'a..b', 'a.', 'a[x]', 'a[0]b']) assert.throws(() => parsePath(p), Error, p);
});

test('parseRules: the ConfigData shape; one-line errors naming file and field', () => {
  const r = parseRules(
    `apiVersion: config.ocm.software/v1alpha1
kind: ConfigData
configuration:
  defaults: {replicas: 2}
  rules:
    - {value: (( replicas )), file: deploy.yaml, path: spec.replicas}
    - {value: {a: 1}, file: ./cm.yaml, path: data}
localization:
  - resource: {name: image, extraIdentity: {arch: amd64}}
    referencePath: [{name: lib}]
    file: deploy.yaml
    image: spec.template.spec.containers[0].image
  - {resource: {name: image}, file: values.yaml, tag: image.tag}
`,
    'rules.yaml',
  );
  assert.equal(r.localization.length, 2);
  assert.deepEqual(r.localization[0], { index: 0, resource: { name: 'image', extraIdentity: { arch: 'amd64' } }, referencePath: [{ name: 'lib' }], file: 'deploy.yaml', field: 'image', path: 'spec.template.spec.containers[0].image' });
  assert.equal(r.localization[1]!.field, 'tag');
  assert.deepEqual(r.configuration.rules.map((x) => [x.value, x.file]), [[2, 'deploy.yaml'], [{ a: 1 }, 'cm.yaml']]);

  const bad: [string, RegExp][] = [
    ['localization: {}', /^rules f\.yaml: localization: must be a list/],
    ['localization: [{file: a.yaml, image: x}]', /^rules f\.yaml: localization\[0\]\.resource: must be a map/],
    ['localization: [{resource: {name: i}, file: a.yaml}]', /localization\[0\]: needs exactly one of image, repository, registry, tag, fullyQualifiedRepository, digest \(found none\)/],
    ['localization: [{resource: {name: i}, file: a.yaml, image: a, tag: b}]', /found image, tag/],
    ['localization: [{resource: {name: i}, file: a.yaml, mapping: {x: 1}, image: a}]', /localization\[0\]\.mapping: mapping expressions .* not supported/],
    ['localization: [{resource: {name: i}, file: ../a.yaml, image: a}]', /localization\[0\]\.file: "\.\.\/a\.yaml" must be a relative path/],
    ['localization: [{resource: {name: i}, file: a.yaml, image: "a..b"}]', /localization\[0\]\.image: "a\.\.b" has an empty segment/],
    ['localization: [{resource: {name: i}, referencePath: [{}], file: a.yaml, image: a}]', /localization\[0\]\.referencePath\[0\]\.name: must be a non-empty string/],
    ['configuration: {rules: [{file: a.yaml, path: x}]}', /configuration\.rules\[0\]\.value: is missing/],
    ['configuration: {rules: [{value: (( nope )), file: a.yaml, path: x}]}', /names nope, which configuration\.defaults does not define/],
    ['configuration: {rules: [{value: (( a + b )), file: a.yaml, path: x}]}', /is an expression; only plain values/],
    ['- 1', /^rules f\.yaml: document: must be a map/],
  ];
  for (const [text, re] of bad) assert.throws(() => parseRules(text, 'f.yaml'), { message: re }, text);
});

const files = (entries: Record<string, string>): Map<string, EditableFile> => new Map(Object.entries(entries).map(([p, t]) => [p, openEditable(p, t, 1 << 20)]));

test('applyEdits: YAML keeps comments; multi-document streams; JSON stays JSON; missing file/path names the rule', () => {
  const deploy = `# the app
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1 # scaled by rules
  template:
    spec:
      containers:
        - name: app
          image: "ghcr.io/acme/app:1.0" # localized
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {}
`;
  const f = files({ 'deploy.yaml': deploy, 'values.json': '{"image": {"repository": "x", "tag": "1"}}' });
  applyEdits(f, [
    { rule: 'r0', file: 'deploy.yaml', path: 'spec.template.spec.containers[0].image', value: 'gap/app@sha256:1' },
    { rule: 'r1', file: 'deploy.yaml', path: 'spec.replicas', value: 3 },
    { rule: 'r2', file: 'deploy.yaml', path: 'data.KEY', value: 'v' },
    { rule: 'r3', file: 'values.json', path: 'image.repository', value: 'gap/app' },
  ]);
  const out = serialize(f.get('deploy.yaml')!);
  assert.match(out, /^# the app\n/);
  assert.match(out, /image: "gap\/app@sha256:1" # localized/);
  assert.match(out, /replicas: 3 # scaled by rules/);
  assert.match(out, /\n---\n[\s\S]*data: \{ KEY: v \}/);
  assert.deepEqual(JSON.parse(serialize(f.get('values.json')!)), { image: { repository: 'gap/app', tag: '1' } });

  assert.throws(() => applyEdits(f, [{ rule: 'rules x: localization[4] (resource image)', file: 'nope.yaml', path: 'a', value: 1 }]), { message: /^rules x: localization\[4\] \(resource image\): file nope\.yaml is not in the deployable \(files: deploy\.yaml, values\.json\)/ });
  assert.throws(() => applyEdits(f, [{ rule: 'rules x: localization[1] (resource image)', file: 'deploy.yaml', path: 'spec.template.spec.containers[3].image', value: 1 }]), /localization\[1\] \(resource image\): path spec\.template\.spec\.containers\[3\]\.image does not exist in deploy\.yaml/);
  assert.throws(() => applyEdits(f, [{ rule: 'r', file: 'deploy.yaml', path: 'no.such.parent', value: 1 }]), /path no\.such\.parent does not exist/);
});

test('resolveEdits: localization values from the resolver, configuration values plain; resolver errors pass through', async () => {
  const rules = parseRules('localization: [{resource: {name: img}, file: a.yaml, fullyQualifiedRepository: x.y}]\nconfiguration: {rules: [{value: 5, file: a.yaml, path: n}]}', 'r.yaml');
  const edits = await resolveEdits(rules, async () => LOC);
  assert.deepEqual(edits, [
    { rule: 'rules r.yaml: localization[0] (resource img)', file: 'a.yaml', path: 'x.y', value: '127.0.0.1:5001/prod/images/app' },
    { rule: 'rules r.yaml: configuration.rules[0]', file: 'a.yaml', path: 'n', value: 5 },
  ]);
  await assert.rejects(resolveEdits(rules, async () => Promise.reject(new Error('boom'))), /boom/);
});
