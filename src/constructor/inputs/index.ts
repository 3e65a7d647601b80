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

/** Idempotent per registry. ALREADY_EXISTS (naming both) if something else already holds a built-in name. */
export function registerBuiltinInputs(registry: TypeRegistry = defaultTypeRegistry): TypeRegistry {
  if (done.has(registry)) return registry;
  const add = (r: TypeRegistration<InputMethod>) => registry.register<InputMethod>('input', { ...r, source: 'built-in' });
  add({
    type: 'File/v1',
    description: 'a local file (path relative to the constructor), fields: path, mediaType, compress',
    impl: fileInput,
  });
  add({
    type: 'Dir/v1',
    description: 'a local directory as tar, fields: path, mediaType, compress, preserveDir, reproducible, includeFiles, excludeFiles',
    impl: dirInput,
  });
  add({
    type: 'UTF8/v1',
    description: 'inline content, exactly one of: text, json, formattedJson, yaml; optional mediaType, compress',
    impl: utf8Input,
  });
  add({
    type: 'Binary/v1',
    description: 'inline base64 bytes, fields: data, mediaType, compress',
    impl: binaryInput,
  });
  done.add(registry);
  return registry;
}
