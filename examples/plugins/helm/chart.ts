/**
 * Loads a chart as helm's loader does (pkg/chart/v2/loader: directory.go, load.go, archive.go) and
 * decides what `helm package` writes (pkg/chart/v2/util/save.go): the files, their order and the
 * re-serialised Chart.yaml / Chart.lock. Regular files stream from disk; only the metadata files
 * (and subcharts packed as .tgz, which helm expands) are read into memory, bounded.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { parse as parseYaml } from 'yaml';
import { goYamlMarshal, type JsonValue } from './goyaml.js';
import { HelmIgnore } from './helmignore.js';

/** A chart problem: one line naming the file (the plugin answers 400 with it). */
export class ChartError extends Error {}

export interface SourceFile {
  /** Path inside the chart, `/`-separated. */
  readonly name: string;
  readonly size: number;
  /** Disk files: the path and how many BOM bytes to skip (helm drops a UTF-8 BOM). */
  readonly path?: string;
  readonly skip?: number;
  /** In-memory files (from a .tgz). */
  readonly data?: Buffer;
}

/** One entry of the package, in order. `text` entries are the re-serialised metadata files. */
export type PackageEntry = { readonly name: string; readonly file: SourceFile } | { readonly name: string; readonly text: string };

export interface LoadedChart {
  readonly name: string;
  readonly version: string;
  readonly apiVersion: string;
  readonly entries: PackageEntry[];
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const METADATA_LIMIT = 4 << 20;
const ARCHIVE_LIMIT = 64 << 20;
const utf8Compare = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function streamOf(f: SourceFile, signal?: AbortSignal): Readable | Buffer {
  if (f.data) return f.data;
  return createReadStream(f.path!, { start: f.skip ?? 0, ...(signal ? { signal } : {}) });
}

async function contentOf(f: SourceFile, where: string): Promise<Buffer> {
  if (f.data) return f.data;
  if (f.size > METADATA_LIMIT) throw new ChartError(`${where}: larger than ${METADATA_LIMIT} bytes`);
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(f.path!, { start: f.skip ?? 0 })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function diskFile(path: string, name: string, size: number): Promise<SourceFile> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(3);
    const { bytesRead } = await fh.read(head, 0, 3, 0);
    const skip = bytesRead === 3 && head.equals(BOM) ? 3 : 0;
    return { name, path, size: size - skip, skip };
  } finally {
    await fh.close();
  }
}

/** The directory walk of helm's LoadDir: lexical order, symlinks followed, .helmignore + defaults. */
async function walkDir(top: string, display: string): Promise<SourceFile[]> {
  let rules: HelmIgnore;
  try {
    rules = await HelmIgnore.load(join(top, '.helmignore'));
  } catch (e) {
    throw new ChartError(`${posix.join(display, '.helmignore')}: ${(e as Error).message}`);
  }
  const out: SourceFile[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const names = (await readdir(dir)).sort(utf8Compare);
    for (const n of names) {
      const abs = join(dir, n);
      const name = rel ? `${rel}/${n}` : n;
      const info = await stat(abs).catch(() => undefined);
      if (!info) throw new ChartError(`${posix.join(display, name)}: cannot be read (dangling symlink?)`);
      if (info.isDirectory()) {
        if (!rules.ignore(name, true)) await walk(abs, name);
        continue;
      }
      if (rules.ignore(name, false)) continue;
      if (!info.isFile()) throw new ChartError(`${posix.join(display, name)}: cannot load irregular file (device, socket or pipe)`);
      out.push(await diskFile(abs, name, info.size));
    }
  };
  await walk(top, '');
  return out;
}

/** helm's LoadArchive: the top directory stripped, regular files only, no escaping paths. */
async function readArchive(source: Readable, display: string): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  let total = 0;
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => {
        total += (c as Buffer).length;
        if (total > ARCHIVE_LIMIT) ex.destroy(new ChartError(`${display}: archive larger than ${ARCHIVE_LIMIT} bytes`));
        chunks.push(c as Buffer);
      });
      stream.on('end', () => {
        if (header.type === 'file' || header.type === 'contiguous-file') {
          const raw = header.name.replace(/\\/g, '/');
          const parts = raw.split('/');
          const name = posix.normalize(parts.slice(1).join('/'));
          if (name.startsWith('/') || name.startsWith('..')) return ex.destroy(new ChartError(`${display}: the archive contains an escaping path ${JSON.stringify(raw)}`));
          if (parts[0] === 'Chart.yaml') return ex.destroy(new ChartError(`${display}: Chart.yaml is not in the chart's base directory`));
          if (name === '.') return ex.destroy(new ChartError(`${display}: the archive has content outside the chart's base directory: ${JSON.stringify(raw)}`));
          let data = Buffer.concat(chunks);
          if (data.subarray(0, 3).equals(BOM)) data = data.subarray(3);
          files.push({ name, size: data.length, data });
        }
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', (e) => reject(e instanceof ChartError ? e : new ChartError(`${display}: not a gzip'd tar archive (${e.message})`)));
    source.on('error', (e) => ex.destroy(e));
  });
  const gunzip = createGunzip();
  gunzip.on('error', (e) => ex.destroy(e));
  source.pipe(gunzip).pipe(ex);
  await done;
  return files;
}

// Masterminds semver v3 NewVersion (loose: optional "v", missing minor/patch allowed).
const SEMVER = /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;
const ALIAS = /^[a-zA-Z0-9_-]+$/;

/** helm's sanitizeString: whitespace → space, non-printable dropped. */
const sanitize = (s: string) => s.replace(/\s/gu, ' ').replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/gu, '');

/** The string a YAML scalar becomes in a Go string field (sigs.k8s.io/yaml converts numbers and booleans). */
function str(v: unknown, field: string, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ChartError(`${where}: ${field} must be a string`);
}
function strList(v: unknown, field: string, where: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new ChartError(`${where}: ${field} must be a list of strings`);
  return v.map((x, i) => str(x, `${field}[${i}]`, where) ?? '');
}
const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sets `out[k]` unless empty (Go `omitempty`). */
function put(out: Record<string, JsonValue>, k: string, v: JsonValue | undefined): void {
  if (v === undefined || v === '' || v === false || v === null) return;
  if (Array.isArray(v) && v.length === 0) return;
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) return;
  out[k] = v;
}

function dependency(d: unknown, i: number, where: string, sanitizeAll: boolean): Record<string, JsonValue> {
  if (!obj(d)) throw new ChartError(`${where}: dependencies[${i}] must be a mapping`);
  const f = `dependencies[${i}]`;
  const s = (k: string) => {
    const v = str(d[k], `${f}.${k}`, where);
    return v !== undefined && sanitizeAll ? sanitize(v) : v;
  };
  const out: Record<string, JsonValue> = {};
  put(out, 'name', s('name'));
  put(out, 'version', s('version'));
  put(out, 'repository', s('repository'));
  put(out, 'condition', s('condition'));
  put(out, 'tags', strList(d.tags, `${f}.tags`, where)?.map((t) => (sanitizeAll ? sanitize(t) : t)));
  if (d.enabled !== undefined && d.enabled !== null && typeof d.enabled !== 'boolean') throw new ChartError(`${where}: ${f}.enabled must be true or false`);
  put(out, 'enabled', d.enabled === true);
  if (d['import-values'] !== undefined && d['import-values'] !== null && !Array.isArray(d['import-values'])) throw new ChartError(`${where}: ${f}.import-values must be a list`);
  put(out, 'import-values', d['import-values'] as JsonValue[] | undefined);
  const alias = s('alias');
  if (alias && !ALIAS.test(alias)) throw new ChartError(`${where}: dependency ${JSON.stringify(out.name ?? '')} has disallowed characters in the alias`);
  put(out, 'alias', alias);
  return out;
}

/** Parses and validates Chart.yaml (helm's Metadata + Validate) and returns it as helm re-writes it. */
export function chartMetadata(text: string, where: string): { name: string; version: string; apiVersion: string; json: Record<string, JsonValue>; deps: Record<string, JsonValue>[] } {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ChartError(`${where}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  if (!obj(doc)) throw new ChartError(`${where}: not a YAML mapping`);
  const s = (k: string, clean = true) => {
    const v = str(doc[k], k, where);
    return v !== undefined && clean ? sanitize(v) : v;
  };
  const apiVersion = s('apiVersion', false) || 'v1'; // helm 2 charts had none: helm reads them as v1
  if (apiVersion !== 'v1' && apiVersion !== 'v2') throw new ChartError(`${where}: apiVersion ${JSON.stringify(apiVersion)} is not supported (v1 or v2)`);
  const name = s('name') ?? '';
  if (!name) throw new ChartError(`${where}: name is required`);
  if (name === '.' || name === '..' || name.includes('/') || name.includes('\\')) throw new ChartError(`${where}: name ${JSON.stringify(name)} is invalid`);
  const version = s('version', false) ?? '';
  if (!version) throw new ChartError(`${where}: version is required (a SemVer version such as 1.0.0)`);
  if (!SEMVER.test(version)) throw new ChartError(`${where}: version ${JSON.stringify(version)} is not a SemVer version`);
  const type = s('type', false);
  if (type && type !== 'application' && type !== 'library') throw new ChartError(`${where}: type must be application or library`);
  if (doc.deprecated !== undefined && doc.deprecated !== null && typeof doc.deprecated !== 'boolean') throw new ChartError(`${where}: deprecated must be true or false`);
  if (doc.maintainers !== undefined && doc.maintainers !== null && !Array.isArray(doc.maintainers)) throw new ChartError(`${where}: maintainers must be a list`);
  const maintainers = ((doc.maintainers as unknown[] | undefined) ?? []).map((m, i) => {
    if (!obj(m)) throw new ChartError(`${where}: maintainers must not contain empty or null nodes`);
    const out: Record<string, JsonValue> = {};
    for (const k of ['name', 'email', 'url']) put(out, k, sanitize(str(m[k], `maintainers[${i}].${k}`, where) ?? ''));
    return out as JsonValue;
  });
  if (doc.annotations !== undefined && doc.annotations !== null && !obj(doc.annotations)) throw new ChartError(`${where}: annotations must be a mapping of strings`);
  const annotations: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries((doc.annotations as Record<string, unknown> | undefined) ?? {})) annotations[k] = str(v, `annotations.${k}`, where) ?? '';
  if (doc.dependencies !== undefined && doc.dependencies !== null && !Array.isArray(doc.dependencies)) throw new ChartError(`${where}: dependencies must be a list`);
  const deps = ((doc.dependencies as unknown[] | undefined) ?? []).map((d, i) => dependency(d, i, where, true));
  const seen = new Set<string>();
  for (const d of deps) {
    const key = String(d.alias ?? d.name ?? '');
    if (seen.has(key)) throw new ChartError(`${where}: more than one dependency with name or alias ${JSON.stringify(key)}`);
    seen.add(key);
  }
  const json: Record<string, JsonValue> = {};
  put(json, 'name', name);
  put(json, 'home', s('home'));
  put(json, 'sources', strList(doc.sources, 'sources', where)?.map(sanitize));
  put(json, 'version', version);
  put(json, 'description', s('description'));
  put(json, 'keywords', strList(doc.keywords, 'keywords', where)?.map(sanitize));
  put(json, 'maintainers', maintainers);
  put(json, 'icon', s('icon'));
  put(json, 'apiVersion', apiVersion);
  put(json, 'condition', s('condition'));
  put(json, 'tags', s('tags'));
  put(json, 'appVersion', s('appVersion'));
  put(json, 'deprecated', doc.deprecated === true);
  put(json, 'annotations', annotations);
  put(json, 'kubeVersion', s('kubeVersion'));
  // A v1 chart's dependencies live in requirements.yaml; helm drops them from the packaged Chart.yaml.
  if (apiVersion === 'v2') put(json, 'dependencies', deps);
  put(json, 'type', type);
  return { name, version, apiVersion, json, deps };
}

function lockYaml(text: string, where: string): string {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ChartError(`${where}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  if (!obj(doc)) throw new ChartError(`${where}: not a YAML mapping`);
  const deps = Array.isArray(doc.dependencies) ? doc.dependencies.map((d, i) => dependency(d, i, where, false)) : null;
  // Lock fields carry no omitempty: all three are always written.
  return goYamlMarshal({ generated: str(doc.generated, 'generated', where) ?? '0001-01-01T00:00:00Z', digest: str(doc.digest, 'digest', where) ?? '', dependencies: deps });
}

/** helm's LoadFiles + writeTarContents: the entries of `<prefix><name>/...` in helm's order. */
async function chartFromFiles(files: SourceFile[], display: string, prefix: string): Promise<LoadedChart> {
  const byName = new Map(files.map((f) => [f.name, f]));
  const chartFile = byName.get('Chart.yaml');
  const chartWhere = posix.join(display, 'Chart.yaml');
  if (!chartFile) throw new ChartError(`${chartWhere}: missing (not a chart directory)`);
  const meta = chartMetadata((await contentOf(chartFile, chartWhere)).toString('utf8'), chartWhere);
  const base = `${prefix}${meta.name}/`;
  const entries: PackageEntry[] = [{ name: `${base}Chart.yaml`, text: goYamlMarshal(meta.json) }];
  const lock = byName.get('Chart.lock');
  if (meta.apiVersion === 'v2' && lock) {
    const where = posix.join(display, 'Chart.lock');
    entries.push({ name: `${base}Chart.lock`, text: lockYaml((await contentOf(lock, where)).toString('utf8'), where) });
  }
  const values = byName.get('values.yaml');
  if (values) {
    const where = posix.join(display, 'values.yaml');
    try {
      for (const d of (await import('yaml')).parseAllDocuments((await contentOf(values, where)).toString('utf8'))) if (d.errors.length) throw d.errors[0];
    } catch (e) {
      throw new ChartError(`${where}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
    }
    entries.push({ name: `${base}values.yaml`, file: values });
  }
  const schema = byName.get('values.schema.json');
  if (schema) {
    const where = posix.join(display, 'values.schema.json');
    try {
      JSON.parse((await contentOf(schema, where)).toString('utf8'));
    } catch {
      throw new ChartError(`${where}: invalid JSON`);
    }
    entries.push({ name: `${base}values.schema.json`, file: schema });
  }
  const templates: SourceFile[] = [];
  const others: SourceFile[] = [];
  const subcharts = new Map<string, SourceFile[]>();
  for (const f of files) {
    if (['Chart.yaml', 'Chart.lock', 'values.yaml', 'values.schema.json'].includes(f.name)) continue;
    if (f.name === 'requirements.yaml' || f.name === 'requirements.lock') {
      if (meta.apiVersion !== 'v1') throw new ChartError(`${posix.join(display, f.name)}: not supported with apiVersion v2 (move the dependencies into Chart.yaml and run "helm dependency update")`);
      others.push(f);
    } else if (f.name.startsWith('templates/')) templates.push(f);
    else if (f.name.startsWith('charts/') && !f.name.endsWith('.prov')) {
      const rest = f.name.slice('charts/'.length);
      const sub = rest.split('/')[0]!;
      subcharts.set(sub, [...(subcharts.get(sub) ?? []), { ...f, name: rest }]);
    } else others.push(f);
  }
  for (const f of [...templates, ...others]) entries.push({ name: `${base}${f.name}`, file: f });
  // helm ranges over a Go map here (random order); we sort by name so the bytes are reproducible.
  const depNames: string[] = [];
  for (const sub of [...subcharts.keys()].sort(utf8Compare)) {
    if (sub.startsWith('_') || sub.startsWith('.')) continue;
    const subFiles = subcharts.get(sub)!;
    const where = posix.join(display, 'charts', sub);
    let dep: LoadedChart;
    if (sub.endsWith('.tgz')) {
      const f = subFiles.find((x) => x.name === sub);
      if (!f) continue;
      dep = await chartFromFiles(await readArchive(f.data ? (await import('node:stream')).Readable.from([f.data]) : createReadStream(f.path!), where), where, `${base}charts/`);
    } else {
      const inner = subFiles.filter((x) => x.name.includes('/')).map((x) => ({ ...x, name: x.name.slice(sub.length + 1) }));
      if (inner.length === 0) continue;
      dep = await chartFromFiles(inner, where, `${base}charts/`);
    }
    depNames.push(dep.name);
    entries.push(...dep.entries);
  }
  // `helm package` refuses a chart whose declared dependencies are not vendored in charts/.
  if (meta.apiVersion === 'v2' && prefix === '') {
    const missing = meta.deps.map((d) => String(d.name ?? '')).filter((n) => !depNames.includes(n));
    if (missing.length) throw new ChartError(`${chartWhere}: dependencies ${missing.map((m) => JSON.stringify(m)).join(', ')} are not in charts/ (run "helm dependency build" first)`);
  }
  return { name: meta.name, version: meta.version, apiVersion: meta.apiVersion, entries };
}

/** Loads a chart directory or a chart .tgz (`display` is the path as the user wrote it, for messages). */
export async function loadChart(path: string, display: string): Promise<LoadedChart> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new ChartError(`${display}: no such chart directory or archive`);
  if (info.isDirectory()) return chartFromFiles(await walkDir(path, display), display, '');
  if (info.isFile()) return chartFromFiles(await readArchive(createReadStream(path), display), display, '');
  throw new ChartError(`${display}: neither a directory nor a file`);
}
