/**
 * What `npm publish` would ship and how consumers reach it: the tarball as `npm pack --dry-run`
 * lists it (offline, built dist/ required), the subpath exports imported by package name
 * (self-reference), and a TypeScript consumer resolving them with NodeNext.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, tempDir } from './fixtures.js';

const run = promisify(execFile);

interface PackageJson {
  name: string;
  scripts?: Record<string, string>;
  exports: Record<string, { types: string; default: string } | string>;
}
const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as PackageJson;

/**
 * Unpacked tarball size bound: 2× the 941,471 bytes measured when subpath exports were introduced
 * (264 files), raised deliberately to 2.6 MB when helpers, proxy, plugin registries, views and deploy
 * landed (1.93 MB, 530 files, every file a dist/ module or its types). Growing past it means
 * something unintended is being shipped, or the bound needs another deliberate raise.
 */
const MAX_UNPACKED_BYTES = 2_600_000;
/**
 * The CLI bundle (dist/cli/bundle/, scripts/bundle-cli.mjs) is counted apart: 1.72 MB minified when
 * it was introduced (undici and commander inside, the large packages external). It duplicates the
 * CLI's modules, which stay shipped as the bin's fallback. Past this bound a large package slipped
 * into the bundle, or the bound needs a deliberate raise.
 */
const MAX_BUNDLE_BYTES = 2_100_000;

/** The key runtime exports per entry point; types are covered by the TypeScript consumer test. */
const KEY_EXPORTS: Record<string, readonly string[]> = {
  '.': ['OcmError', 'ErrorCode', 'bytesBlob', 'digestOf', 'parseDescriptor', 'serializeDescriptor', 'openRepository', 'parseComponentReference',
    'loadConstructor', 'addComponentVersions', 'loadConfig', 'createCredentialGraph', 'signComponentVersion', 'verifyComponentVersion', 'transfer', 'openLocation', 'createSession', 'createTypeRegistry'],
  './runtime': ['OcmError', 'ErrorCode', 'NotFoundError', 'defaultTypeRegistry', 'silentLogger'],
  './digest': ['parseDigest', 'formatDigest', 'digestOf', 'verifying', 'digestStream', 'readAllBounded', 'Limits'],
  './descriptor': ['parseDescriptor', 'serializeDescriptor', 'validateDescriptor', 'elementIdentity', 'componentDescriptorV2Schema'],
  './oci': ['RegistryClient', 'MemoryStore', 'copyGraph', 'copyReference', 'MediaType', 'parseOciReference', 'parseImageReference', 'ociLayoutTar', 'writeOciLayoutDir'],
  './ctf': ['openCtf', 'CtfStore', 'detectCtfFormat', 'ArtifactIndex'],
  './config': ['loadConfig', 'discoverConfigFiles', 'configEntriesOfType', 'parseConfigText'],
  './session': ['createSession'],
  './credentials': ['loadConfig', 'createCredentialGraph', 'matchIdentity', 'redact', 'parseDockerConfig'],
  './repository': ['openRepository', 'parseComponentReference', 'parseRepositoryReference', 'registerBuiltins', 'createTypeRegistry', 'accessMethod', 'OciComponentRepository', 'toTag'],
  './constructor': ['parseConstructor', 'loadConstructor', 'addComponentVersions', 'registerBuiltinInputs'],
  './signing': ['signComponentVersion', 'verifyComponentVersion', 'normalise', 'normalisedDigest', 'parsePrivateKey', 'parsePublicKey'],
  './transfer': ['transfer', 'planTransfer', 'executeTransfer', 'openLocation'],
  './plugin': ['runPlugin', 's', 'PluginError', 'writeLocation', 'openLocation', 'capabilitiesJson', 'createLogger'],
};
const specifierOf = (key: string) => (key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`);
const entryPoints = Object.keys(pkg.exports).filter((k) => k !== './package.json');
// A variable specifier keeps tsc from resolving the package's own (maybe not yet built) types.
const load = (specifier: string): Promise<Record<string, unknown>> => import(specifier) as Promise<Record<string, unknown>>;

interface PackResult { unpackedSize: number; entryCount: number; files: { path: string; size: number }[] }
let packed: Promise<PackResult> | undefined;
/** `npm pack --dry-run --json`, once per file: offline, scripts off (the test asserts there are none to run). */
function pack(): Promise<PackResult> {
  packed ??= run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--offline'], {
    cwd: repoRoot,
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
    maxBuffer: 16 * 1024 * 1024,
  }).then(({ stdout }) => (JSON.parse(stdout) as PackResult[])[0]!);
  return packed;
}

test('package.json has no pack or publish lifecycle scripts, so the dry-run listing is what publishing ships', () => {
  for (const s of ['prepack', 'prepare', 'postpack', 'prepublish', 'prepublishOnly']) assert.equal(pkg.scripts?.[s], undefined, s);
});

test('the npm tarball holds the CLI, the entry points with their types, and the README, but no tests, test kit or fixtures', async () => {
  const { files } = await pack();
  const paths = new Set(files.map((f) => f.path));
  assert.ok(paths.has('dist/bin/ocm.js'), 'dist/bin/ocm.js');
  assert.ok(paths.has('README.md'), 'README.md');
  assert.ok(paths.has('package.json'), 'package.json');
  if (existsSync(join(repoRoot, 'LICENSE'))) assert.ok(paths.has('LICENSE'), 'LICENSE');
  for (const key of entryPoints) {
    const target = pkg.exports[key] as { types: string; default: string };
    for (const file of [target.types, target.default]) assert.ok(paths.has(file.replace(/^\.\//, '')), `${key} → ${file} is not in the tarball`);
  }
  const shipped = [...paths];
  assert.deepEqual(shipped.filter((p) => /\.test\.|(^|\/)test\/|^dist\/testing\/|fixture/i.test(p)), [], 'tests, test kit or fixtures in the tarball');
  // dist/bin/ocm-credential-helper.cjs: the helper's bundled start-up path (scripts/bundle-helper.mjs), the package's bin.
  // dist/cli/bundle/: the CLI bundle (scripts/bundle-cli.mjs) that dist/bin/ocm.js runs; chunk names are content hashes.
  // Its inputs.json (chunk → modules, for the start-up tests) is not shipped: `files` takes only .js and .d.ts.
  for (const b of ['dist/bin/ocm-credential-helper.cjs', 'dist/cli/bundle/main.js', 'dist/cli/bundle/run.js']) assert.ok(paths.has(b), `${b} is not in the tarball`);
  assert.ok(!paths.has('dist/cli/bundle/inputs.json'), 'dist/cli/bundle/inputs.json is in the tarball');
  const bundles = new Set(shipped.filter((p) => p === 'dist/bin/ocm-credential-helper.cjs' || (p.startsWith('dist/cli/bundle/') && p.endsWith('.js'))));
  const chunks = Object.keys(JSON.parse(await readFile(join(repoRoot, 'dist', 'cli', 'bundle', 'inputs.json'), 'utf8')) as object).map((f) => `dist/cli/bundle/${f}`);
  assert.deepEqual([...bundles].filter((p) => p.startsWith('dist/cli/bundle/')).sort(), chunks.sort(), 'the tarball ships exactly the chunks of the last CLI bundle build');
  assert.deepEqual(shipped.filter((p) => !bundles.has(p) && !/^(dist\/.*\.(js|d\.ts)|README\.md|LICENSE|package\.json)$/.test(p)), [], 'unexpected files in the tarball');
  // Every module ships with its declarations, and every shipped file has a source: tsc never
  // deletes outputs of removed or moved sources, and such leftovers would be published.
  for (const p of shipped.filter((f) => f.endsWith('.js') && !bundles.has(f))) assert.ok(paths.has(p.replace(/\.js$/, '.d.ts')), `${p} without .d.ts`);
  const stale = shipped.filter((p) => p.startsWith('dist/') && !bundles.has(p) && !existsSync(join(repoRoot, 'src', p.slice(5).replace(/\.(js|d\.ts)$/, '.ts'))));
  assert.deepEqual(stale, [], 'build outputs without a source under src/ (stale dist/: rm -rf dist && npm run build)');
});

test(`the npm tarball unpacks to less than ${MAX_UNPACKED_BYTES} bytes besides the CLI bundle, which stays below ${MAX_BUNDLE_BYTES} bytes`, async () => {
  const { unpackedSize, files } = await pack();
  const bundle = files.filter((f) => f.path.startsWith('dist/cli/bundle/')).reduce((sum, f) => sum + f.size, 0);
  assert.ok(bundle > 0, 'the CLI bundle is in the tarball');
  assert.ok(unpackedSize - bundle < MAX_UNPACKED_BYTES, `unpacked size ${unpackedSize - bundle} bytes besides the CLI bundle`);
  assert.ok(bundle < MAX_BUNDLE_BYTES, `CLI bundle ${bundle} bytes`);
});

test('every entry point in package.json exports has a types and a default condition, the types first', () => {
  assert.deepEqual(entryPoints.sort(), Object.keys(KEY_EXPORTS).sort());
  for (const key of entryPoints) {
    const target = pkg.exports[key];
    assert.equal(typeof target, 'object', key);
    assert.deepEqual(Object.keys(target as object), ['types', 'default'], key);
  }
});

test('every entry point imports by package name and has its key exports', async () => {
  for (const [key, names] of Object.entries(KEY_EXPORTS)) {
    const mod = await load(specifierOf(key));
    for (const name of names) assert.notEqual(mod[name], undefined, `${specifierOf(key)} lacks ${name}`);
  }
});

test('the root export has no layer namespaces: each layer is a subpath', async () => {
  const root = await load(pkg.name);
  for (const ns of ['descriptor', 'ctf', 'registry', 'ociMapping', 'componentConstructor', 'credentials', 'signing', 'transferEngine']) assert.ok(!(ns in root), ns);
});

test('deep imports into dist/ and internal modules are not exported', async () => {
  for (const deep of ['dist/index.js', 'dist/ctf/store.js', 'dist/testing/fixtures.js', 'ctf/store.js', 'oci/remote', 'signing/normalise']) {
    await assert.rejects(load(`${pkg.name}/${deep}`), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' }, deep);
  }
});

test('docs/api.md documents every entry point', async () => {
  const doc = await readFile(join(repoRoot, 'docs', 'api.md'), 'utf8');
  for (const key of entryPoints) assert.ok(doc.includes(`## \`${specifierOf(key)}\``), `docs/api.md has no "## \`${specifierOf(key)}\`" section`);
});

test('a TypeScript consumer with moduleResolution NodeNext resolves the types of every entry point, not of deep paths, and the docs/api.md examples type-check', async (t) => {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) return t.skip('typescript is not installed (dev dependency)');
  const dir = await tempDir('ocm-ts-consumer-');
  t.after(dir.dispose);
  await mkdir(join(dir.path, 'node_modules'));
  await symlink(repoRoot, join(dir.path, 'node_modules', pkg.name), 'dir');
  await symlink(join(repoRoot, 'node_modules', '@types'), join(dir.path, 'node_modules', '@types'), 'dir');
  await writeFile(join(dir.path, 'package.json'), '{ "type": "module", "private": true }\n');
  // Each example is its own module (doc-example-<n>.ts, n counting from 1 in document order).
  const examples = [...(await readFile(join(repoRoot, 'docs', 'api.md'), 'utf8')).matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  assert.ok(examples.length >= entryPoints.length, `${examples.length} examples in docs/api.md`);
  const exampleFiles = await Promise.all(examples.map(async (text, i) => {
    await writeFile(join(dir.path, `doc-example-${i + 1}.ts`), `${text}export {};\n`);
    return `doc-example-${i + 1}.ts`;
  }));
  await writeFile(join(dir.path, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
    files: ['consumer.ts', ...exampleFiles],
  }));
  // Each import binds a type and a value, so an unresolved module is an error, not a silent any.
  await writeFile(join(dir.path, 'consumer.ts'), `
import { openRepository, OcmError, type ComponentDescriptor, type ComponentVersionRepository } from 'ocm-ts';
import { ErrorCode, type Identity } from 'ocm-ts/runtime';
import { digestOf, type Digest } from 'ocm-ts/digest';
import { parseDescriptor, type DescriptorFormat } from 'ocm-ts/descriptor';
import { RegistryClient, type OciDescriptor } from 'ocm-ts/oci';
import { openCtf, type CtfFormat } from 'ocm-ts/ctf';
import { loadConfig, type CredentialGraph } from 'ocm-ts/credentials';
import { parseComponentReference, type ComponentReference } from 'ocm-ts/repository';
import { parseConstructor, type ConstructorSpec } from 'ocm-ts/constructor';
import { signComponentVersion, type SignResult } from 'ocm-ts/signing';
import { planTransfer, type TransferOptions } from 'ocm-ts/transfer';
// @ts-expect-error deep paths are not exported
import type {} from 'ocm-ts/dist/ctf/store.js';
export const values = [openRepository, OcmError, ErrorCode.NOT_FOUND, digestOf, parseDescriptor, RegistryClient, openCtf, loadConfig,
  parseComponentReference, parseConstructor, signComponentVersion, planTransfer] as const;
export type Types = [ComponentDescriptor, ComponentVersionRepository, Identity, Digest, DescriptorFormat, OciDescriptor, CtfFormat,
  CredentialGraph, ComponentReference, ConstructorSpec, SignResult, TransferOptions];
const cd: ComponentDescriptor = parseDescriptor('');
export const name: string = cd.component.name;
`);
  try {
    await run(process.execPath, [tsc, '-p', dir.path], { cwd: dir.path });
  } catch (e) {
    const { stdout, stderr } = e as { stdout: string; stderr: string };
    assert.fail(`tsc failed:\n${stdout}${stderr}`);
  }
});
