/**
 * Registers the built-in input types under kind `input`, exactly as a plugin registers its own.
 */
import { defaultTypeRegistry, type TypeRegistration, type TypeRegistry } from '../../runtime/type-registry.js';
import type { InputMethod } from '../types.js';
import { binaryInput } from './binary.js';
import { dirInput } from './dir.js';
import { fileInput } from './file.js';
import { utf8Input } from './utf8.js';

export { binaryInput, dirInput, fileInput, utf8Input };

const done = new WeakSet<TypeRegistry>();

/** Module-level, so registering them again into the same registry is a no-op rather than a conflict. */
const BUILTIN_INPUTS: readonly TypeRegistration<InputMethod>[] = [
  {
    type: 'File/v1',
    source: 'built-in',
    description: 'a local file (path relative to the constructor), fields: path, mediaType, compress',
    impl: fileInput,
  },
  {
    type: 'Dir/v1',
    source: 'built-in',
    description: 'a local directory as tar, fields: path, mediaType, compress, preserveDir, reproducible, includeFiles, excludeFiles',
    impl: dirInput,
  },
  {
    type: 'UTF8/v1',
    source: 'built-in',
    description: 'inline content, exactly one of: text, json, formattedJson, yaml; optional mediaType, compress',
    impl: utf8Input,
  },
  {
    type: 'Binary/v1',
    source: 'built-in',
    description: 'inline base64 bytes, fields: data, mediaType, compress',
    impl: binaryInput,
  },
];

/**
 * Idempotent per registry. ALREADY_EXISTS (naming both) if something else already holds a
 * built-in name. `file`, `File`, `file/v1` all match `File/v1` (missing version = v1, any case).
 */
export function registerBuiltinInputs(registry: TypeRegistry = defaultTypeRegistry): TypeRegistry {
  if (done.has(registry)) return registry;
  for (const r of BUILTIN_INPUTS) registry.register<InputMethod>('input', r);
  done.add(registry);
  return registry;
}
