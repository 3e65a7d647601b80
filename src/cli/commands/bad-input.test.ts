/**
 * The bad-input table, run through the CLI: every case fails with exit code != 0, one stderr line
 * `Error: <message naming the problem> [CODE]`, nothing on stdout, and nothing written to the target.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readdir, readFile, writeFile, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { runOcm } from '../../testing/cli.js';
import { conformance, tempDir } from '../../testing/fixtures.js';

const COMPONENT = 'github.com/acme.org/helloworld';
const GO_DIR_CTF = conformance('ocm/ctf/v1-0.20.0-localblob/transport-archive');
const BLOB = 'sha256.9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

interface Case {
  name: string;
  /** Prepares files in `dir`; returns the CLI arguments. */
  setup(dir: string, marker: string): Promise<string[]>;
  code: string;
  exit: number;
  message: RegExp;
}

const constructorHeader = 'components:\n  - name: acme.org/bad\n    version: 1.0.0\n    provider: {name: acme.org}\n';
const addInto = (file: string) => ['add', 'cv', '-c', file, '-r', 'target-ctf'];
const downloadFrom = (ref: string) => ['download', 'resource', `${ref}//${COMPONENT}:1.0.0`, '--identity', 'name=resource', '-O', 'target-file'];

/** A tar CTF built from the Go directory CTF plus extra entries. */
async function goTarWith(path: string, extra: (pack: tar.Pack) => void): Promise<void> {
  const pack = tar.pack();
  pack.entry({ name: 'artifact-index.json' }, await readFile(join(GO_DIR_CTF, 'artifact-index.json')));
  extra(pack);
  for (const f of await readdir(join(GO_DIR_CTF, 'blobs'))) {
    pack.entry({ name: `blobs/${f}` }, await readFile(join(GO_DIR_CTF, 'blobs', f)));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  await writeFile(path, Buffer.concat(chunks));
}

const cases: Case[] = [
  {
    name: 'malformed YAML in the constructor',
    setup: async (dir) => {
      await writeFile(join(dir, 'c.yaml'), 'components:\n  - name: acme.org/bad\n    version: 1.0.0\n   provider: {name: x}\n');
      return addInto('c.yaml');
    },
    code: 'PARSE_ERROR',
    exit: 4,
    message: /c\.yaml.*(YAML|yaml)/,
  },
  {
    name: 'schema violation: constructor component without provider',
    setup: async (dir) => {
      await writeFile(join(dir, 'c.yaml'), 'components:\n  - name: acme.org/bad\n    version: 1.0.0\n');
      return addInto('c.yaml');
    },
    code: 'VALIDATION_FAILED',
    exit: 4,
    message: /c\.yaml.*provider/,
  },
  {
    name: 'schema violation: unknown key in a component',
    setup: async (dir) => {
      await writeFile(join(dir, 'c.yaml'), `${constructorHeader}    colour: blue\n`);
      return addInto('c.yaml');
    },
    code: 'VALIDATION_FAILED',
    exit: 4,
    message: /c\.yaml.*colour/,
  },
  {
    name: 'duplicate resource identities',
    setup: async (dir) => {
      const r = (text: string) => `      - {name: data, type: blob, input: {type: utf8, text: ${text}}}\n`;
      await writeFile(join(dir, 'c.yaml'), `${constructorHeader}    resources:\n${r('one')}${r('two')}`);
      return addInto('c.yaml');
    },
    code: 'VALIDATION_FAILED',
    exit: 4,
    message: /c\.yaml.*(duplicate|identity|name=data)/i,
  },
  {
    name: 'missing file input',
    setup: async (dir) => {
      await writeFile(join(dir, 'c.yaml'), `${constructorHeader}    resources:\n      - {name: data, type: blob, input: {type: file, path: not-there.txt}}\n`);
      return addInto('c.yaml');
    },
    code: 'NOT_FOUND',
    exit: 3,
    message: /not-there\.txt/,
  },
  {
    name: 'file input leaving the constructor directory',
    setup: async (dir) => {
      await writeFile(join(dir, 'c.yaml'), `${constructorHeader}    resources:\n      - {name: data, type: blob, input: {type: file, path: ../../etc/hostname}}\n`);
      return addInto('c.yaml');
    },
    code: 'UNSAFE_PATH',
    exit: 4,
    message: /\.\.\/\.\.\/etc\/hostname/,
  },
  {
    name: 'missing file input, added into an existing directory CTF (left unchanged)',
    setup: async (dir) => {
      await cp(GO_DIR_CTF, join(dir, 'existing'), { recursive: true });
      await writeFile(join(dir, 'c.yaml'), `${constructorHeader}    resources:\n      - {name: data, type: blob, input: {type: file, path: gone.bin}}\n`);
      return ['add', 'cv', '-c', 'c.yaml', '-r', './existing'];
    },
    code: 'NOT_FOUND',
    exit: 3,
    message: /gone\.bin/,
  },
  {
    name: 'duplicate resource identities, added into an existing tgz CTF (left unchanged)',
    setup: async (dir) => {
      await cp(conformance('ocm/ctf/v1-0.20.0-localblob/transport-archive.tar.gz'), join(dir, 'existing.tgz'));
      const r = (text: string) => `      - {name: data, type: blob, input: {type: utf8, text: ${text}}}\n`;
      await writeFile(join(dir, 'c.yaml'), `${constructorHeader}    resources:\n${r('one')}${r('two')}`);
      return ['add', 'cv', '-c', 'c.yaml', '-r', 'existing.tgz'];
    },
    code: 'VALIDATION_FAILED',
    exit: 4,
    message: /identity .*"data".* already used/,
  },
  {
    name: 'CTF index with an extra key',
    setup: async (dir) => {
      await cp(GO_DIR_CTF, join(dir, 'ctf'), { recursive: true });
      const index = join(dir, 'ctf', 'artifact-index.json');
      await writeFile(index, (await readFile(index, 'utf8')).replace('{"schemaVersion":1,', '{"schemaVersion":1,"extra":true,'));
      return downloadFrom('./ctf');
    },
    code: 'VALIDATION_FAILED',
    exit: 4,
    message: /artifact-index\.json.*"extra"/,
  },
  {
    name: 'CTF index entry with an extra key',
    setup: async (dir) => {
      await cp(GO_DIR_CTF, join(dir, 'ctf'), { recursive: true });
      const index = join(dir, 'ctf', 'artifact-index.json');
      await writeFile(index, (await readFile(index, 'utf8')).replace('"tag":"1.0.0"', '"tag":"1.0.0","size":4'));
      return downloadFrom('./ctf');
    },
    code: 'VALIDATION_FAILED',
    exit: 4,
    message: /artifact-index\.json.*"size"/,
  },
  {
    name: 'tar CTF with an entry named ../',
    setup: async (dir, marker) => {
      await goTarWith(join(dir, 'ctf.tar'), (p) => p.entry({ name: `../${marker}` }, 'escaped'));
      return downloadFrom('./ctf.tar');
    },
    code: 'UNSAFE_PATH',
    exit: 4,
    message: /ctf\.tar.*\.\./,
  },
  {
    name: 'tar CTF with a symlink leaving the archive',
    setup: async (dir, marker) => {
      await goTarWith(join(dir, 'ctf.tar'), (p) => p.entry({ name: 'blobs/escape', type: 'symlink', linkname: `../../${marker}` }));
      return downloadFrom('./ctf.tar');
    },
    code: 'UNSAFE_PATH',
    exit: 4,
    message: /ctf\.tar.*(symlink|link)/i,
  },
  {
    name: 'blob whose content does not match its digest',
    setup: async (dir) => {
      await cp(GO_DIR_CTF, join(dir, 'ctf'), { recursive: true });
      await writeFile(join(dir, 'ctf', 'blobs', BLOB), 'TEST');
      return downloadFrom('./ctf');
    },
    code: 'DIGEST_MISMATCH',
    exit: 5,
    message: /sha256:9f86d081.*does not match/,
  },
  {
    name: 'blob whose content does not match its digest, streamed to stdout',
    setup: async (dir) => {
      await cp(GO_DIR_CTF, join(dir, 'ctf'), { recursive: true });
      await writeFile(join(dir, 'ctf', 'blobs', BLOB), 'TEST');
      return [...downloadFrom('./ctf').slice(0, -1), '-'];
    },
    code: 'DIGEST_MISMATCH',
    exit: 5,
    message: /sha256:9f86d081.*does not match/,
  },
];

/** Every file under `dir` with its SHA-256, to prove nothing changed. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    const p = join(dir, name);
    if (!(await stat(p)).isFile()) continue;
    const h = createHash('sha256');
    for await (const c of createReadStream(p)) h.update(c as Buffer);
    out[name] = h.digest('hex');
  }
  return out;
}

for (const c of cases) {
  test(`bad input: ${c.name} → one-line ${c.code}, nothing written`, async (t) => {
    const dir = await tempDir();
    t.after(() => dir.dispose());
    const marker = `ocm-escape-${randomBytes(6).toString('hex')}`;
    const args = await c.setup(dir.path, marker);
    const before = await snapshot(dir.path);

    const r = await runOcm(args, { cwd: dir.path });

    assert.equal(r.code, c.exit, `exit code (stderr: ${r.stderr})`);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '', 'nothing on stdout');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one stderr line, got:\n${r.stderr}`);
    assert.match(lines[0]!, new RegExp(`^Error: .+ \\[${c.code}\\]$`));
    assert.match(lines[0]!, c.message);
    assert.deepEqual(await snapshot(dir.path), before, 'the working directory (inputs and targets) is unchanged');
    await assert.rejects(stat(join(dir.path, 'target-ctf')), 'no target CTF created');
    await assert.rejects(stat(join(dir.path, 'target-file')), 'no output file created');
    await assert.rejects(stat(join(tmpdir(), marker)), 'nothing written outside the archive');
    await assert.rejects(stat(join(dir.path, '..', marker)), 'nothing written outside the archive');
  });
}
