/**
 * Renders a deployable resource of a component version: reads its bytes (digest-checked, size
 * bounded), applies the localization/configuration rules, annotates each Kubernetes object with
 * where it came from, and returns the files `--render-to` writes plus the objects `--apply` applies.
 *
 * Deployables: a YAML/JSON stream of manifests (one blob), a directory tree (tar or tgz, as `dir`
 * inputs store it; e.g. a kustomize base) and a Helm chart (only its values.yaml is localized and
 * returned: the user's helm installs the chart with it).
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Resource } from '../descriptor/types.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import type { Identity } from '../runtime/identity.js';
import { elementIdentity } from '../descriptor/identity.js';
import { applyEdits, describeRule, LOCALIZATION_RULES_TYPE, MAX_RULES_BYTES, openEditable, parseRules, resolveEdits, serialize, type EditableFile, type LocalizationRules } from './rules.js';
import { findResource, followReferences, imageLocation, openResource, type DeploySource } from './resolve.js';
import { ANNOTATION_COMPONENT_NAME, ANNOTATION_COMPONENT_VERSION, ANNOTATION_RESOURCE_DIGEST, ANNOTATION_RESOURCE_IDENTITY, type KubeObject, type Rendered, type RenderedFile } from './types.js';

/** A manifest (or any file of a directory deployable) above this is refused: files are edited in memory. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** A directory deployable above this in total, or with more files, is refused. */
export const MAX_TREE_BYTES = 64 * 1024 * 1024;
export const MAX_TREE_FILES = 10_000;

export type DeployableKind = 'manifests' | 'directory' | 'helm-values';

export interface RenderOptions {
  /** Rules given by the user (`--rules`); otherwise the component version's `ocm.software/localization-rules` resource, if any. */
  readonly rules?: LocalizationRules;
  readonly maxFileBytes?: number;
  readonly signal?: AbortSignal;
}

const HELM_MEDIA = /helm\.chart\.content|vnd\.cncf\.helm/i;
const TAR_MEDIA = /tar|gzip|tgz/i;
const EDITABLE = /\.(ya?ml|json)$/i;

/** Renders the deployable resource `selector` of `src.descriptor`. */
export async function render(src: DeploySource, selector: Identity, options: RenderOptions = {}): Promise<Rendered & { readonly kind: DeployableKind }> {
  const cd = src.descriptor;
  const op = options.signal ? { signal: options.signal } : {};
  const maxFile = options.maxFileBytes ?? MAX_FILE_BYTES;
  const resource = findResource(cd, selector, 'deployable');
  const rules = options.rules ?? (await rulesFromComponent(src, op));
  const mediaType = String(resource.access?.['mediaType'] ?? '');
  const opened = await openResource(src, { resource, descriptor: cd }, op);
  const type = opened.mediaType ?? mediaType;

  let kind: DeployableKind;
  let raw: Map<string, string>;
  if (resource.type === 'helmChart' || HELM_MEDIA.test(type)) {
    kind = 'helm-values';
    const tree = await readTree(opened.stream, resource.name, maxFile, (p) => /^[^/]+\/values\.yaml$/.test(p));
    const values = [...tree.entries()].sort(([a], [b]) => a.length - b.length)[0];
    if (!values) throw new OcmError(ErrorCode.NOT_FOUND, `deployable ${resource.name}: the Helm chart has no <chart>/values.yaml`);
    raw = new Map([['values.yaml', values[1]]]);
  } else if (TAR_MEDIA.test(type)) {
    kind = 'directory';
    raw = await readTree(opened.stream, resource.name, maxFile, () => true);
  } else {
    kind = 'manifests';
    const text = decode(await readBounded(opened.stream, maxFile, `deployable ${resource.name}`), `deployable ${resource.name}`);
    raw = new Map([[streamFileName(resource, type, text), text]]);
  }

  const editable = new Map<string, EditableFile>();
  for (const [path, text] of raw) if (EDITABLE.test(path)) editable.set(path, openEditable(path, text, maxFile));
  if (rules) {
    const edits = await resolveEdits(rules, async (rule) => {
      const what = describeRule(rules, rule);
      const owner = await followReferences(src, rule.referencePath, what, op);
      const target = findResource(owner, { name: rule.resource.name, ...rule.resource.extraIdentity }, what);
      return imageLocation(src, { resource: target, descriptor: owner }, what);
    });
    applyEdits(editable, edits);
  }

  const identity = elementIdentity(cd.component.resources, cd.component.resources.indexOf(resource));
  const annotations: Record<string, string> = {
    [ANNOTATION_COMPONENT_NAME]: cd.component.name,
    [ANNOTATION_COMPONENT_VERSION]: cd.component.version,
    [ANNOTATION_RESOURCE_IDENTITY]: JSON.stringify(identity),
  };
  const digest = digestText(resource);
  if (digest) annotations[ANNOTATION_RESOURCE_DIGEST] = digest;
  const objects: KubeObject[] = [];
  if (kind !== 'helm-values') for (const f of editable.values()) objects.push(...annotate(f, annotations));

  const files: RenderedFile[] = [...raw.keys()].sort().map((path) => ({ path, content: editable.has(path) ? serialize(editable.get(path)!) : raw.get(path)! }));
  return {
    kind,
    files,
    objects,
    component: cd.component.name,
    version: cd.component.version,
    resource: identity,
    ...(digest ? { resourceDigest: digest } : {}),
  };
}

/** The `ocm.software/localization-rules` resource of the component version, parsed; undefined if it has none. */
async function rulesFromComponent(src: DeploySource, op: { signal?: AbortSignal }): Promise<LocalizationRules | undefined> {
  const cd = src.descriptor;
  const found = cd.component.resources.filter((r) => r.type === LOCALIZATION_RULES_TYPE);
  if (found.length === 0) return undefined;
  if (found.length > 1) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `${cd.component.name}:${cd.component.version} has ${found.length} resources of type ${LOCALIZATION_RULES_TYPE} (${found.map((r) => r.name).join(', ')}); choose the rules with --rules`);
  }
  const r = found[0]!;
  const opened = await openResource(src, { resource: r, descriptor: cd }, op);
  const bytes = await readBounded(opened.stream, MAX_RULES_BYTES, `rules resource ${r.name}`);
  return parseRules(bytes, `resource ${r.name}`);
}

/**
 * Annotates each Kubernetes object (a map with apiVersion, kind and metadata.name) of the file
 * in its Document, so the written file carries the annotations too. A kustomization is not an object.
 */
function annotate(f: EditableFile, annotations: Record<string, string>): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of f.docs) {
    const o = doc.toJS() as Record<string, unknown> | null;
    if (!o || typeof o !== 'object' || typeof o['apiVersion'] !== 'string' || typeof o['kind'] !== 'string') continue;
    if (/kustomize\.config\.k8s\.io/.test(o['apiVersion'])) continue;
    const meta = o['metadata'] as Record<string, unknown> | undefined;
    if (!meta || typeof meta['name'] !== 'string') continue;
    for (const [k, v] of Object.entries(annotations)) doc.setIn(['metadata', 'annotations', k], v);
    out.push(doc.toJS() as KubeObject);
  }
  return out;
}

function digestText(r: Resource): string | undefined {
  const d = r.digest;
  if (!d) return undefined;
  return /^sha-?256$/i.test(d.hashAlgorithm) ? `sha256:${d.value.toLowerCase()}` : `${d.hashAlgorithm.toLowerCase()}:${d.value}`;
}

/** A manifest stream is one file: named like the resource, with .json for JSON content, else .yaml. */
function streamFileName(r: Resource, mediaType: string, text: string): string {
  if (EDITABLE.test(r.name)) return r.name;
  return /json/i.test(mediaType) || /^\s*[[{]/.test(text) ? `${r.name}.json` : `${r.name}.yaml`;
}

async function readBounded(stream: Readable, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) {
      stream.destroy();
      throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `${what} is larger than ${max} bytes; deploy renders files in memory and refuses larger ones`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

function decode(bytes: Buffer, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new OcmError(ErrorCode.PARSE_ERROR, `${what} is not UTF-8 text; deploy renders text files only`);
  }
}

/**
 * The regular files of a tar or tgz stream that `want` selects, as text, by normalised relative
 * path. Links and paths leaving the root are refused; sizes and counts are bounded.
 */
async function readTree(stream: Readable, name: string, maxFile: number, want: (path: string) => boolean): Promise<Map<string, string>> {
  const tar = await import('tar-stream');
  const what = `deployable ${name}`;
  const out = new Map<string, string>();
  // Compression is sniffed from the first bytes, not trusted from the media type.
  const it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const first = await it.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  const rest = Readable.from((async function* () {
    if (head.length) yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  })());
  const plain = head[0] === 0x1f && head[1] === 0x8b ? rest.pipe(createGunzip()) : rest;
  rest.on('error', (e) => plain.destroy(e));
  const extract = tar.extract();
  plain.on('error', (e) => extract.destroy(e));
  plain.pipe(extract);
  let total = 0;
  let count = 0;
  for await (const entry of extract) {
    const h = entry.header;
    const path = h.name.replace(/^\.\//, '').replace(/\/+$/, '');
    if (path === '' || path === '.') {
      entry.resume();
      continue;
    }
    if (path.startsWith('/') || path.split('/').includes('..')) throw new OcmError(ErrorCode.UNSAFE_PATH, `${what}: entry ${h.name} leaves the directory`);
    if (h.type === 'directory') {
      entry.resume();
      continue;
    }
    if (h.type !== 'file' && h.type !== 'contiguous-file') throw new OcmError(ErrorCode.UNSUPPORTED, `${what}: entry ${path} is a ${h.type}; only regular files are rendered`);
    if (++count > MAX_TREE_FILES) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `${what} has more than ${MAX_TREE_FILES} files`);
    const bytes = await readBounded(entry as unknown as Readable, maxFile, `${what}: file ${path}`);
    total += bytes.length;
    if (total > MAX_TREE_BYTES) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `${what} is larger than ${MAX_TREE_BYTES} bytes in total`);
    if (want(path)) out.set(path, decode(bytes, `${what}: file ${path}`));
  }
  return out;
}
