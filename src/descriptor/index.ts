/** Public API of the descriptor layer: model types, codec, validation, identities. */
export type * from './types.js';
export { parseDescriptor, serializeDescriptor, validateDescriptor } from './codec.js';
export type { DescriptorFormat, ParseDescriptorOptions } from './codec.js';
export { toWire } from './validate.js';
export {
  COMPONENT_NAME_PATTERN, ELEMENT_NAME_PATTERN, RELAXED_SEMVER_PATTERN, elementIdentities, elementIdentity,
  findDuplicateIdentity, formatProvider, isJsonProvider, isRelaxedSemver, isValidComponentName, isValidElementName,
  providerLabels, providerName, selectElements,
} from './identity.js';
export type { DuplicateIdentity } from './identity.js';
export { componentDescriptorV2Schema } from './schema-v2.js';
