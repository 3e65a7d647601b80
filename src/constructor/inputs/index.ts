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

/**
 * Idempotent per registry. A type a plugin registered earlier under the same name is kept
 * (plugins may override built-ins deliberately).
 */
export function registerBuiltinInputs(registry: TypeRegistry = defaultTypeRegistry): TypeRegistry {
  if (done.has(registry)) return registry;
  done.add(registry);
  const add = (r: TypeRegistration<InputMethod>) => {
    if (!registry.find('input', r.type)) registry.register<InputMethod>('input', r);
  };
  add({
    type: 'File/v1',
    aliases: ['File', 'file', 'file/v1'],
    description: 'a local file (path relative to the constructor), fields: path, mediaType, compress',
    impl: fileInput,
  });
  add({
    type: 'Dir/v1',
    aliases: ['Dir', 'dir', 'dir/v1'],
    description: 'a local directory as tar, fields: path, mediaType, compress, preserveDir, reproducible, includeFiles, excludeFiles',
    impl: dirInput,
  });
  add({
    type: 'UTF8/v1',
    aliases: ['UTF8', 'utf8', 'utf8/v1'],
    description: 'inline content, exactly one of: text, json, formattedJson, yaml; optional mediaType, compress',
    impl: utf8Input,
  });
  add({
    type: 'Binary/v1',
    aliases: ['Binary', 'binary', 'binary/v1'],
    description: 'inline base64 bytes, fields: data, mediaType, compress',
    impl: binaryInput,
  });
  return registry;
}
