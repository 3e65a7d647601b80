import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOcmError } from '../runtime/errors.js';
import { ArtifactIndex, parseArtifactIndex, serializeArtifactIndex } from './artifact-index.js';

const D = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const E = 'sha256:6d776ef2c9c156ca260a67b335435f4ef20a1c8e777afee89148b06d5688e753';

test('parseArtifactIndex accepts what Go writes', () => {
  for (const [text, entries] of [
    ['{"schemaVersion":1,"artifacts":null}', []],
    ['{"schemaVersion":1}', []],
    ['{"schemaVersion":1,"artifacts":[]}', []],
    [`{"schemaVersion":1,"artifacts":[{"repository":"a/b","tag":"1.0.0","digest":"${D}"}]}`, [{ repository: 'a/b', tag: '1.0.0', digest: D }]],
    [
      `{"artifacts":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"${D}","repository":"a/b"}],"schemaVersion":1}`,
      [{ repository: 'a/b', digest: D, mediaType: 'application/vnd.oci.image.index.v1+json' }],
    ],
  ] as const) {
    assert.deepEqual(parseArtifactIndex(text), entries, text);
  }
});

test('parseArtifactIndex rejects what v2 rejects', () => {
  for (const [text, code, mention] of [
    ['{"schemaVersion":1,"artifacts":null,"index":[]}', 'VALIDATION_FAILED', /"index"/],
    [`{"schemaVersion":1,"artifacts":[{"repository":"a","digest":"${D}","extra":true}]}`, 'VALIDATION_FAILED', /artifacts\[0\]: unknown key "extra"/],
    ['{"schemaVersion":2,"artifacts":null}', 'VALIDATION_FAILED', /schemaVersion 2/],
    ['{"schemaVersion":"1","artifacts":null}', 'VALIDATION_FAILED', /schemaVersion "1"/],
    ['{"artifacts":null}', 'VALIDATION_FAILED', /schemaVersion/],
    ['{"schemaVersion":1,"artifacts":{}}', 'VALIDATION_FAILED', /artifacts/],
    ['{"schemaVersion":1,"artifacts":[{"repository":"a","digest":"sha256:xyz"}]}', 'VALIDATION_FAILED', /digest/],
    ['{"schemaVersion":1,"artifacts":[{"digest":"' + D + '"}]}', 'VALIDATION_FAILED', /repository/],
    ['[]', 'VALIDATION_FAILED', /object/],
    ['{"schemaVersion":1,', 'PARSE_ERROR', /malformed JSON/],
  ] as const) {
    assert.throws(() => parseArtifactIndex(text), (e) => isOcmError(e, code) && mention.test((e as Error).message) && !(e as Error).message.includes('\n'), text);
  }
});

test('serializeArtifactIndex writes Go key order and null for empty', () => {
  assert.equal(serializeArtifactIndex([]), '{"schemaVersion":1,"artifacts":null}');
  assert.equal(
    serializeArtifactIndex([{ mediaType: 'm', digest: D, tag: 't', repository: 'r' } as never, { digest: E, repository: 'r' } as never]),
    `{"schemaVersion":1,"artifacts":[{"repository":"r","tag":"t","digest":"${D}","mediaType":"m"},{"repository":"r","digest":"${E}"}]}`,
  );
});

test('re-tagging moves the tag and keeps the old manifest untagged', () => {
  const idx = new ArtifactIndex();
  assert.equal(idx.addManifest('r', D, 'm'), true);
  assert.equal(idx.addManifest('r', D, 'm'), false);
  assert.equal(idx.tag('r', 'v1', D, 'm'), true);
  assert.deepEqual(idx.entries, [{ repository: 'r', tag: 'v1', digest: D, mediaType: 'm' }]);
  assert.equal(idx.tag('r', 'v1', D, 'm'), false);
  idx.tag('r', 'v1', E, 'm');
  assert.deepEqual(idx.entries, [
    { repository: 'r', digest: D, mediaType: 'm' },
    { repository: 'r', tag: 'v1', digest: E, mediaType: 'm' },
  ]);
  idx.tag('r', 'v2', E, 'm'); // a second tag on the same manifest is a second entry
  assert.deepEqual(idx.tags('r'), ['v1', 'v2']);
  idx.tag('other', 'v1', D, undefined);
  assert.deepEqual(idx.repositories(), ['r', 'other']);
});
