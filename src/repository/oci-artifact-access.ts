import type { TypeRegistry } from '../runtime/type-registry.js';

/** Placeholder: registers nothing yet (filled in by the issue that owns it). */
export function register(_registry: TypeRegistry): void {}
