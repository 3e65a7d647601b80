/** Component constructor: parse `component-constructor.yaml`, run inputs, add component versions. */
export { parseConstructor, loadConstructor, type ParseConstructorOptions } from './parse.js';
export { addComponentVersions, dependencyOrder, legacyAccessType, type AddComponentVersionsOptions } from './construct.js';
export { registerBuiltinInputs, fileInput, dirInput, utf8Input, binaryInput } from './inputs/index.js';
export { expandEnv } from './env.js';
export { compileGlob, resolveInside } from './paths.js';
export type {
  ConstructorSpec,
  ConstructorComponent,
  ConstructorResource,
  ConstructorSource,
  ConstructorProvider,
  ConstructProgress,
  InputMethod,
  InputContext,
  InputResult,
} from './types.js';
