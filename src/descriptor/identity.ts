/**
 * Element identities and the name rules of the descriptor model (spec model-and-formats.md §1.1, §1.3).
 *
 * Identity = extraIdentity ∪ {name}, plus the implicit version rule: an element whose extraIdentity has
 * no `version` gets its `version` field added when at least two elements of the same kind share its
 * name and extraIdentity (the other side compared with `version` removed), as v1's GetIdentity does.
 */
import { parseJsonBounded } from '../internal/bounded-parse.js';
import type { Identity } from '../runtime/identity.js';
import { identityContains, identityKey } from '../runtime/identity.js';
import type { Component, ComponentDescriptor, ElementMeta, Label } from './types.js';

/** Component name: a lowercase DNS domain plus at least one path segment (max 255 chars). */
export const COMPONENT_NAME_PATTERN =
  /^[a-z][-a-z0-9]*([.][a-z][-a-z0-9]*)*[.][a-z]{2,}(\/[a-z][-a-z0-9_]*([.][a-z][-a-z0-9_]*)*)+$/;

/** "Relaxed semver": optional leading `v`, minor and patch optional (same in both Go schemas). */
export const RELAXED_SEMVER_PATTERN =
  /^[v]?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Element names and identity attribute keys (the schema adds minLength 2). */
export const ELEMENT_NAME_PATTERN = /^[a-z0-9]([-_+a-z0-9]*[a-z0-9])?$/;

export function isValidComponentName(name: string): boolean {
  return name.length <= 255 && COMPONENT_NAME_PATTERN.test(name);
}

export function isRelaxedSemver(version: string): boolean {
  return RELAXED_SEMVER_PATTERN.test(version);
}

/** Valid element name or identity attribute key: the pattern plus length ≥ 2. */
export function isValidElementName(name: string): boolean {
  return name.length >= 2 && ELEMENT_NAME_PATTERN.test(name);
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function withoutVersion(m: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = { ...m };
  delete out['version'];
  return out;
}

/** The identity of `elements[index]` within its kind's list. */
export function elementIdentity(elements: readonly ElementMeta[], index: number): Identity {
  const el = elements[index];
  if (el === undefined) throw new RangeError(`no element at index ${index}`);
  const extra = el.extraIdentity ?? {};
  const id: Record<string, string> = { ...extra, name: el.name };
  if (!extra['version']) {
    let matches = 0;
    for (const other of elements) {
      if (other.name === el.name && sameMap(withoutVersion(other.extraIdentity), extra)) matches++;
      if (matches >= 2) break;
    }
    if (matches >= 2) id['version'] = el.version ?? '';
  }
  return id;
}

/** Identities of all elements of one kind, in list order. */
export function elementIdentities(elements: readonly ElementMeta[]): Identity[] {
  return elements.map((_, i) => elementIdentity(elements, i));
}

export interface DuplicateIdentity {
  /** Index of the later element. */
  readonly index: number;
  /** Index of the earlier element with the same identity. */
  readonly firstIndex: number;
  readonly identity: Identity;
}

/** The first pair of elements (of one kind) sharing an identity, or undefined when all are unique. */
export function findDuplicateIdentity(elements: readonly ElementMeta[]): DuplicateIdentity | undefined {
  const seen = new Map<string, number>();
  const ids = elementIdentities(elements);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const key = identityKey(id);
    const first = seen.get(key);
    if (first !== undefined) return { index: i, firstIndex: first, identity: id };
    seen.set(key, i);
  }
  return undefined;
}

/**
 * Elements whose identity contains every attribute of `selector`. A `version` in the selector also
 * matches the element's `version` field (it need not be part of the identity).
 */
export function selectElements<T extends ElementMeta>(elements: readonly T[], selector: Identity): T[] {
  const { version, ...rest } = selector;
  const ids = elementIdentities(elements);
  return elements.filter((el, i) => {
    const id = ids[i]!;
    if (!identityContains(id, rest)) return false;
    if (version === undefined) return true;
    return id['version'] === version || el.version === version;
  });
}

interface ParsedProvider {
  readonly name: string;
  readonly labels: readonly Label[];
}

function parseProvider(provider: string): ParsedProvider {
  // The wire form is a plain name, or a JSON string `{"name":..,"labels":[..]}` when it has labels.
  if (provider.startsWith('{')) {
    try {
      // Bounded: a deep provider object falls back to a plain name like any non-JSON one.
      const p = parseJsonBounded(provider, { what: 'provider', maxBytes: provider.length * 3 }) as unknown;
      if (p !== null && typeof p === 'object' && typeof (p as { name?: unknown }).name === 'string') {
        const labels = (p as { labels?: unknown }).labels;
        return { name: (p as { name: string }).name, labels: Array.isArray(labels) ? (labels as Label[]) : [] };
      }
    } catch {
      // not JSON: a (strange) plain name
    }
  }
  return { name: provider, labels: [] };
}

function componentOf(cd: ComponentDescriptor | Component): Component {
  return 'component' in cd ? cd.component : cd;
}

/** The provider's name, also for the JSON-string form. */
export function providerName(cd: ComponentDescriptor | Component): string {
  return parseProvider(componentOf(cd).provider).name;
}

/** The provider's labels (only the JSON-string form carries any). */
export function providerLabels(cd: ComponentDescriptor | Component): readonly Label[] {
  return parseProvider(componentOf(cd).provider).labels;
}

/** True when the provider string is the JSON form (starts with `{` and parses to an object with a name). */
export function isJsonProvider(provider: string): boolean {
  return provider.startsWith('{') && parseProvider(provider).name !== provider;
}

/** The wire form of a provider: the plain name, or compact JSON `{"name","labels"}` (Go field order) with labels. */
export function formatProvider(name: string, labels: readonly Label[] = []): string {
  if (labels.length === 0) return name;
  return JSON.stringify({ name, labels: labels.map(goLabelOrder) });
}

function goLabelOrder(l: Label): Record<string, unknown> {
  const out: Record<string, unknown> = { name: l.name, value: l.value };
  if (l.version) out['version'] = l.version;
  if (l.signing) out['signing'] = true;
  if (l.merge) {
    out['merge'] = l.merge.config === undefined ? { algorithm: l.merge.algorithm } : { algorithm: l.merge.algorithm, config: l.merge.config };
  }
  return out;
}
