import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOcmError } from '../runtime/errors.js';
import { compileGlob } from './paths.js';

// Expectations follow Go's path.Match.
const cases: Array<[pattern: string, name: string, match: boolean]> = [
  ['*.txt', 'a.txt', true],
  ['*.txt', 'sub/a.txt', false],
  ['sub/*.txt', 'sub/a.txt', true],
  ['*', 'sub/a', false],
  ['a?c', 'abc', true],
  ['a?c', 'a/c', false],
  ['[abc].md', 'b.md', true],
  ['[^abc].md', 'b.md', false],
  ['[^abc].md', 'd.md', true],
  ['[a-c]x', 'cx', true],
  ['[a-c]x', 'dx', false],
  ['\\*x', '*x', true],
  ['\\*x', 'ax', false],
  ['a.b', 'axb', false],
  ['(x)+', '(x)+', true],
  ['sub', 'sub', true],
  ['sub', 'subdir', false],
];

for (const [pattern, name, match] of cases) {
  test(`glob ${pattern} ${match ? 'matches' : 'does not match'} ${name}`, () => {
    assert.equal(compileGlob(pattern).test(name), match);
  });
}

for (const pattern of ['[', '[a', '[]', 'a\\', '[z-a]']) {
  test(`glob ${JSON.stringify(pattern)} is malformed`, () => {
    assert.throws(() => compileGlob(pattern), (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT'));
  });
}
