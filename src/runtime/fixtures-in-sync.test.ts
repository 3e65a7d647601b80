import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fixtureConformanceRoot, sharedConformanceRoot, repoRoot } from '../testing/fixtures.js';
import { VERSION } from '../version.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test('project copy of conformance data is byte-identical to ../shared/conformance', { skip: !existsSync(sharedConformanceRoot) && 'shared/ not beside this checkout' }, () => {
  for (const f of files(sharedConformanceRoot)) {
    const rel = relative(sharedConformanceRoot, f);
    const copy = join(fixtureConformanceRoot, rel);
    assert.ok(existsSync(copy), `missing fixture copy ${rel}`);
    assert.ok(readFileSync(copy).equals(readFileSync(f)), `fixture copy differs: ${rel}`);
  }
});

test('VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  assert.equal(VERSION, pkg.version);
});
