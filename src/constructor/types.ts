/**
 * The component constructor model (`component-constructor.yaml`) after parsing, validation and
 * defaulting, plus the input-method extension point. Facts: spec credentials-config-plugins-cli.md §4.4.
 */
import type { ReadOnlyBlob } from '../blob/blob.js';
import type { ComponentReference, DigestSpec, Label, SourceRef, TypedSpec } from '../descriptor/types.js';
import type { Credentials } from '../runtime/credentials-types.js';
import type { Identity } from '../runtime/identity.js';

/** The provider object of a constructor component (`name` plus free extra keys such as `labels`). */
export interface ConstructorProvider {
  readonly name: string;
  readonly labels?: readonly Label[];
  readonly [key: string]: unknown;
}

interface ConstructorElement {
  readonly name: string;
  /** Defaulted to the component version when absent. */
  readonly version: string;
  readonly type: string;
  readonly extraIdentity?: Readonly<Record<string, string>>;
  readonly labels?: readonly Label[];
  /** Exactly one of `input` and `access` is set. */
  readonly input?: TypedSpec;
  readonly access?: TypedSpec;
  /** Where the element sits in the file, e.g. `components[0].resources[1]` (for messages). */
  readonly path: string;
}

export interface ConstructorResource extends ConstructorElement {
  /** `local` | `external`; defaulted (`local` for input, `external` for access). */
  readonly relation: string;
  readonly srcRefs?: readonly SourceRef[];
  /** A pinned content digest (only next to `access`). */
  readonly digest?: DigestSpec;
  /** Construction-time options (not persisted), e.g. `ownershipPolicy`. */
  readonly options?: Readonly<Record<string, unknown>>;
}

export type ConstructorSource = ConstructorElement;

export interface ConstructorComponent {
  readonly name: string;
  readonly version: string;
  readonly provider: ConstructorProvider;
  readonly labels?: readonly Label[];
  /** Kept byte-exact as written; only set when the constructor sets it. */
  readonly creationTime?: string;
  readonly resources: readonly ConstructorResource[];
  readonly sources: readonly ConstructorSource[];
  readonly componentReferences: readonly ComponentReference[];
  /** `components[i]` (or `documents[d].components[i]` for multi-document files). */
  readonly path: string;
}

export interface ConstructorSpec {
  readonly components: readonly ConstructorComponent[];
  /** The file name used in messages. */
  readonly source: string;
}

export interface InputContext {
  /** Directory that input paths are relative to and may not leave. */
  readonly baseDir: string;
  /** Credentials for `consumerIdentity(input)`, resolved by the caller; undefined = none. */
  readonly credentials?: Credentials;
  /**
   * The constructor element the input belongs to (name, version, type, labels, ..., input), as
   * written: a plugin's input repository is sent the whole element (`/resource/process`, `/source/process`).
   */
  readonly element?: { readonly kind: 'resource' | 'source'; readonly spec: Readonly<Record<string, unknown>> };
  readonly signal?: AbortSignal;
}

export interface InputResult {
  /** Re-openable content (every `open()` yields the same bytes). Not read when `access` is set. */
  readonly blob: ReadOnlyBlob;
  readonly mediaType: string;
  /**
   * The element is not stored as a local blob but gets this access (a plugin's input that
   * uploaded the content elsewhere), with the digest the input reports, if any.
   */
  readonly access?: TypedSpec;
  readonly digest?: DigestSpec;
}

/**
 * An input type (kind `input` in the type registry). Built-ins register exactly as plugins will.
 * `check` is an optional cheap pre-flight (spec fields, file existence) run before anything is
 * written, so a bad constructor leaves the target repository untouched.
 */
export interface InputMethod {
  /** The consumer identity credentials for this input are looked up with; undefined if it needs none. */
  consumerIdentity(input: TypedSpec): Identity | undefined | Promise<Identity | undefined>;
  process(input: TypedSpec, ctx: InputContext): Promise<InputResult>;
  check?(input: TypedSpec, ctx: InputContext): Promise<void>;
}

export type ConstructProgress =
  | { readonly phase: 'component-start'; readonly component: string; readonly version: string }
  | {
      readonly phase: 'element-done';
      readonly component: string;
      readonly version: string;
      readonly kind: 'resource' | 'source';
      readonly name: string;
      /** Bytes stored for input-based elements. */
      readonly size?: number;
      readonly digest?: string;
    }
  | { readonly phase: 'component-done'; readonly component: string; readonly version: string };
