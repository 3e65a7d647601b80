import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Annotation, MediaType } from '../oci/content/media-types.js';
import { isVersionTag } from '../repository/oci-mapping/tags.js';
import { fallbackTag, referrerEntries, referrersInIndex, tagSubject } from './referrers.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;

test('referrer tags name their subject; none of them is a component version', () => {
  const cases: [tag: string, subject: string][] = [
    [`sha256-${'a'.repeat(64)}`, D('a')],
    [`sha256-${'b'.repeat(64)}.sig`, D('b')],
    [`sha256-${'c'.repeat(64)}.att`, D('c')],
    [`sha256-${'d'.repeat(64)}.sbom`, D('d')],
  ];
  for (const [tag, subject] of cases) {
    assert.equal(tagSubject(tag), subject, tag);
    assert.equal(isVersionTag(tag), false, tag);
  }
  assert.equal(fallbackTag(D('e')), `sha256-${'e'.repeat(64)}`);
  for (const v of ['1.0.0', 'v2.1.0-rc.1', '1.0.0.build-5', 'sha256']) assert.equal(isVersionTag(v), true, v);
});

test('referrers kept in a CV index come back with their tags, without the OCM annotations', () => {
  const sig = { mediaType: MediaType.ociManifest, digest: D('1'), size: 10 };
  const sbom = { mediaType: MediaType.ociManifest, digest: D('2'), size: 20, artifactType: 'application/spdx+json', annotations: { 'org.example': 'x' } };
  const image = D('9');
  const refs = [
    { desc: sig, tag: `${fallbackTag(image)}.sig` },
    { desc: sbom, tag: fallbackTag(image) },
    { desc: sbom, tag: `${fallbackTag(image)}.sbom` },
  ];
  const entries = referrerEntries(refs);
  assert.equal(entries.length, 2, 'one index entry per manifest');
  assert.deepEqual(entries[1]!.annotations, { 'org.example': 'x', [Annotation.referrerSubject]: image, [Annotation.referrerTags]: `${fallbackTag(image)},${fallbackTag(image)}.sbom` });
  const index = {
    schemaVersion: 2 as const,
    manifests: [
      { mediaType: MediaType.ociManifest, digest: D('0'), size: 1 },
      { mediaType: MediaType.ociManifest, digest: image, size: 5, annotations: { [Annotation.artifact]: '[]' } },
      ...entries.map((e) => ({ ...e.desc, annotations: e.annotations! })),
      // a tag that is not a referrer tag is ignored (no way to write arbitrary tags through an index)
      { mediaType: MediaType.ociManifest, digest: D('3'), size: 3, annotations: { [Annotation.referrerSubject]: image, [Annotation.referrerTags]: 'latest' } },
    ],
  };
  assert.deepEqual(referrersInIndex(index), refs);
  assert.deepEqual(referrersInIndex(undefined), []);
});
