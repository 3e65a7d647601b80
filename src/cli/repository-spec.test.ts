/**
 * `--repository-spec`, `--target-repository-spec` and `--transformer` argument errors, through the
 * CLI: one stderr line naming the flag and the problem, a stable code, non-zero exit, nothing written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOcm } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';

interface Case {
  name: string;
  files?: Record<string, string>;
  args: string[];
  code: string;
  message: RegExp;
}

const cases: Case[] = [
  { name: 'get cv: missing spec file', args: ['get', 'cv', '--repository-spec', 'nope.yaml', 'acme.org/app:1.0.0'], code: 'NOT_FOUND', message: /--repository-spec nope\.yaml/ },
  { name: 'get cv: spec file without type', files: { 's.yaml': 'path: /x\n' }, args: ['get', 'cv', '--repository-spec', 's.yaml', 'acme.org/app:1.0.0'], code: 'INVALID_ARGUMENT', message: /no "type" field/ },
  { name: 'get cv: spec file is a list', files: { 's.yaml': '- a\n' }, args: ['get', 'cv', '--repository-spec', 's.yaml', 'acme.org/app:1.0.0'], code: 'INVALID_ARGUMENT', message: /expected a map/ },
  { name: 'get cv: broken YAML', files: { 's.yaml': 'type: [\n' }, args: ['get', 'cv', '--repository-spec', 's.yaml', 'acme.org/app:1.0.0'], code: 'PARSE_ERROR', message: /--repository-spec s\.yaml/ },
  { name: 'get cv: unknown repository type', files: { 's.yaml': 'type: FileStore/v1alpha1\npath: /x\n' }, args: ['get', 'cv', '--repository-spec', 's.yaml', 'acme.org/app:1.0.0'], code: 'UNSUPPORTED', message: /unknown repository type "FileStore\/v1alpha1"/ },
  { name: 'get cv: a full reference with --repository-spec', files: { 's.yaml': 'type: CTF\nfilePath: ./ctf\n' }, args: ['get', 'cv', '--repository-spec', 's.yaml', './ctf//acme.org/app:1.0.0'], code: 'INVALID_ARGUMENT', message: /only <component>\[:<version>\]/ },
  { name: 'get cv: a schema-invalid spec', files: { 's.yaml': 'type: OCIRepository/v1\n' }, args: ['get', 'cv', '--repository-spec', 's.yaml', 'acme.org/app:1.0.0'], code: 'VALIDATION_FAILED', message: /baseUrl/ },
  { name: 'get cv: unknown <type>:: in a reference', args: ['get', 'cv', 'FileStore/v1alpha1::/x//acme.org/app:1.0.0'], code: 'UNSUPPORTED', message: /--repository-spec/ },
  { name: 'add cv: --repository and --repository-spec', files: { 's.yaml': 'type: CTF\nfilePath: ./ctf\n', 'component-constructor.yaml': 'components: []\n' }, args: ['add', 'cv', '-r', './other', '--repository-spec', 's.yaml'], code: 'INVALID_ARGUMENT', message: /give one of them/ },
  { name: 'transfer cv: no target', args: ['transfer', 'cv', './ctf//acme.org/app:1.0.0'], code: 'INVALID_ARGUMENT', message: /--target-repository-spec/ },
  { name: 'transfer cv: both targets', files: { 't.yaml': 'type: CTF\nfilePath: ./t\n' }, args: ['transfer', 'cv', './ctf//acme.org/app:1.0.0', './t', '--target-repository-spec', 't.yaml'], code: 'INVALID_ARGUMENT', message: /give one of them/ },
  { name: 'download: missing transformer file', args: ['download', 'resource', './ctf//acme.org/app:1.0.0', '--identity', 'name=x', '--transformer', 'none.yaml'], code: 'NOT_FOUND', message: /--transformer none\.yaml/ },
  { name: 'download: unknown transformer type', files: { 't.yaml': 'type: Uppercase/v1alpha1\n' }, args: ['download', 'resource', './ctf//acme.org/app:1.0.0', '--identity', 'name=x', '--transformer', 't.yaml'], code: 'UNSUPPORTED', message: /unknown blob-transformer type "Uppercase\/v1alpha1"/ },
];

for (const c of cases) {
  test(`spec-file flags: ${c.name} fails with one line [${c.code}]`, async () => {
    const dir = await tempDir();
    try {
      for (const [name, text] of Object.entries(c.files ?? {})) await writeFile(join(dir.path, name), text);
      const before = (await readdir(dir.path)).sort();
      const r = await runOcm(c.args, { cwd: dir.path, env: { HOME: dir.path, OCM_CONFIG: '' } });
      assert.notEqual(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, c.message);
      assert.match(lines[0]!, new RegExp(`\\[${c.code}\\]`));
      assert.deepEqual((await readdir(dir.path)).sort(), before, 'nothing written');
    } finally {
      await dir.dispose();
    }
  });
}
