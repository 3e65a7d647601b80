import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DigestMismatchError, ErrorCode, NotFoundError, OcmError, ValidationError, isOcmError } from './errors.js';
import { TypeRegistry, typeKey } from './type-registry.js';

test('instanceof works by brand for the root and each family', () => {
  const nf = new NotFoundError('x');
  assert.ok(nf instanceof OcmError);
  assert.ok(nf instanceof NotFoundError);
  assert.ok(!(nf instanceof ValidationError));
  assert.equal(nf.code, ErrorCode.NOT_FOUND);
  const dm = new DigestMismatchError('blob', 'sha256:a', 'sha256:b');
  assert.ok(isOcmError(dm, 'DIGEST_MISMATCH'));
  // a structurally identical error from "another copy" of the library
  const foreign = Object.assign(new Error('x'), { [Symbol.for('ocm-ts.error')]: ['NotFoundError', 'OcmError'] });
  assert.ok(foreign instanceof OcmError);
});

test('type names without version mean v1; aliases resolve to one registration', () => {
  for (const [input, key] of [
    ['localBlob', 'localBlob/v1'],
    ['LocalBlob/v1', 'LocalBlob/v1'],
    ['acme.org/thing', 'acme.org/thing/v1'],
    ['acme.org/thing/v2alpha1', 'acme.org/thing/v2alpha1'],
  ] as const) assert.equal(typeKey(input), key);
  const r = new TypeRegistry();
  r.register('access', { type: 'LocalBlob/v1', aliases: ['localBlob'], impl: 1 });
  assert.equal(r.get('access', 'localBlob/v1').impl, 1);
  assert.ok(r.same('access', 'localBlob', 'LocalBlob/v1'));
  assert.throws(() => r.get('access', 'nope'), (e: unknown) => isOcmError(e, 'UNSUPPORTED') && /known: LocalBlob\/v1/.test((e as Error).message));
});
