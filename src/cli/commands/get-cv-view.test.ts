import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOcm } from '../../testing/cli.js';
import { tempDir } from '../../testing/fixtures.js';
import { VIEW_BASE, writeViewFixture, type ViewFixture } from '../../testing/view-fixture.js';

async function withFixture(fn: (f: ViewFixture, keyFile: string, dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir('ocm-cli-view-');
  try {
    const f = await writeViewFixture(join(dir.path, 'ctf'));
    const keyFile = join(dir.path, 'acme.pub.pem');
    await writeFile(keyFile, f.publicKeyPem);
    await fn(f, keyFile, dir.path);
  } finally {
    await dir.dispose();
  }
}

const count = (s: string, part: string) => s.split(part).length - 1;

test('ocm get cv --recursive -o dot --public-key: the graph with every version verified', () =>
  withFixture(async (f, keyFile) => {
    const r = await runOcm(['get', 'cv', f.reference, '--recursive', '-o', 'dot', '--verify-signature', 'acme', '--public-key', keyFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^digraph ocm \{/);
    assert.equal(count(r.stdout, '✔ verified", color'), 3);
    for (const v of f.versions) assert.ok(r.stdout.includes(`"${v.component}:${v.version}"`), v.component);
    assert.match(r.stdout, /n0 -> n1 \[label="lib"/);
  }));

test('ocm get cv -o mermaid of a tampered graph exits 0 and shows the failed versions', () =>
  withFixture(async (f, keyFile) => {
    await f.tamper(VIEW_BASE.component, 'license');
    const r = await runOcm(['get', 'cv', f.reference, '--recursive', '-o', 'mermaid', '--public-key', keyFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^flowchart LR\n/);
    assert.equal(count(r.stdout, '✘ failed'), 3);
  }));

test('ocm get cv -o dot without a key: signatures not checked; without a version: every version is a root', () =>
  withFixture(async (f) => {
    const r = await runOcm(['get', 'cv', `${f.path}//${VIEW_BASE.component}`, '-o', 'dot']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(count(r.stdout, '– not checked", color'), 1);
    assert.ok(r.stdout.includes(`"${VIEW_BASE.component}:${VIEW_BASE.version}"`));
  }));

test('ocm get cv: --verify-signature without --public-key, or with -o yaml, is one clear line', () =>
  withFixture(async (f, keyFile) => {
    const noKey = await runOcm(['get', 'cv', f.reference, '-o', 'dot', '--verify-signature', 'acme']);
    assert.notEqual(noKey.code, 0);
    assert.match(noKey.stderr, /--verify-signature acme needs --public-key FILE/);
    assert.doesNotMatch(noKey.stderr, /\n\s+at /, 'no stack trace');
    const yaml = await runOcm(['get', 'cv', f.reference, '-o', 'yaml', '--public-key', keyFile]);
    assert.notEqual(yaml.code, 0);
    assert.match(yaml.stderr, /--verify-signature and --public-key apply to -o dot\|mermaid\|cyclonedx\|spdx only/);
    const missing = await runOcm(['get', 'cv', f.reference, '-o', 'dot', '--public-key', join(f.path, 'nope.pem')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /public key .*nope\.pem/);
  }));
