/**
 * Apply to a Kubernetes cluster as a KEP-3659 ApplySet. Importing this module is cheap: the
 * Kubernetes client library loads only when `applyRendered` runs.
 */
export { applyRendered, type ApplyOptions, type ApplyReport, type ObjectDiff } from './applyset.js';
export {
  ANNOTATION_ADDITIONAL_NAMESPACES, ANNOTATION_CONTAINS_GROUP_KINDS, ANNOTATION_TOOLING, LABEL_ID, LABEL_PART_OF, TOOLING,
  applySetId, groupKind, objectRef, parentName,
} from './applyset-meta.js';
export { fieldDiff, formatChanges, type FieldChange } from './diff.js';
export { readiness, type Readiness } from './readiness.js';
