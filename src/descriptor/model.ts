/**
 * Raw parsed document (plain JSON values) → the whitelisted v2 model. Unknown keys are dropped as the
 * Go readers drop them (spec §1.9); access specs, repository contexts, label values, signature
 * timestamps and nested digests are copied verbatim. `null` and absent lists become `[]`.
 * `ocm.software/v3alpha1` (and `ocm.gardener.cloud/v3alpha1`) is converted to the v2 shape (§1.2).
 *
 * Type errors are reported here, whatever the `validate` option: the model cannot hold them.
 */
import { ErrorCode, OcmError, ValidationError } from '../runtime/errors.js';
import { formatProvider } from './identity.js';
import type {
  Component, ComponentDescriptor, ComponentReference, DigestSpec, Label, LabelMerge, Resource, Signature,
  SignatureSpec, Source, SourceRef, TypedSpec,
} from './types.js';

type Obj = Record<string, unknown>;

export const V3ALPHA1_API_VERSIONS: readonly string[] = ['ocm.software/v3alpha1', 'ocm.gardener.cloud/v3alpha1'];

/** Source text of non-string scalars by field path (YAML only), for "quote it" hints. */
export type ScalarSources = ReadonlyMap<string, string>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}

class ModelReader {
  private readonly source: string;
  private readonly scalars: ScalarSources;
  constructor(source: string, scalars: ScalarSources) {
    this.source = source;
    this.scalars = scalars;
  }

  fail(path: string, rule: string): never {
    throw new ValidationError(`${this.source}: ${path}: ${rule}`, { paths: [path], details: { source: this.source, path } });
  }

  obj(v: unknown, path: string): Obj {
    if (!isObj(v)) this.fail(path, `must be a map, got ${describe(v)}`);
    return v;
  }

  reqStr(o: Obj, key: string, path: string): string {
    const v = o[key];
    if (v === undefined || v === null) this.fail(`${path}.${key}`, 'is required');
    return this.asStr(v, `${path}.${key}`, key);
  }

  optStr(o: Obj, key: string, path: string): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    return this.asStr(v, `${path}.${key}`, key);
  }

  asStr(v: unknown, path: string, key: string): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') {
      const text = this.scalars.get(path) ?? String(v);
      this.fail(path, `must be a string, got ${typeof v} ${text}; quote it in YAML: ${key}: "${text}"`);
    }
    this.fail(path, `must be a string, got ${describe(v)}`);
  }

  /** `null`/absent → []. */
  list(v: unknown, path: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(path, `must be a list, got ${describe(v)}`);
    return v;
  }

  strMap(v: unknown, path: string, key: string): Record<string, string> | undefined {
    if (v === undefined || v === null) return undefined;
    const o = this.obj(v, path);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(o)) out[k] = this.asStr(val, `${path}.${k}`, k);
    void key;
    return Object.keys(out).length > 0 ? out : undefined;
  }

  typed(v: unknown, path: string): TypedSpec {
    const o = this.obj(v, path);
    this.reqStr(o, 'type', path);
    return plainCopy(o) as TypedSpec;
  }

  digest(v: unknown, path: string): DigestSpec | undefined {
    if (v === undefined || v === null) return undefined;
    const o = this.obj(v, path);
    const d: DigestSpec = {
      hashAlgorithm: this.reqStr(o, 'hashAlgorithm', path),
      normalisationAlgorithm: this.reqStr(o, 'normalisationAlgorithm', path),
      value: this.reqStr(o, 'value', path),
    };
    // v2 writes an unset reference digest as a struct of empty strings (no pointer): that means "absent".
    return d.hashAlgorithm === '' && d.normalisationAlgorithm === '' && d.value === '' ? undefined : d;
  }

  labels(v: unknown, path: string): Label[] | undefined {
    const items = this.list(v, path).map((l, i) => this.label(l, `${path}[${i}]`));
    return items.length > 0 ? items : undefined;
  }

  label(v: unknown, path: string): Label {
    const o = this.obj(v, path);
    const name = this.reqStr(o, 'name', path);
    if (!Object.hasOwn(o, 'value')) this.fail(`${path}.value`, 'is required');
    const label: { -readonly [K in keyof Label]: Label[K] } = { name, value: plainCopy(o['value']) };
    const version = this.optStr(o, 'version', path);
    if (version) label.version = version;
    const signing = o['signing'];
    if (signing !== undefined && signing !== null) {
      if (typeof signing !== 'boolean') this.fail(`${path}.signing`, `must be a boolean (true or false), got ${describe(signing)}`);
      if (signing) label.signing = true; // Go's omitempty: false is the same as absent
    }
    if (o['merge'] !== undefined && o['merge'] !== null) {
      const m = this.obj(o['merge'], `${path}.merge`);
      const merge: { -readonly [K in keyof LabelMerge]: LabelMerge[K] } = { algorithm: this.reqStr(m, 'algorithm', `${path}.merge`) };
      if (m['config'] !== undefined && m['config'] !== null) merge.config = plainCopy(m['config']);
      label.merge = merge;
    }
    return label;
  }

  /** name, version?, extraIdentity?, labels? */
  meta(o: Obj, path: string): { name: string; version?: string; extraIdentity?: Record<string, string>; labels?: Label[] } {
    const out: { name: string; version?: string; extraIdentity?: Record<string, string>; labels?: Label[] } = {
      name: this.reqStr(o, 'name', path),
    };
    const version = this.optStr(o, 'version', path);
    if (version !== undefined) out.version = version;
    const extra = this.strMap(o['extraIdentity'], `${path}.extraIdentity`, 'extraIdentity');
    if (extra) out.extraIdentity = extra;
    const labels = this.labels(o['labels'], `${path}.labels`);
    if (labels) out.labels = labels;
    return out;
  }

  resource(v: unknown, path: string): Resource {
    const o = this.obj(v, path);
    const r: { -readonly [K in keyof Resource]: Resource[K] } = {
      ...this.meta(o, path),
      type: this.reqStr(o, 'type', path),
      access: this.reqTyped(o, 'access', path),
    };
    const relation = this.optStr(o, 'relation', path);
    if (relation !== undefined) r.relation = relation;
    const digest = this.digest(o['digest'], `${path}.digest`);
    if (digest) r.digest = digest;
    // v1 also reads the legacy misspelling `srcRef`.
    const srcKey = o['srcRefs'] !== undefined ? 'srcRefs' : 'srcRef';
    const refs = this.list(o[srcKey], `${path}.${srcKey}`).map((s, i) => this.srcRef(s, `${path}.${srcKey}[${i}]`));
    if (refs.length > 0) r.srcRefs = refs;
    return r;
  }

  reqTyped(o: Obj, key: string, path: string): TypedSpec {
    if (o[key] === undefined || o[key] === null) this.fail(`${path}.${key}`, 'is required');
    return this.typed(o[key], `${path}.${key}`);
  }

  srcRef(v: unknown, path: string): SourceRef {
    const o = this.obj(v, path);
    const out: { -readonly [K in keyof SourceRef]: SourceRef[K] } = {};
    const sel = this.strMap(o['identitySelector'], `${path}.identitySelector`, 'identitySelector');
    if (sel) out.identitySelector = sel;
    const labels = this.labels(o['labels'], `${path}.labels`);
    if (labels) out.labels = labels;
    return out;
  }

  sourceEl(v: unknown, path: string): Source {
    const o = this.obj(v, path);
    return { ...this.meta(o, path), type: this.reqStr(o, 'type', path), access: this.reqTyped(o, 'access', path) };
  }

  reference(v: unknown, path: string): ComponentReference {
    const o = this.obj(v, path);
    const r: { -readonly [K in keyof ComponentReference]: ComponentReference[K] } = {
      ...this.meta(o, path),
      componentName: this.reqStr(o, 'componentName', path),
    };
    const digest = this.digest(o['digest'], `${path}.digest`);
    if (digest) r.digest = digest;
    return r;
  }

  signature(v: unknown, path: string): Signature {
    const o = this.obj(v, path);
    const digest = this.digest(o['digest'], `${path}.digest`);
    if (!digest) this.fail(`${path}.digest`, 'is required');
    if (o['signature'] === undefined || o['signature'] === null) this.fail(`${path}.signature`, 'is required');
    const so = this.obj(o['signature'], `${path}.signature`);
    const spec: { -readonly [K in keyof SignatureSpec]: SignatureSpec[K] } = {
      algorithm: this.reqStr(so, 'algorithm', `${path}.signature`),
      value: this.reqStr(so, 'value', `${path}.signature`),
      mediaType: this.reqStr(so, 'mediaType', `${path}.signature`),
    };
    const issuer = this.optStr(so, 'issuer', `${path}.signature`);
    if (issuer) spec.issuer = issuer;
    const sig: { -readonly [K in keyof Signature]: Signature[K] } = { name: this.reqStr(o, 'name', path), digest, signature: spec };
    if (o['timestamp'] !== undefined && o['timestamp'] !== null) sig.timestamp = plainCopy(o['timestamp']);
    return sig;
  }

  /** The fields shared by v2's `component` and v3alpha1's `metadata`+`spec`. */
  component(
    head: Obj,
    headPath: string,
    provider: string,
    lists: { repositoryContexts: unknown; resources: unknown; sources: unknown; references: unknown },
    paths: { repositoryContexts: string; resources: string; sources: string; references: string },
  ): Component {
    const c: { -readonly [K in keyof Component]: Component[K] } = {
      name: this.reqStr(head, 'name', headPath),
      version: this.reqStr(head, 'version', headPath),
      provider,
      repositoryContexts: this.list(lists.repositoryContexts, paths.repositoryContexts).map((r, i) =>
        this.typed(r, `${paths.repositoryContexts}[${i}]`),
      ),
      resources: this.list(lists.resources, paths.resources).map((r, i) => this.resource(r, `${paths.resources}[${i}]`)),
      sources: this.list(lists.sources, paths.sources).map((s, i) => this.sourceEl(s, `${paths.sources}[${i}]`)),
      componentReferences: this.list(lists.references, paths.references).map((r, i) =>
        this.reference(r, `${paths.references}[${i}]`),
      ),
    };
    const labels = this.labels(head['labels'], `${headPath}.labels`);
    if (labels) c.labels = labels;
    const created = this.optStr(head, 'creationTime', headPath);
    if (created !== undefined) c.creationTime = created;
    return c;
  }

  trailer(root: Obj): Pick<ComponentDescriptor, 'signatures' | 'nestedDigests'> {
    const out: { signatures?: Signature[]; nestedDigests?: unknown[] } = {};
    const sigs = this.list(root['signatures'], 'signatures').map((s, i) => this.signature(s, `signatures[${i}]`));
    if (sigs.length > 0) out.signatures = sigs;
    const nested = this.list(root['nestedDigests'], 'nestedDigests').map((n) => plainCopy(n));
    if (nested.length > 0) out.nestedDigests = nested;
    return out;
  }
}

/** Builds the model from a parsed document. */
export function buildModel(raw: unknown, source: string, scalars: ScalarSources = new Map()): ComponentDescriptor {
  const r = new ModelReader(source, scalars);
  if (raw === null || raw === undefined) r.fail('(document)', 'is empty; expected a component descriptor with "meta" and "component"');
  const root = isObj(raw) ? raw : r.fail('(document)', `must be a map with "meta" and "component", got ${describe(raw)}`);
  const hasMeta = root['meta'] !== undefined && root['meta'] !== null;
  const apiVersion = root['apiVersion'];
  if (hasMeta && apiVersion !== undefined && apiVersion !== null) {
    r.fail('apiVersion', 'both meta.schemaVersion and apiVersion are set; use only one of them');
  }
  if (apiVersion !== undefined && apiVersion !== null) {
    const api = r.asStr(apiVersion, 'apiVersion', 'apiVersion');
    if (!V3ALPHA1_API_VERSIONS.includes(api)) {
      throw new OcmError(ErrorCode.UNSUPPORTED, `${source}: apiVersion "${api}" is not supported; use meta.schemaVersion: v2 or apiVersion: ocm.software/v3alpha1`, { details: { source } });
    }
    return fromV3alpha1(r, root);
  }
  if (!hasMeta) r.fail('meta.schemaVersion', 'is required (expected meta: {schemaVersion: v2})');
  const meta = r.obj(root['meta'], 'meta');
  const schemaVersion = r.reqStr(meta, 'schemaVersion', 'meta');
  if (!schemaVersion.startsWith('v2')) {
    throw new OcmError(ErrorCode.UNSUPPORTED, `${source}: meta.schemaVersion "${schemaVersion}" is not supported; supported are v2 and apiVersion ocm.software/v3alpha1`, { details: { source } });
  }
  if (root['component'] === undefined || root['component'] === null) r.fail('component', 'is required');
  const c = r.obj(root['component'], 'component');
  if (isObj(c['provider'])) {
    r.fail('component.provider', 'must be a string in schema v2; write a provider with labels as a JSON string: provider: \'{"name":"acme","labels":[...]}\'');
  }
  const provider = r.reqStr(c, 'provider', 'component');
  const component = r.component(
    c,
    'component',
    provider,
    { repositoryContexts: c['repositoryContexts'], resources: c['resources'], sources: c['sources'], references: c['componentReferences'] },
    {
      repositoryContexts: 'component.repositoryContexts',
      resources: 'component.resources',
      sources: 'component.sources',
      references: 'component.componentReferences',
    },
  );
  return { meta: { schemaVersion: 'v2' }, component, ...r.trailer(root) };
}

function fromV3alpha1(r: ModelReader, root: Obj): ComponentDescriptor {
  if (root['metadata'] === undefined || root['metadata'] === null) r.fail('metadata', 'is required');
  const md = r.obj(root['metadata'], 'metadata');
  const spec = root['spec'] === undefined || root['spec'] === null ? {} : r.obj(root['spec'], 'spec');
  const pv = md['provider'];
  let provider: string;
  if (typeof pv === 'string') {
    provider = pv;
  } else {
    if (pv === undefined || pv === null) r.fail('metadata.provider', 'is required');
    const po = r.obj(pv, 'metadata.provider');
    // v1 writes a provider with labels as a JSON string in the v2 shape.
    provider = formatProvider(r.reqStr(po, 'name', 'metadata.provider'), r.labels(po['labels'], 'metadata.provider.labels') ?? []);
  }
  const component = r.component(
    md,
    'metadata',
    provider,
    { repositoryContexts: root['repositoryContexts'], resources: spec['resources'], sources: spec['sources'], references: spec['references'] },
    { repositoryContexts: 'repositoryContexts', resources: 'spec.resources', sources: 'spec.sources', references: 'spec.references' },
  );
  return { meta: { schemaVersion: 'v2' }, component, ...r.trailer(root) };
}

/** Deep copy of a plain JSON value; `__proto__` keys stay own data properties. */
export function plainCopy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plainCopy);
  if (v !== null && typeof v === 'object') {
    const out: Obj = {};
    for (const [k, val] of Object.entries(v)) {
      Object.defineProperty(out, k, { value: plainCopy(val), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return v;
}
