/**
 * Spec files on the command line (`--repository-spec`, `--target-repository-spec`,
 * `--transformer`): a YAML or JSON map with a `type`, parsed with bounds, and references whose
 * repository part comes from such a file (`ocm get cv --repository-spec store.yaml acme.org/app:1.0`).
 * Imported lazily from command actions.
 */
import { readFile } from 'node:fs/promises';
import type { TypedSpec } from '../descriptor/types.js';
import { COMPONENT_NAME_PATTERN, RELAXED_SEMVER_PATTERN } from '../descriptor/identity.js';
import { parseYamlBounded } from '../internal/bounded-parse.js';
import { parseComponentReference, type ComponentReference } from '../repository/reference.js';
import type { ComponentVersionRepository } from '../repository/types.js';
import { ErrorCode, OcmError, fromFsError } from '../runtime/errors.js';
import { openSpec } from './context.js';
import type { GlobalOptions } from './global-options.js';
import { ocmSession } from './session.js';

/** Largest spec file (a spec is a handful of fields). */
export const MAX_SPEC_FILE_BYTES = 1024 * 1024;

/** Reads a typed spec (`{type: ..., ...}`) from a YAML or JSON file given with `flag`. */
export async function readSpecFile(file: string, flag: string): Promise<TypedSpec> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw fromFsError(e, `${flag} ${file}`);
  }
  const what = `${flag} ${file}`;
  const doc = parseYamlBounded(bytes, { what, code: ErrorCode.PARSE_ERROR, maxBytes: MAX_SPEC_FILE_BYTES });
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `${what}: expected a map with a "type" field (YAML or JSON)`);
  }
  const type = (doc as Record<string, unknown>).type;
  if (typeof type !== 'string' || type.trim() === '') {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `${what}: the spec has no "type" field; add e.g. type: FileStore/v1alpha1`);
  }
  return doc as TypedSpec;
}

/** `component[:version]` alone, for a reference whose repository comes from a spec file. */
export function parseComponentOnly(text: string, flag: string): { component: string; version?: string } {
  if (text.includes('//') || text.includes('::')) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `reference "${text}": with ${flag} give only <component>[:<version>], e.g. acme.org/app:1.0.0`);
  }
  const colon = text.lastIndexOf(':');
  const component = colon === -1 ? text : text.slice(0, colon);
  const version = colon === -1 ? undefined : text.slice(colon + 1);
  if (!COMPONENT_NAME_PATTERN.test(component)) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `reference "${text}": component name "${component}" is not valid (expected e.g. acme.org/my-component)`);
  }
  if (version !== undefined && !RELAXED_SEMVER_PATTERN.test(version)) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `reference "${text}": version "${version}" is not a semantic version (e.g. 1.0.0 or v1.2)`);
  }
  return { component, ...(version !== undefined ? { version } : {}) };
}

/**
 * The component reference: `[type::]repository//component[:version]` (any registered repository
 * type, plugin types included), or `component[:version]` in the repository of `specFile`.
 */
export async function componentReference(text: string, globals: GlobalOptions, specFile: string | undefined, flag = '--repository-spec'): Promise<ComponentReference> {
  const registry = ocmSession(globals).types;
  if (specFile === undefined) return parseComponentReference(text, { registry });
  const repository = await readSpecFile(specFile, flag);
  return { type: repository.type, repository, prefix: '', ...parseComponentOnly(text, flag) };
}

/** Parses the reference (or reads the spec file) and opens its repository. */
export async function openComponentReference(
  text: string,
  globals: GlobalOptions,
  specFile: string | undefined,
): Promise<{ ref: ComponentReference; repository: ComponentVersionRepository }> {
  const ref = await componentReference(text, globals, specFile);
  return { ref, repository: await openSpec(ref.repository, globals) };
}
