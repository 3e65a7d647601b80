/**
 * The malformed-input corpus, local files: component constructors, CTF directories and archives.
 * Every row runs the real CLI in a fresh sandbox and must fail with the documented exit code, one
 * `Error: ... [CODE]` line, no stack, nothing on stdout and nothing written or left behind (see
 * src/testing/malformed-corpus.ts).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { conformance } from '../../testing/fixtures.js';
import { aliasBombLines, corpus, type CorpusCase, type Sandbox } from '../../testing/malformed-corpus.js';

const COMPONENT = 'github.com/acme.org/helloworld';
const GO_DIR_CTF = conformance('ocm/ctf/v1-0.20.0-localblob/transport-archive');
const MANIFEST = 'sha256.6d776ef2c9c156ca260a67b335435f4ef20a1c8e777afee89148b06d5688e753';
const DESCRIPTOR_LAYER = 'sha256.7164be671f47d4f2b427363b3efd144c2705219e5046d23a28a181ce602cf152';
const CONFIG = 'sha256.2baf8ddb61e330b305ace78703681cf935f96ca8b59393c5eb72a83c92969ecc';
const BLOB = 'sha256.9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const MIB = 1024 * 1024;

// ---------------------------------------------------------------- constructors

const header = 'components:\n  - name: acme.org/bad\n    version: 1.0.0\n    provider: {name: acme.org}\n';
const withResources = (...rows: string[]) => `${header}    resources:\n${rows.map((r) => `      - ${r}\n`).join('')}`;
const fileResource = (path: string) => `{name: data, type: blob, input: {type: file, path: "${path}"}}`;

/** `add cv -c c.yaml -r target-ctf` with `text` as the constructor. */
const construct = (name: string, text: string | Buffer, code: CorpusCase['code'], extra: Partial<CorpusCase> = {}): CorpusCase => ({
  name: `constructor: ${name}`,
  setup: async (s) => {
    await s.file('c.yaml', text);
    return ['add', 'cv', '-c', 'c.yaml', '-r', 'target-ctf'];
  },
  code,
  ...extra,
});

/** A constructor plus files around it (prepared by `prepare`). */
const constructWith = (name: string, text: string, prepare: (s: Sandbox) => Promise<void>, code: CorpusCase['code'], extra: Partial<CorpusCase> = {}): CorpusCase => ({
  name: `constructor: ${name}`,
  setup: async (s) => {
    await mkdir(join(s.work, 'src'));
    await writeFile(join(s.work, 'src', 'c.yaml'), text);
    await prepare(s);
    return ['add', 'cv', '-c', 'src/c.yaml', '-r', 'target-ctf'];
  },
  code,
  ...extra,
});

const aliasBomb = [
  ...aliasBombLines(7),
  'components: [*g]',
].join('\n');


const constructorCases: CorpusCase[] = [
  construct('empty file', '', 'VALIDATION_FAILED', { message: /no component/ }),
  construct('only comments', '# nothing here\n# at all\n', 'VALIDATION_FAILED', { message: /no component/ }),
  construct('NUL bytes in the text', `${header}\0\0\0\n`, 'PARSE_ERROR'),
  construct('UTF-16 text (BOM FF FE)', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(header, 'utf16le')]), ['PARSE_ERROR', 'VALIDATION_FAILED']),
  construct('binary garbage (PNG header)', Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex'), ['PARSE_ERROR', 'VALIDATION_FAILED'], {
  }),
  construct('tab indentation', 'components:\n\t- name: acme.org/bad\n', 'PARSE_ERROR', { message: /c\.yaml/ }),
  construct('unterminated quoted string', `${header}    labels: [{name: a, value: "open}]\n`, 'PARSE_ERROR'),
  construct('duplicate mapping key', `${header}    version: 2.0.0\n`, 'PARSE_ERROR', { message: /c\.yaml/ }),
  construct('second document malformed', `${header}---\ncomponents: [\n`, 'PARSE_ERROR'),
  construct('the same component version in two documents', `${header}---\n${header}`, 'VALIDATION_FAILED', { message: /acme\.org\/bad/ }),
  construct('the same component version twice in one list', `${header}  - name: acme.org/bad\n    version: 1.0.0\n    provider: {name: acme.org}\n`, 'VALIDATION_FAILED'),
  construct('top level is a scalar', 'just a string\n', 'VALIDATION_FAILED'),
  construct('top level is a list', '- name: acme.org/bad\n  version: 1.0.0\n', 'VALIDATION_FAILED'),
  construct('components is a mapping', 'components: {name: acme.org/bad}\n', 'VALIDATION_FAILED', { message: /components/ }),
  construct('component name in upper case', header.replace('acme.org/bad', 'Acme.org/Bad'), 'VALIDATION_FAILED', { message: /Acme\.org\/Bad|name/ }),
  construct('component name without a domain', header.replace('acme.org/bad', 'helloworld'), 'VALIDATION_FAILED', { message: /helloworld|name/ }),
  construct('version is not semver', header.replace('1.0.0', 'latest'), 'VALIDATION_FAILED', { message: /latest|version/ }),
  construct('version is empty', header.replace('1.0.0', '""'), 'VALIDATION_FAILED', { message: /version/ }),
  construct('version is a mapping', header.replace('1.0.0', '{major: 1}'), 'VALIDATION_FAILED', { message: /version/ }),
  construct('provider name empty', header.replace('{name: acme.org}', '{name: ""}'), 'VALIDATION_FAILED', { message: /provider/ }),
  construct('resource without a type', withResources('{name: data, input: {type: utf8, text: x}}'), 'VALIDATION_FAILED', { message: /type/ }),
  construct('resource with neither input nor access', withResources('{name: data, type: blob}'), 'VALIDATION_FAILED', { message: /input|access/ }),
  construct(
    'resource with both input and access',
    withResources('{name: data, type: blob, input: {type: utf8, text: x}, access: {type: localBlob/v1, localReference: "sha256:00", mediaType: text/plain}}'),
    'VALIDATION_FAILED',
    { message: /input|access/ },
  ),
  construct('resource with an unknown input type', withResources('{name: data, type: blob, input: {type: ftp, url: "ftp://x"}}'), ['UNSUPPORTED', 'VALIDATION_FAILED'], { message: /ftp/ }),
  construct('resource relation "sideways"', withResources('{name: data, type: blob, relation: sideways, input: {type: utf8, text: x}}'), 'VALIDATION_FAILED', { message: /relation|sideways/ }),
  construct('resource name empty', withResources('{name: "", type: blob, input: {type: utf8, text: x}}'), 'VALIDATION_FAILED', { message: /name/ }),
  construct('utf8 input without text', withResources('{name: data, type: blob, input: {type: utf8}}'), 'VALIDATION_FAILED', { message: /text/ }),
  construct('binary input that is not base64', withResources('{name: data, type: blob, input: {type: binary, data: "!!not base64!!"}}'), ['VALIDATION_FAILED', 'PARSE_ERROR'], { message: /base64|data/ }),
  construct('labels not a list', `${header}    labels: {name: a}\n`, 'VALIDATION_FAILED', { message: /labels/ }),
  construct(
    'duplicate source identities',
    `${header}    sources:\n      - {name: src, type: git, input: {type: utf8, text: a}}\n      - {name: src, type: git, input: {type: utf8, text: b}}\n`,
    'VALIDATION_FAILED',
    { message: /src/ },
  ),
  construct(
    'duplicate component reference names',
    `${header}    componentReferences:\n      - {name: ref, componentName: acme.org/a, version: 1.0.0}\n      - {name: ref, componentName: acme.org/b, version: 1.0.0}\n`,
    'VALIDATION_FAILED',
    { message: /ref/ },
  ),
  construct('component reference with an invalid component name', `${header}    componentReferences:\n      - {name: ref, componentName: "not a name", version: 1.0.0}\n`, 'VALIDATION_FAILED', { message: /not a name|componentName/ }),
  construct('component reference with an invalid version', `${header}    componentReferences:\n      - {name: ref, componentName: acme.org/a, version: "one"}\n`, 'VALIDATION_FAILED', { message: /one|version/ }),
  construct('an undefined environment variable', header.replace('1.0.0', '${OCM_CORPUS_UNSET_VERSION}'), 'INVALID_ARGUMENT', { message: /OCM_CORPUS_UNSET_VERSION/ }),
  construct('a malformed variable reference', header.replace('1.0.0', '${1.0}'), 'INVALID_ARGUMENT', { message: /variable/ }),
  construct('YAML alias bomb', aliasBomb, ['PARSE_ERROR', 'LIMIT_EXCEEDED'], { message: /c\.yaml/ }),
  construct('10,000 nested flow sequences', `components: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`, ['PARSE_ERROR', 'LIMIT_EXCEEDED'], { message: /c\.yaml/ }),
  construct('10,000 nested block mappings', `components:\n${Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')} x\n`, ['PARSE_ERROR', 'LIMIT_EXCEEDED', 'VALIDATION_FAILED'], {
    message: /c\.yaml/,
  }),
  construct('a 20 MiB scalar', `${header}    labels: [{name: big, value: "${'x'.repeat(20 * MIB)}"}]\n`, ['LIMIT_EXCEEDED', 'PARSE_ERROR'], {
    message: /c\.yaml/,
    timeoutMs: 10_000,
  }),
  {
    name: 'constructor: the constructor file does not exist',
    setup: async () => ['add', 'cv', '-c', 'nothing-here.yaml', '-r', 'target-ctf'],
    code: 'NOT_FOUND',
    message: /nothing-here\.yaml/,
  },
  {
    name: 'constructor: a directory without a constructor file',
    setup: async (s) => {
      await mkdir(join(s.work, 'empty-dir'));
      return ['add', 'cv', '-c', 'empty-dir', '-r', 'target-ctf'];
    },
    code: 'NOT_FOUND',
    message: /empty-dir/,
  },
  {
    name: 'constructor: unknown --format for the new CTF',
    setup: async (s) => {
      await s.file('c.yaml', withResources('{name: data, type: blob, input: {type: utf8, text: x}}'));
      return ['add', 'cv', '-c', 'c.yaml', '-r', 'target-ctf', '--format', 'zip'];
    },
    code: 'INVALID_ARGUMENT',
    message: /zip/,
  },
  constructWith('file input with an absolute path', withResources(fileResource('/etc/hostname')), async () => undefined, 'UNSAFE_PATH', { message: /\/etc\/hostname/ }),
  constructWith(
    'file input through a symlink leaving the directory',
    withResources(fileResource('link.txt')),
    async (s) => {
      await s.file('outside.txt', 'secret');
      await symlink('../outside.txt', join(s.work, 'src', 'link.txt'));
    },
    'UNSAFE_PATH',
    { message: /link\.txt/ },
  ),
  constructWith(
    'file input through a symlink to /dev/zero',
    withResources(fileResource('zero')),
    async (s) => {
      await symlink('/dev/zero', join(s.work, 'src', 'zero'));
    },
    ['UNSAFE_PATH', 'VALIDATION_FAILED', 'UNSUPPORTED'],
    { message: /zero/, timeoutMs: 15_000 },
  ),
  constructWith(
    'file input that is a FIFO',
    withResources(fileResource('pipe')),
    async (s) => {
      execFileSync('mkfifo', [join(s.work, 'src', 'pipe')]);
    },
    // INVALID_ARGUMENT is what the inputs say for "not a regular file" (arguably VALIDATION_FAILED).
    ['INVALID_ARGUMENT', 'VALIDATION_FAILED', 'UNSUPPORTED', 'IO_ERROR'],
    { message: /pipe/, timeoutMs: 15_000 },
  ),
  constructWith('file input that is a directory', withResources(fileResource('sub')), async (s) => mkdir(join(s.work, 'src', 'sub')).then(() => undefined), ['INVALID_ARGUMENT', 'VALIDATION_FAILED', 'IO_ERROR'], {
    message: /sub/,
  }),
  constructWith('dir input that does not exist', withResources('{name: data, type: blob, input: {type: dir, path: nowhere}}'), async () => undefined, 'NOT_FOUND', { message: /nowhere/ }),
  constructWith('dir input leaving the directory', withResources('{name: data, type: blob, input: {type: dir, path: ..}}'), async () => undefined, 'UNSAFE_PATH', { message: /\.\./ }),
  constructWith(
    // (symlinks in a dir input are stored as links, never followed: not an error)
    'dir input holding a FIFO',
    withResources('{name: data, type: blob, input: {type: dir, path: tree}}'),
    async (s) => {
      await mkdir(join(s.work, 'src', 'tree'));
      await writeFile(join(s.work, 'src', 'tree', 'ok.txt'), 'ok');
      execFileSync('mkfifo', [join(s.work, 'src', 'tree', 'pipe')]);
    },
    'UNSUPPORTED',
    { message: /pipe/, timeoutMs: 15_000 },
  ),
  constructWith(
    'dir input that is a regular file',
    withResources('{name: data, type: blob, input: {type: dir, path: plain.txt}}'),
    async (s) => writeFile(join(s.work, 'src', 'plain.txt'), 'x'),
    ['INVALID_ARGUMENT', 'VALIDATION_FAILED', 'IO_ERROR', 'NOT_FOUND'],
    { message: /plain\.txt/ },
  ),
];

// ---------------------------------------------------------------- CTF directories and archives

const ref = (repo: string) => `${repo}//${COMPONENT}:1.0.0`;
const getCv = (repo: string) => ['get', 'cv', ref(repo)];
const download = (repo: string) => ['download', 'resource', ref(repo), '--identity', 'name=resource', '-O', 'target-file'];

/** The Go directory CTF copied to `work/ctf`, writable. */
async function goCtf(s: Sandbox, name = 'ctf'): Promise<string> {
  const dir = join(s.work, name);
  await cp(GO_DIR_CTF, dir, { recursive: true });
  await chmod(dir, 0o755);
  await chmod(join(dir, 'blobs'), 0o755);
  for (const f of await readdir(join(dir, 'blobs'))) await chmod(join(dir, 'blobs', f), 0o644);
  await chmod(join(dir, 'artifact-index.json'), 0o644);
  return dir;
}

type Entry = { name: string; content?: string | Buffer; type?: tar.Header['type']; linkname?: string };

/** The Go CTF's entries (index first), optionally changed by `edit`. */
async function goEntries(): Promise<Entry[]> {
  const out: Entry[] = [{ name: 'artifact-index.json', content: await readFile(join(GO_DIR_CTF, 'artifact-index.json')) }];
  for (const f of (await readdir(join(GO_DIR_CTF, 'blobs'))).sort()) out.push({ name: `blobs/${f}`, content: await readFile(join(GO_DIR_CTF, 'blobs', f)) });
  return out;
}

async function tarBytes(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const h = { name: e.name, mtime: new Date(0) } as tar.Header;
    if (e.type) h.type = e.type;
    if (e.linkname) h.linkname = e.linkname;
    if (e.type === 'character-device' || e.type === 'block-device') Object.assign(h, { devmajor: 1, devminor: 3 });
    pack.entry(h, e.content ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A tar CTF (`ctf.tar`) made of the Go CTF's entries transformed by `edit`, read by `args`. */
const tarCase = (name: string, edit: (e: Entry[]) => Entry[], code: CorpusCase['code'], extra: Partial<CorpusCase> & { gzip?: boolean; args?: (repo: string) => string[] } = {}): CorpusCase => {
  const file = extra.gzip ? 'ctf.tgz' : 'ctf.tar';
  return {
    name: `archive: ${name}`,
    setup: async (s) => {
      const bytes = await tarBytes(edit(await goEntries()));
      await s.file(file, extra.gzip ? gzipSync(bytes) : bytes);
      return (extra.args ?? download)(`./${file}`);
    },
    code,
    ...extra,
  };
};

/** The Go directory CTF changed by `edit`, read by `args` (default: download the resource). */
const dirCase = (name: string, edit: (dir: string, s: Sandbox) => Promise<unknown>, code: CorpusCase['code'], extra: Partial<CorpusCase> & { args?: (repo: string) => string[] } = {}): CorpusCase => ({
  name: `CTF directory: ${name}`,
  setup: async (s) => {
    await edit(await goCtf(s), s);
    return (extra.args ?? download)('./ctf');
  },
  code,
  ...extra,
});

const indexFile = (dir: string) => join(dir, 'artifact-index.json');
const setIndex = (text: string) => (dir: string) => writeFile(indexFile(dir), text);
const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
/** Stores `content` as a blob named by its real digest and points the index's manifest at it. */
const manifestIs = (content: string) => async (dir: string) => {
  const hex = sha256(content);
  await writeFile(join(dir, 'blobs', `sha256.${hex}`), content);
  await rm(join(dir, 'blobs', MANIFEST));
  const index = await readFile(indexFile(dir), 'utf8');
  await writeFile(indexFile(dir), index.replace(MANIFEST.replace('sha256.', 'sha256:'), `sha256:${hex}`));
};
/** Replaces the descriptor layer by `content` (stored under its own digest, manifest and index updated). */
const descriptorLayerIs = (content: Buffer) => async (dir: string) => {
  const hex = sha256(content);
  const relink = (text: string) => text.replaceAll(DESCRIPTOR_LAYER.replace('sha256.', 'sha256:'), `sha256:${hex}`).replaceAll('"size":2560', `"size":${content.length}`);
  // The config blob names the descriptor layer too; it gets a new digest, which the manifest names.
  const config = relink(await readFile(join(dir, 'blobs', CONFIG), 'utf8'));
  const configHex = sha256(config);
  await writeFile(join(dir, 'blobs', `sha256.${configHex}`), config);
  await rm(join(dir, 'blobs', CONFIG));
  const manifest = relink(await readFile(join(dir, 'blobs', MANIFEST), 'utf8'))
    .replace(CONFIG.replace('sha256.', 'sha256:'), `sha256:${configHex}`)
    .replace('"size":201', `"size":${config.length}`);
  await writeFile(join(dir, 'blobs', `sha256.${hex}`), content);
  await rm(join(dir, 'blobs', DESCRIPTOR_LAYER));
  await manifestIs(manifest)(dir);
};
const descriptorTar = (yaml: string) => tarBytes([{ name: 'component-descriptor.yaml', content: yaml }]);


const archiveCases: CorpusCase[] = [
  {
    name: 'archive: tar cut in the middle of an entry',
    setup: async (s) => {
      const bytes = await tarBytes(await goEntries());
      await s.file('ctf.tar', bytes.subarray(0, 1536 + 300));
      return download('./ctf.tar');
    },
    code: ['PARSE_ERROR', 'NOT_FOUND'],
    message: /ctf\.tar/,
  },
  {
    name: 'archive: tgz cut in half',
    setup: async (s) => {
      const bytes = gzipSync(await tarBytes(await goEntries()));
      await s.file('ctf.tgz', bytes.subarray(0, bytes.length >> 1));
      return download('./ctf.tgz');
    },
    code: 'PARSE_ERROR',
    message: /ctf\.tgz/,
  },
  {
    name: 'archive: gzip magic followed by garbage',
    setup: async (s) => {
      await s.file('ctf.tgz', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(64, 0x5a)]));
      return download('./ctf.tgz');
    },
    code: 'PARSE_ERROR',
    message: /ctf\.tgz/,
  },
  {
    name: 'archive: valid gzip of text that is not a tar',
    setup: async (s) => {
      await s.file('ctf.tgz', gzipSync(Buffer.from('hello, this is not a tar archive\n'.repeat(40))));
      return download('./ctf.tgz');
    },
    code: 'PARSE_ERROR',
    message: /ctf\.tgz/,
  },
  {
    name: 'archive: an empty .tar file',
    setup: async (s) => {
      await s.file('ctf.tar', '');
      return getCv('./ctf.tar');
    },
    code: ['PARSE_ERROR', 'NOT_FOUND'],
    message: /ctf\.tar/,
  },
  tarCase('an absolute entry name', (e) => [...e, { name: '/tmp/ocm-corpus-absolute', content: 'x' }], 'UNSAFE_PATH', { message: /absolute/ }),
  tarCase('an entry blobs/../../x', (e) => [...e, { name: 'blobs/../../escaped', content: 'x' }], 'UNSAFE_PATH', { message: /\.\./ }),
  tarCase('a gzip\'d archive with a .. entry', (e) => [{ name: '../escaped', content: 'x' }, ...e], 'UNSAFE_PATH', { gzip: true, message: /\.\./ }),
  tarCase('a symlink to an absolute path', (e) => [...e, { name: 'blobs/passwd', type: 'symlink', linkname: '/etc/passwd' }], 'UNSAFE_PATH', { message: /passwd|link/ }),
  tarCase('a hardlink inside the archive', (e) => [...e, { name: 'blobs/hard', type: 'link', linkname: `blobs/${BLOB}` }], ['UNSAFE_PATH', 'UNSUPPORTED'], { message: /hard|link/ }),
  tarCase('a hardlink leaving the archive', (e) => [...e, { name: 'blobs/hard', type: 'link', linkname: '../../etc/passwd' }], ['UNSAFE_PATH', 'UNSUPPORTED'], { message: /hard|link/ }),
  tarCase('a character device entry', (e) => [...e, { name: 'blobs/null', type: 'character-device' }], ['UNSAFE_PATH', 'UNSUPPORTED'], { message: /null|device/ }),
  tarCase('a FIFO entry', (e) => [...e, { name: 'blobs/fifo', type: 'fifo' }], ['UNSAFE_PATH', 'UNSUPPORTED'], { message: /fifo/ }),
  tarCase(
    'artifact-index.json twice with different content',
    (e) => [...e, { name: 'artifact-index.json', content: '{"schemaVersion":1,"artifacts":[]}' }],
    ['PARSE_ERROR', 'VALIDATION_FAILED', 'UNSAFE_PATH'],
    { message: /artifact-index\.json|duplicate/ },
  ),
  tarCase('no artifact-index.json', (e) => e.slice(1), ['NOT_FOUND', 'VALIDATION_FAILED', 'PARSE_ERROR'], { message: /artifact-index\.json|not found|does not/ }),
  tarCase('artifact-index.json is not JSON', (e) => [{ name: 'artifact-index.json', content: '{"schemaVersion":1,' }, ...e.slice(1)], 'PARSE_ERROR', { message: /artifact-index\.json/ }),
  tarCase(
    'a corrupt blob in a tgz, transferred into a new CTF',
    (e) => e.map((x) => (x.name === `blobs/${BLOB}` ? { ...x, content: 'TEST' } : x)),
    'DIGEST_MISMATCH',
    { gzip: true, args: (repo) => ['transfer', 'cv', '-q', ref(repo), './target-ctf', '--copy-resources'] },
  ),
  dirCase('artifact-index.json missing', (dir) => rm(indexFile(dir)), ['NOT_FOUND', 'VALIDATION_FAILED'], { args: getCv }),
  dirCase('artifact-index.json is an array', setIndex('[]'), 'VALIDATION_FAILED', { message: /artifact-index\.json/, args: getCv }),
  dirCase('artifact-index.json is empty', setIndex(''), ['PARSE_ERROR', 'VALIDATION_FAILED'], { message: /artifact-index\.json/, args: getCv }),
  dirCase('artifact-index.json with schemaVersion 2', setIndex('{"schemaVersion":2,"artifacts":[]}'), ['VALIDATION_FAILED', 'UNSUPPORTED'], { message: /artifact-index\.json|schemaVersion/, args: getCv }),
  dirCase('artifacts is an object', setIndex('{"schemaVersion":1,"artifacts":{}}'), 'VALIDATION_FAILED', { message: /artifact-index\.json/, args: getCv }),
  dirCase(
    'an index entry without a digest',
    setIndex(`{"schemaVersion":1,"artifacts":[{"repository":"component-descriptors/${COMPONENT}","tag":"1.0.0"}]}`),
    'VALIDATION_FAILED',
    { message: /artifact-index\.json|digest/, args: getCv },
  ),
  dirCase(
    'an index entry with a malformed digest',
    setIndex(`{"schemaVersion":1,"artifacts":[{"repository":"component-descriptors/${COMPONENT}","tag":"1.0.0","digest":"sha256:xyz"}]}`),
    ['VALIDATION_FAILED', 'INVALID_ARGUMENT'],
    { message: /sha256:xyz|digest/, args: getCv },
  ),
  dirCase('artifact-index.json nested 100,000 deep', setIndex(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), ['PARSE_ERROR', 'LIMIT_EXCEEDED', 'VALIDATION_FAILED'], {
    message: /artifact-index\.json/,
    args: getCv,
  }),
  dirCase(
    'a 20 MiB artifact-index.json',
    setIndex(`{"schemaVersion":1,"artifacts":[${Array.from({ length: 200_000 }, (_, i) => `{"repository":"component-descriptors/acme.org/c${i}","tag":"1.0.0","digest":"sha256:${'0'.repeat(64)}"}`).join(',')}]}`),
    ['LIMIT_EXCEEDED', 'NOT_FOUND'],
    { message: /artifact-index\.json|helloworld/, args: getCv },
  ),
  dirCase('the index names a manifest that is not there', (dir) => rm(join(dir, 'blobs', MANIFEST)), 'NOT_FOUND', { message: /helloworld|6d776ef2/, args: getCv }),
  dirCase('the manifest does not match its digest', (dir) => writeFile(join(dir, 'blobs', MANIFEST), '{"schemaVersion":2}'), 'DIGEST_MISMATCH', { message: /6d776ef2/, args: getCv }),
  dirCase('the manifest is not JSON', manifestIs('<html>not a manifest</html>'), ['PARSE_ERROR', 'VALIDATION_FAILED'], { args: getCv }),
  dirCase('the manifest has no layers', manifestIs('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.ocm.software.component.config.v1+json","digest":"sha256:2baf8ddb61e330b305ace78703681cf935f96ca8b59393c5eb72a83c92969ecc","size":201}}'), ['VALIDATION_FAILED', 'NOT_FOUND'], { args: getCv }),
  dirCase('the descriptor layer is missing', (dir) => rm(join(dir, 'blobs', DESCRIPTOR_LAYER)), 'NOT_FOUND', { message: /7164be67/, args: getCv }),
  dirCase(
    'a blob file name in upper-case hex',
    (dir) => rename(join(dir, 'blobs', DESCRIPTOR_LAYER), join(dir, 'blobs', DESCRIPTOR_LAYER.toUpperCase().replace('SHA256.', 'sha256.'))),
    'NOT_FOUND',
    { message: /7164be67/, args: getCv },
  ),
  dirCase('the descriptor layer is not a tar', descriptorLayerIs(Buffer.from('component:\n  name: x\n')), ['PARSE_ERROR', 'VALIDATION_FAILED'], { args: getCv }),
  dirCase('the descriptor in the layer is not YAML', async (dir) => descriptorLayerIs(await descriptorTar('component: [\n'))(dir), 'PARSE_ERROR', { args: getCv }),
  dirCase('the descriptor in the layer breaks the schema', async (dir) => descriptorLayerIs(await descriptorTar('meta: {schemaVersion: v2}\ncomponent: {name: 7}\n'))(dir), 'VALIDATION_FAILED', { args: getCv }),
  dirCase('the descriptor is a YAML alias bomb', async (dir) => descriptorLayerIs(await descriptorTar(aliasBomb))(dir), ['PARSE_ERROR', 'LIMIT_EXCEEDED'], { args: getCv }),
  dirCase('the local blob is missing', (dir) => rm(join(dir, 'blobs', BLOB)), 'NOT_FOUND', { message: /9f86d081/ }),
  dirCase('the local blob is longer than its size', (dir) => writeFile(join(dir, 'blobs', BLOB), 'test-and-more'), 'DIGEST_MISMATCH', { message: /9f86d081/ }),
  dirCase('the local blob is a directory', async (dir) => {
    await rm(join(dir, 'blobs', BLOB));
    await mkdir(join(dir, 'blobs', BLOB));
  }, ['IO_ERROR', 'NOT_FOUND', 'VALIDATION_FAILED'], { message: /9f86d081/ }),
  dirCase('a corrupt blob, transferred into a new directory CTF', (dir) => writeFile(join(dir, 'blobs', BLOB), 'TEST'), 'DIGEST_MISMATCH', {
    args: (repo) => ['transfer', 'cv', '-q', ref(repo), './target-ctf', '--copy-resources'],
  }),
  dirCase('a missing manifest, transferred into a new tgz CTF', (dir) => rm(join(dir, 'blobs', MANIFEST)), 'NOT_FOUND', {
    args: (repo) => ['transfer', 'cv', '-q', ref(repo), './target.tgz'],
  }),
  {
    name: 'archive: adding into an existing corrupt tgz (left unchanged)',
    setup: async (s) => {
      await s.file('existing.tgz', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(100, 1)]));
      await s.file('c.yaml', withResources('{name: data, type: blob, input: {type: utf8, text: x}}'));
      return ['add', 'cv', '-c', 'c.yaml', '-r', 'existing.tgz'];
    },
    code: 'PARSE_ERROR',
    message: /existing\.tgz/,
  },
  {
    name: 'archive: the repository path is a regular file that is not an archive',
    setup: async (s) => {
      await s.file('notes.txt', 'just notes');
      return getCv('ctf::./notes.txt');
    },
    code: ['PARSE_ERROR', 'VALIDATION_FAILED', 'UNSUPPORTED'],
    message: /notes\.txt/,
  },
  {
    name: 'archive: the CTF directory does not exist',
    setup: async () => getCv('./no-such-ctf'),
    code: 'NOT_FOUND',
    message: /no-such-ctf/,
  },
];

corpus('malformed constructors', constructorCases);
corpus('malformed CTF directories and archives', archiveCases);
