/**
 * Parses `component-constructor.yaml`: environment expansion over the raw text, then YAML (one or
 * several `---` documents), each document either a single component or `{components: [...]}`.
 * Validation follows the upstream constructor schema; defaults follow upstream construct.go
 * (element version = component version; relation `local` for input, `external` for access).
 */
import { open as openFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { readAllBounded } from '../digest/digest.js';
import { parseYamlAllBounded } from '../internal/bounded-parse.js';
import type { ComponentReference, SourceRef, TypedSpec } from '../descriptor/types.js';
import { ErrorCode, OcmError, fromFsError, throwIfAborted } from '../runtime/errors.js';
import { expandEnv } from './env.js';
import { Checker, describe, type Obj } from './rules.js';
import type {
  ConstructorComponent,
  ConstructorProvider,
  ConstructorResource,
  ConstructorSource,
  ConstructorSpec,
} from './types.js';

export interface ParseConstructorOptions {
  /** File name for messages. Default `component-constructor.yaml`. */
  source?: string;
  /** Variables for `${VAR}`/`$VAR`. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Largest constructor file (before and after variable expansion). */
export const MAX_CONSTRUCTOR_BYTES = 16 * 1024 * 1024;

const COMPONENT_KEYS = ['name', 'version', 'provider', 'labels', 'creationTime', 'resources', 'sources', 'componentReferences'];
const REFERENCE_KEYS = ['name', 'componentName', 'version', 'extraIdentity', 'labels', 'digest'];

export function parseConstructor(text: string, options: ParseConstructorOptions = {}): ConstructorSpec {
  const source = options.source ?? 'component-constructor.yaml';
  const expanded = expandEnv(text, options.env ?? process.env, source);
  // Bounded (size after expansion, aliases, depth, documents): a constructor is user input, not trusted.
  const values = parseYamlAllBounded(expanded, { what: source, maxBytes: MAX_CONSTRUCTOR_BYTES }, { uniqueKeys: true });
  const check = new Checker(source);
  if (values.length === 0) check.fail('(document)', 'no component found: write a component (name, version, provider) or a "components:" list');

  const components: ConstructorComponent[] = [];
  values.forEach((value, d) => {
    const prefix = values.length > 1 ? `documents[${d}].` : '';
    const topPath = values.length > 1 ? `documents[${d}]` : '(document)';
    const top = check.object(value, topPath, 'a component or a "components:" list');
    if ('components' in top) {
      check.onlyKeys(top, ['components'], topPath);
      check.list(top.components, `${prefix}components`).forEach((c, i) => components.push(parseComponent(check, c, `${prefix}components[${i}]`)));
    } else {
      components.push(parseComponent(check, top, `${prefix}component`));
    }
  });

  const seen = new Map<string, string>();
  for (const c of components) {
    const key = `${c.name}:${c.version}`;
    const other = seen.get(key);
    if (other) check.fail(c.path, `component ${key} is also defined at ${other}: each component version may appear once`);
    seen.set(key, c.path);
  }
  return { components, source };
}

function parseComponent(check: Checker, value: unknown, path: string): ConstructorComponent {
  const o = check.object(value, path);
  check.onlyKeys(o, COMPONENT_KEYS, path);
  const name = check.componentName(o.name, `${path}.name`);
  const version = check.version(o.version, `${path}.version`);
  const provider = parseProvider(check, o.provider, `${path}.provider`);
  const labels = check.labels(o.labels, `${path}.labels`);
  const creationTime = check.creationTime(o.creationTime, `${path}.creationTime`);
  const resources = check.list(o.resources, `${path}.resources`).map((r, i) => parseResource(check, r, `${path}.resources[${i}]`, version));
  const sources = check.list(o.sources, `${path}.sources`).map((s, i) => parseSource(check, s, `${path}.sources[${i}]`, version));
  const componentReferences = check
    .list(o.componentReferences, `${path}.componentReferences`)
    .map((r, i) => parseReference(check, r, `${path}.componentReferences[${i}]`));
  return {
    name,
    version,
    provider,
    ...(labels ? { labels } : {}),
    ...(creationTime !== undefined ? { creationTime } : {}),
    resources,
    sources,
    componentReferences,
    path,
  };
}

function parseProvider(check: Checker, value: unknown, path: string): ConstructorProvider {
  if (typeof value === 'string') check.fail(path, `must be an object, e.g. "provider: {name: ${value}}"`);
  const o = check.object(value, path, 'an object with a name, e.g. {name: acme.org}');
  if (Object.keys(o).length === 0) check.fail(path, 'must not be empty: set at least "name"');
  const name = check.string(o.name, `${path}.name`);
  const labels = check.labels(o.labels, `${path}.labels`);
  return { ...o, name, ...(labels ? { labels } : {}) };
}

/** `input` xor `access`; both typed objects. */
function inputOrAccess(check: Checker, o: Obj, path: string): { input?: TypedSpec; access?: TypedSpec } {
  const hasInput = o.input !== undefined && o.input !== null;
  const hasAccess = o.access !== undefined && o.access !== null;
  if (hasInput === hasAccess) check.fail(path, 'exactly one of "input" or "access" is required');
  const key = hasInput ? 'input' : 'access';
  const spec = check.object(o[key], `${path}.${key}`, `an object with a "type"`);
  check.string(spec.type, `${path}.${key}.type`, ` (e.g. ${hasInput ? 'file, dir, utf8' : 'ociArtifact, localBlob'})`);
  return { [key]: spec as TypedSpec };
}

function common(check: Checker, o: Obj, path: string, componentVersion: string) {
  const name = check.identityKey(o.name, `${path}.name`);
  const type = check.ocmType(o.type, `${path}.type`);
  const version = o.version === undefined || o.version === null ? componentVersion : check.version(o.version, `${path}.version`);
  const extraIdentity = check.identityMap(o.extraIdentity, `${path}.extraIdentity`);
  if (extraIdentity && 'name' in extraIdentity) check.fail(`${path}.extraIdentity.name`, '"name" is not allowed in extraIdentity: it is always part of the identity');
  const labels = check.labels(o.labels, `${path}.labels`);
  const io = inputOrAccess(check, o, path);
  if (o.copyPolicy !== undefined && o.copyPolicy !== 'byReference') {
    throw new OcmError(ErrorCode.UNSUPPORTED, `${check.source}: ${path}.copyPolicy: "${String(o.copyPolicy)}" is not supported; remove it (resources are kept by reference)`);
  }
  return {
    name,
    version,
    type,
    ...(extraIdentity ? { extraIdentity } : {}),
    ...(labels ? { labels } : {}),
    ...io,
    path,
  };
}

function parseResource(check: Checker, value: unknown, path: string, componentVersion: string): ConstructorResource {
  const o = check.object(value, path);
  const base = common(check, o, path, componentVersion);
  let relation: string;
  if (base.input) {
    if (o.relation !== undefined && o.relation !== null && o.relation !== 'local') {
      check.fail(`${path}.relation`, `must be "local" for a resource with an input, got ${describe(o.relation)}`);
    }
    if (o.digest !== undefined && o.digest !== null) {
      check.fail(`${path}.digest`, 'a digest can only be pinned next to "access"; for an input the digest is computed');
    }
    relation = 'local';
  } else {
    relation = o.relation === undefined || o.relation === null ? 'external' : check.string(o.relation, `${path}.relation`);
    if (relation !== 'local' && relation !== 'external') check.fail(`${path}.relation`, `must be "local" or "external", got "${relation}"`);
  }
  const digest = check.digest(o.digest, `${path}.digest`);
  const srcRefs =
    o.srcRefs === undefined || o.srcRefs === null
      ? undefined
      : check.list(o.srcRefs, `${path}.srcRefs`).map((r, i): SourceRef => {
          const p = `${path}.srcRefs[${i}]`;
          const so = check.object(r, p);
          check.onlyKeys(so, ['identitySelector', 'labels'], p);
          const identitySelector = check.identityMap(so.identitySelector, `${p}.identitySelector`);
          const labels = check.labels(so.labels, `${p}.labels`);
          return { ...(identitySelector ? { identitySelector } : {}), ...(labels ? { labels } : {}) };
        });
  let options: Record<string, unknown> | undefined;
  if (o.options !== undefined && o.options !== null) {
    options = check.object(o.options, `${path}.options`);
    const policy = options.ownershipPolicy;
    if (policy !== undefined && policy !== 'Always' && policy !== 'Never') {
      check.fail(`${path}.options.ownershipPolicy`, `must be "Always" or "Never", got ${describe(policy)}`);
    }
  }
  return { ...base, relation, ...(digest ? { digest } : {}), ...(srcRefs ? { srcRefs } : {}), ...(options ? { options } : {}) };
}

function parseSource(check: Checker, value: unknown, path: string, componentVersion: string): ConstructorSource {
  const o = check.object(value, path);
  if (o.digest !== undefined && o.digest !== null) check.fail(`${path}.digest`, 'sources carry no digest: remove it');
  return common(check, o, path, componentVersion);
}

function parseReference(check: Checker, value: unknown, path: string): ComponentReference {
  const o = check.object(value, path);
  check.onlyKeys(o, REFERENCE_KEYS, path);
  const name = check.identityKey(o.name, `${path}.name`);
  const componentName = check.componentName(o.componentName, `${path}.componentName`);
  const version = check.version(o.version, `${path}.version`);
  const extraIdentity = check.identityMap(o.extraIdentity, `${path}.extraIdentity`);
  const labels = check.labels(o.labels, `${path}.labels`);
  const digest = check.digest(o.digest, `${path}.digest`);
  return {
    name,
    componentName,
    version,
    ...(extraIdentity ? { extraIdentity } : {}),
    ...(labels ? { labels } : {}),
    ...(digest ? { digest } : {}),
  };
}

/**
 * Reads and parses a constructor file (bounded like any descriptor). `baseDir` is the file's
 * directory, where input paths are resolved unless the caller picks another working directory.
 */
export async function loadConstructor(
  path: string,
  options: { env?: Readonly<Record<string, string | undefined>>; signal?: AbortSignal } = {},
): Promise<{ spec: ConstructorSpec; baseDir: string }> {
  throwIfAborted(options.signal);
  let text: string;
  try {
    const fh = await openFile(path, 'r');
    try {
      text = (await readAllBounded(fh.createReadStream({ autoClose: false, ...(options.signal ? { signal: options.signal } : {}) }), MAX_CONSTRUCTOR_BYTES, path)).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw fromFsError(e, `constructor file ${path}`);
  }
  const spec = parseConstructor(text, { source: path, ...(options.env ? { env: options.env } : {}) });
  return { spec, baseDir: dirname(resolve(path)) };
}
