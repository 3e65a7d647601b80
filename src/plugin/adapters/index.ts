/**
 * Turns loaded plugins into type-registry registrations, so a plugin type is indistinguishable
 * from a built-in one for the code that uses it. Every registration carries `yields: true`
 * and `source: plugin "<id>"`.
 * CONTRACT SKELETON — the adapters helper implements it.
 */
import type { TypeRegistry } from '../../runtime/type-registry.js';
import type { LoadedPlugin } from '../types.js';

export interface RegistrationProblem {
  readonly id: string;
  /** e.g. `type "X/v1" (repository) is already provided by plugin "y"`. */
  readonly error: string;
}

/** Registers every capability of every plugin; a plugin whose types conflict is skipped whole and reported. */
export function registerPluginTypes(_registry: TypeRegistry, _plugins: readonly LoadedPlugin[]): RegistrationProblem[] {
  return [];
}
