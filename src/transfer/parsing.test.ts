import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOcmError } from '../runtime/errors.js';
import { transferConfigFrom } from './config.js';
import { parseImageReference } from '../oci/remote/reference.js';
import { toTag, toVersion } from '../repository/oci-mapping/tags.js';
import { compareVersions } from './cv-io.js';
import { formatImageReference, isOciImageAccess } from './image-ref.js';

test('image references parse into host, repository, tag and digest', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  const cases: [string, Omit<ReturnType<typeof parseImageReference>, 'scheme'>][] = [
    ['127.0.0.1:5000/images/app:1.0', { host: '127.0.0.1:5000', repository: 'images/app', tag: '1.0' }],
    [`ghcr.io/org/app:1.0@${d}`, { host: 'ghcr.io', repository: 'org/app', tag: '1.0', digest: d }],
    [`ghcr.io/org/app@${d}`, { host: 'ghcr.io', repository: 'org/app', digest: d }],
    ['localhost/app', { host: 'localhost', repository: 'app', tag: 'latest' }],
    ['nginx', { host: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
    ['acme/tool:2', { host: 'docker.io', repository: 'acme/tool', tag: '2' }],
    ['oci://ghcr.io/a/b:c', { host: 'ghcr.io', repository: 'a/b', tag: 'c' }],
  ];
  for (const [text, want] of cases) {
    const { scheme: _, ...got } = parseImageReference(text);
    assert.deepEqual(got, want, text);
  }
  assert.equal(formatImageReference({ host: 'h:1', repository: 'r/x', tag: 't', digest: d }), `h:1/r/x:t@${d}`);
  assert.throws(() => parseImageReference('ghcr.io/UPPER/x:1'), (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT'));
});

test('OCI image access types in every spelling', () => {
  for (const t of ['ociArtifact', 'ociArtifact/v1', 'OCIImage/v1', 'ociImage', 'ociRegistry', 'OCIImage']) assert.ok(isOciImageAccess(t), t);
  for (const t of ['localBlob', 'ociBlob', 'OCIImageLayer/v1', 'helm']) assert.ok(!isOciImageAccess(t), t);
});

test('tags and versions map both ways; versions sort by semver', () => {
  assert.equal(toTag('1.2.3+ci.42'), '1.2.3.build-ci.42');
  assert.equal(toVersion('1.2.3.build-ci.42'), '1.2.3+ci.42');
  assert.equal(toVersion('1.0.0'), '1.0.0');
  assert.deepEqual(['1.10.0', '1.2.0', '1.2.0-rc.1', 'v0.9', '1.2.0-alpha'].sort(compareVersions), ['v0.9', '1.2.0-alpha', '1.2.0-rc.1', '1.2.0', '1.10.0']);
});

test('transfer.config.ocm.software/v1alpha1 entries merge; bad values are CONFIG_ERROR naming the field', () => {
  assert.deepEqual(transferConfigFrom([{ recursive: -1, copyMode: 'allResources' }, { uploadType: 'ociArtifact', concurrency: 8 }]), {
    recursive: true,
    copyResources: true,
    uploadAs: 'ociArtifact',
    concurrency: 8,
  });
  assert.deepEqual(transferConfigFrom([{ recursive: -1 }, { recursive: 0, copyMode: 'localBlob' }]), { recursive: false, copyResources: false });
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ recursive: 2 }, /recursive 2/],
    [{ copyMode: 'everything' }, /copyMode "everything"/],
    [{ uploadType: 'tar' }, /uploadType "tar"/],
    [{ concurrency: 0 }, /concurrency 0/],
  ];
  for (const [entry, re] of bad) {
    assert.throws(() => transferConfigFrom([entry]), (e: unknown) => isOcmError(e, 'CONFIG_ERROR') && re.test(e.message));
  }
});
