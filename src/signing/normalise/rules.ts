/**
 * What of a component descriptor is signed, per normalisation algorithm (model §2.3). The
 * normalised object is built from a whitelist of the typed model, never from raw YAML, so
 * unknown fields cannot leak into the signed bytes (trap 14).
 */
import type { ComponentDescriptor, ComponentReference, DigestSpec, Label, Resource, Source } from '../../descriptor/types.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import { parseJsonBounded } from '../../internal/bounded-parse.js';

type Obj = Record<string, unknown>;

/** Labels whose `signing` is true (also the string "true"), reduced to the signed keys; undefined if none. */
export function signingLabels(labels: readonly Label[] | undefined): Obj[] | undefined {
  const kept = (labels ?? [])
    .filter((l) => (l.signing as unknown) === true || (l.signing as unknown) === 'true')
    .map((l) => labelObject(l, true));
  return kept.length > 0 ? kept : undefined;
}

function labelObject(l: Label, signing: boolean): Obj {
  const o: Obj = { name: l.name, value: l.value };
  if (l.version) o.version = l.version;
  if (signing) o.signing = true;
  return o;
}

/** Reference labels are not filtered in v2/v3/v4alpha1 (the upstream rule key never matches, trap 1). */
function allLabels(labels: readonly Label[] | undefined): Obj[] | undefined {
  if (!labels || labels.length === 0) return undefined;
  return labels.map((l) => labelObject(l, (l.signing as unknown) === true || (l.signing as unknown) === 'true'));
}

function digestObject(d: DigestSpec | undefined | null): Obj | undefined {
  if (!d) return undefined;
  return { hashAlgorithm: d.hashAlgorithm, normalisationAlgorithm: d.normalisationAlgorithm, value: d.value };
}

function nonEmptyMap(m: Readonly<Record<string, string>> | undefined | null): Obj | undefined {
  return m && Object.keys(m).length > 0 ? { ...m } : undefined;
}

export function hasNoneAccess(r: Resource): boolean {
  const t = r.access?.type;
  return t === 'none' || t === 'None';
}

/** The provider as `{name, labels?}`: a JSON-object string is parsed, anything else is the plain name. */
export function providerObject(provider: string): { name: string; labels?: readonly Label[] } | undefined {
  const s = provider.trim();
  if (!s.startsWith('{')) return undefined;
  try {
    const p = parseJsonBounded(s, { what: 'provider', maxBytes: s.length * 3 }) as unknown;
    if (p && typeof p === 'object' && !Array.isArray(p) && typeof (p as Obj).name === 'string') {
      const labels = (p as Obj).labels;
      return { name: (p as Obj).name as string, ...(Array.isArray(labels) ? { labels: labels as Label[] } : {}) };
    }
  } catch {
    // not JSON: a plain provider name
  }
  return undefined;
}

/**
 * Legacy version-into-extraIdentity defaulting (`jsonNormalisation/v1` and `/v2`, trap 7): a
 * resource whose name and extra identity clash with another one gets `extraIdentity.version`.
 * Changes are visible to later iterations, so the last of N clashing resources keeps none.
 */
export function legacyDefaultResources(resources: readonly Resource[]): Resource[] {
  const out = resources.map((r) => ({ ...r, extraIdentity: r.extraIdentity ? { ...r.extraIdentity } : undefined }));
  for (let i = 0; i < out.length; i++) {
    const ri = out[i]!;
    for (let j = 0; j < out.length; j++) {
      if (j === i) continue;
      const rj = out[j]!;
      if (rj.name === ri.name && sameMap(ri.extraIdentity, rj.extraIdentity)) {
        out[i] = { ...ri, extraIdentity: { ...(ri.extraIdentity ?? {}), version: ri.version ?? '' } };
        break;
      }
    }
  }
  return out;
}

function sameMap(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  return ka.length === kb.length && ka.every((k) => (a ?? {})[k] === (b ?? {})[k]);
}

/** The whitelisted object that `jsonNormalisation/v2`, `v3` and `v4alpha1` serialise with JCS. */
export function jcsModel(cd: ComponentDescriptor, legacyDefaulting: boolean): Obj {
  const c = cd.component;
  const prov = providerObject(c.provider);
  const provider: Obj = { name: prov ? prov.name : c.provider };
  const provLabels = signingLabels(prov?.labels);
  if (provLabels) provider.labels = provLabels;

  const component: Obj = { name: c.name, version: c.version, provider };
  if (c.creationTime !== undefined && c.creationTime !== null) component.creationTime = c.creationTime;
  const labels = signingLabels(c.labels);
  if (labels) component.labels = labels;

  const resources = legacyDefaulting ? legacyDefaultResources(c.resources ?? []) : (c.resources ?? []);
  component.resources = resources.map((r) => {
    const o = element(r, signingLabels(r.labels));
    o.type = r.type;
    if (r.relation) o.relation = r.relation;
    const d = hasNoneAccess(r) ? undefined : digestObject(r.digest);
    if (d) o.digest = d;
    return o;
  });
  component.sources = (c.sources ?? []).map((s: Source) => {
    const o = element(s, signingLabels(s.labels));
    o.type = s.type;
    return o;
  });
  component.componentReferences = (c.componentReferences ?? []).map((ref: ComponentReference) => {
    const o = element(ref, allLabels(ref.labels));
    o.componentName = ref.componentName;
    const d = digestObject(ref.digest);
    if (d) o.digest = d;
    return o;
  });
  return { component };
}

function element(e: { name: string; version?: string; extraIdentity?: Readonly<Record<string, string>>; labels?: readonly Label[] }, labels: Obj[] | undefined): Obj {
  const o: Obj = { name: e.name, version: e.version ?? '' };
  const extra = nonEmptyMap(e.extraIdentity);
  if (extra) o.extraIdentity = extra;
  if (labels) o.labels = labels;
  return o;
}

export interface EntryModelOptions {
  /**
   * Historic v1 form (before v1 forced `"extraIdentity":null`): elements without extra identity
   * carry no such entry. Only for verifying very old signatures (best effort, model §2.3.3).
   */
  readonly historic?: boolean;
}

/** The object `jsonNormalisation/v1` serialises in the entry format, for `meta.schemaVersion: v2`. */
export function entryModel(cd: ComponentDescriptor, options: EntryModelOptions = {}): Obj {
  const schema = cd.meta?.schemaVersion ?? 'v2';
  if (!schema.startsWith('v2')) {
    throw new OcmError(
      ErrorCode.UNSUPPORTED,
      `jsonNormalisation/v1 of a descriptor stored with schema "${schema}" is not supported: only meta.schemaVersion v2; sign with jsonNormalisation/v3`,
    );
  }
  const c = cd.component;
  const nullIdentity = options.historic ? undefined : null;
  const prov = providerObject(c.provider);
  let provider: unknown = c.provider;
  if (prov) {
    const p: Obj = { name: prov.name };
    const pl = signingLabels(prov.labels);
    if (pl) p.labels = pl;
    provider = p;
  }
  const component: Obj = { name: c.name, version: c.version, provider };
  if (c.creationTime !== undefined && c.creationTime !== null) component.creationTime = c.creationTime;
  const labels = signingLabels(c.labels);
  if (labels) component.labels = labels;
  component.resources = legacyDefaultResources(c.resources ?? []).map((r) => {
    const o: Obj = { name: r.name, version: r.version ?? '', extraIdentity: nonEmptyMap(r.extraIdentity) ?? nullIdentity, type: r.type };
    const l = signingLabels(r.labels);
    if (l) o.labels = l;
    if (r.relation) o.relation = r.relation;
    const d = hasNoneAccess(r) ? undefined : digestObject(r.digest);
    if (d) o.digest = d;
    return o;
  });
  component.componentReferences = (c.componentReferences ?? []).map((ref) => {
    const o: Obj = { name: ref.name, version: ref.version ?? '', extraIdentity: nonEmptyMap(ref.extraIdentity) ?? nullIdentity, componentName: ref.componentName };
    const l = signingLabels(ref.labels);
    if (l) o.labels = l;
    const d = digestObject(ref.digest);
    if (d) o.digest = d;
    return o;
  });
  return { component, meta: { schemaVersion: schema } };
}
