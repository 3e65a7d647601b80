/** Types and helpers of storing many component versions as one unit (OCI mapping). */
import type { ComponentDescriptor } from '../../descriptor/types.js';
import type { OciDescriptor, OpOptions, Target } from '../../oci/content/types.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { AddComponentVersionOptions } from '../types.js';

/** A component version ready to be written: its blobs in write order and what its tag will point at. */
export interface StagedVersion {
  readonly component: string;
  readonly where: string;
  readonly target: Target;
  readonly tag: string;
  /** Descriptor layer and config: pushed when absent, concurrently. */
  readonly content: readonly (readonly [OciDescriptor, Buffer])[];
  /** The manifest, then the index holding it (if any): pushed in order after the content. */
  readonly manifests: readonly (readonly [OciDescriptor, Buffer])[];
  /** The tag's new target; undefined when the version is already stored exactly so. */
  readonly root?: OciDescriptor;
}

export interface AddComponentVersionsOptions extends AddComponentVersionOptions {
  /** Versions staged and written at the same time (default 16). */
  readonly concurrency?: number;
}

/** Component versions written as one unit (see `beginComponentVersions`). */
export interface ComponentVersionBatch {
  /** Validates `cd` and writes its content; it becomes visible only with `commit`. */
  add(cd: ComponentDescriptor): Promise<void>;
  /** Waits for every `add`, then makes all versions visible (tags in `add` order). */
  commit(): Promise<void>;
}

export function checkOnce(seen: Set<string>, cd: ComponentDescriptor): void {
  const where = `${cd.component.name}:${cd.component.version}`;
  if (seen.has(where)) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `component version ${where} is given twice; store each version once`);
  seen.add(where);
}

/** Concurrent requests each get a signal of their own following the caller's (no listener pile-up on it). */
export function ownSignal<T extends OpOptions>(o: T): T {
  return o.signal ? { ...o, signal: AbortSignal.any([o.signal]) } : o;
}

/** Versions written at the same time by `addComponentVersions` (each is a few small files). */
export const BATCH_CONCURRENCY = 16;

