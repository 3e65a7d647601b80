/**
 * Resource-exhaustion documents through the CLI: an alias bomb or 10,000 nested brackets in a
 * constructor (`add cv -c`) or a config (`--config`) end in one stderr line with LIMIT_EXCEEDED
 * (exit 9), no stack, and no target CTF.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOcm } from '../../testing/cli.js';
import { tempDir } from '../../testing/fixtures.js';

const aliasBomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n') + '\n';
const deep = '['.repeat(10_000) + ']'.repeat(10_000) + '\n';

const cases: Array<{ name: string; file: string; args: (file: string) => string[]; says: RegExp }> = [
  { name: 'add cv -c alias bomb', file: aliasBomb, args: (f) => ['add', 'cv', '-c', f, '-r', 'target-ctf'], says: /^Error: bomb\.yaml: more than 100 YAML aliases \(alias bomb\?\) \[LIMIT_EXCEEDED\]$/ },
  { name: 'add cv -c deep nesting', file: deep, args: (f) => ['add', 'cv', '-c', f, '-r', 'target-ctf'], says: /^Error: bomb\.yaml: nested deeper than 256 levels \[LIMIT_EXCEEDED\]$/ },
  { name: '--config alias bomb', file: aliasBomb, args: (f) => ['--config', f, 'get', 'config'], says: /^Error: config file bomb\.yaml: more than 100 YAML aliases \(alias bomb\?\) \[LIMIT_EXCEEDED\]$/ },
  { name: '--config deep nesting', file: deep, args: (f) => ['--config', f, 'get', 'config'], says: /^Error: config file bomb\.yaml: nested deeper than 256 levels \[LIMIT_EXCEEDED\]$/ },
];

for (const c of cases) {
  test(`${c.name}: one line, LIMIT_EXCEEDED (exit 9), no stack, no target written`, async (t) => {
    const dir = await tempDir();
    t.after(() => dir.dispose());
    await writeFile(join(dir.path, 'bomb.yaml'), c.file);
    const r = await runOcm(c.args('bomb.yaml'), { cwd: dir.path, env: { HOME: dir.path, OCM_CONFIG: '' } });
    assert.equal(r.code, 9, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, c.says);
    assert.doesNotMatch(r.stderr, /\s+at\s.+:\d+:\d+/, 'no stack trace');
    assert.deepEqual(await readdir(dir.path), ['bomb.yaml'], 'nothing written (no target CTF)');
  });
}
