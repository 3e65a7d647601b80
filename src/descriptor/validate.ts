/**
 * Validation of a descriptor model: OCM's v2 JSON schema (draft 2020-12, as ajv standalone code
 * generated ahead of time by scripts/gen-schema-validator.mjs, so no schema compiler runs) plus the
 * rules a schema cannot express (identity uniqueness after the implicit-version rule, no `name` in
 * extraIdentity, unique label names, well-formed provider). Every failure is ONE
 * ValidationError line: `<source>: <field path> <value>: <rule>`.
 */
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { ValidationError } from '../runtime/errors.js';
import { findDuplicateIdentity, isJsonProvider, providerLabels, providerName } from './identity.js';
import { validate as generatedValidator } from './schema-v2.validator.js';
import type { ComponentDescriptor, ElementMeta, Label } from './types.js';

/** The wire object of a model: what the writers emit (lists always present), before key sorting. */
export function toWire(cd: ComponentDescriptor): Record<string, unknown> {
  const c = cd.component;
  const component: Record<string, unknown> = {
    name: c.name,
    version: c.version,
    provider: c.provider,
    repositoryContexts: c.repositoryContexts ?? [],
    resources: c.resources ?? [],
    sources: c.sources ?? [],
    componentReferences: c.componentReferences ?? [],
  };
  if (c.labels && c.labels.length > 0) component['labels'] = c.labels;
  if (c.creationTime !== undefined) component['creationTime'] = c.creationTime;
  const out: Record<string, unknown> = { meta: { schemaVersion: 'v2' }, component };
  if (cd.signatures && cd.signatures.length > 0) out['signatures'] = cd.signatures;
  if (cd.nestedDigests && cd.nestedDigests.length > 0) out['nestedDigests'] = cd.nestedDigests;
  // JSON round trip drops `undefined` members a caller may have set on optional fields.
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

// The generated module is untyped (@ts-nocheck); it is ajv's ValidateFunction (sets `.errors`).
const schemaValidator = generatedValidator as unknown as ValidateFunction;

/** `/component/resources/1/name` → `component.resources[1].name` */
export function fieldPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  }
  return out;
}

function valueAt(data: unknown, pointer: string): unknown {
  let cur = data;
  for (const raw of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

function pickError(errors: readonly ErrorObject[]): ErrorObject {
  // oneOf/anyOf wrappers and the "or null" branch only restate the real problem.
  const useful = errors.filter((e) => !['oneOf', 'anyOf', 'propertyNames'].includes(e.keyword) && !(e.keyword === 'type' && (e.params as { type?: unknown }).type === 'null'));
  const pool = useful.length > 0 ? useful : errors;
  return pool.reduce((best, e) => (e.instancePath.length > best.instancePath.length ? e : best));
}

function formatAjvError(e: ErrorObject, data: unknown): { path: string; text: string } {
  const params = e.params as Record<string, unknown>;
  let path = fieldPath(e.instancePath);
  let value = valueAt(data, e.instancePath);
  if (e.propertyName !== undefined) {
    path = `${path}: key`;
    value = e.propertyName;
  }
  let rule: string;
  switch (e.keyword) {
    case 'required':
      path = path === '' ? String(params['missingProperty']) : `${path}.${String(params['missingProperty'])}`;
      return { path, text: `${path}: is required` };
    case 'additionalProperties':
      path = `${path}.${String(params['additionalProperty'])}`;
      return { path, text: `${path}: is not allowed here` };
    case 'pattern':
      rule = `must match ${String(params['pattern'])}`;
      break;
    case 'enum':
      rule = `must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'format':
      rule = `must be an RFC 3339 ${String(params['format'])} (e.g. 2024-01-31T12:00:00Z)`;
      break;
    default:
      rule = e.message ?? e.keyword;
  }
  const shown = value === undefined || (value !== null && typeof value === 'object') ? '' : ` ${JSON.stringify(value)}`;
  return { path, text: `${path || '(document)'}${shown}: ${rule}` };
}

function fail(source: string, path: string, text: string): never {
  throw new ValidationError(`${source}: ${text}`, { paths: [path], details: { source, path } });
}

function checkLabels(labels: readonly Label[] | undefined, path: string, source: string): void {
  const seen = new Set<string>();
  (labels ?? []).forEach((l, i) => {
    if (seen.has(l.name)) {
      fail(source, `${path}[${i}].name`, `${path}[${i}].name ${JSON.stringify(l.name)}: label names must be unique within one element; remove or rename the duplicate`);
    }
    seen.add(l.name);
  });
}

function checkElements(elements: readonly ElementMeta[], path: string, source: string): void {
  elements.forEach((el, i) => {
    if (el.extraIdentity && Object.hasOwn(el.extraIdentity, 'name')) {
      fail(source, `${path}[${i}].extraIdentity.name`, `${path}[${i}].extraIdentity: must not contain the key "name" (the element name is always part of the identity)`);
    }
    checkLabels(el.labels, `${path}[${i}].labels`, source);
  });
  const dup = findDuplicateIdentity(elements);
  if (dup) {
    fail(
      source,
      `${path}[${dup.index}]`,
      `${path}[${dup.index}]: identity ${JSON.stringify(dup.identity)} is already used by ${path}[${dup.firstIndex}]; identities must be unique (add an extraIdentity or use different versions)`,
    );
  }
}

/** Throws a ValidationError (VALIDATION_FAILED) naming the first broken rule; returns normally when valid. */
export function validateDescriptor(cd: ComponentDescriptor, source = 'component descriptor'): void {
  const wire = toWire(cd);
  if (!schemaValidator(wire)) {
    const { path, text } = formatAjvError(pickError(schemaValidator.errors ?? []), wire);
    fail(source, path, text);
  }
  const c = cd.component;
  if (providerName(c) === '') fail(source, 'component.provider', 'component.provider: must not be empty');
  if (c.provider.startsWith('{') && !isJsonProvider(c.provider)) {
    fail(source, 'component.provider', 'component.provider: looks like JSON but is not {"name": ..., "labels": [...]}');
  }
  checkLabels(c.labels, 'component.labels', source);
  checkLabels(providerLabels(c), 'component.provider.labels', source);
  checkElements(c.resources, 'component.resources', source);
  checkElements(c.sources, 'component.sources', source);
  checkElements(c.componentReferences, 'component.componentReferences', source);
  c.resources.forEach((r, i) =>
    (r.srcRefs ?? []).forEach((s, j) => checkLabels(s.labels, `component.resources[${i}].srcRefs[${j}].labels`, source)),
  );
}
