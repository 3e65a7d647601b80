/**
 * The component descriptor model, in the shape of the `meta.schemaVersion: v2` serialisation
 * (the only one both Go generations read and write). `v3alpha1` is converted into this on read.
 *
 * Facts: shared/spec/model-and-formats.md §1. Lists are always arrays in memory (`null` and
 * absent become `[]` on read). Unknown keys are dropped on read, as the Go readers do, except
 * inside access specs and label values, which are kept verbatim (typed objects).
 */

/** `{ type: "name[/version]", ...fields }` — access specs, repository contexts, inputs. */
export interface TypedSpec {
  readonly type: string;
  readonly [field: string]: unknown;
}

export interface LabelMerge {
  readonly algorithm: string;
  readonly config?: unknown;
}

export interface Label {
  readonly name: string;
  readonly value: unknown;
  /** `^v[0-9]+$`; absent means v1. */
  readonly version?: string;
  readonly signing?: boolean;
  readonly merge?: LabelMerge;
}

export interface DigestSpec {
  /** `SHA-256` | `SHA-512` (legacy `sha256` read only) | `NO-DIGEST` */
  readonly hashAlgorithm: string;
  /** `genericBlobDigest/v1` | `ociArtifactDigest/v1` | `jsonNormalisation/v3` | `EXCLUDE-FROM-SIGNATURE` ... */
  readonly normalisationAlgorithm: string;
  /** lower-case hex */
  readonly value: string;
}

export interface ElementMeta {
  readonly name: string;
  readonly version?: string;
  readonly extraIdentity?: Readonly<Record<string, string>>;
  readonly labels?: readonly Label[];
}

export interface SourceRef {
  readonly identitySelector?: Readonly<Record<string, string>>;
  readonly labels?: readonly Label[];
}

export interface Resource extends ElementMeta {
  readonly type: string;
  /** `local` | `external` */
  readonly relation?: string;
  readonly access: TypedSpec;
  readonly digest?: DigestSpec;
  readonly srcRefs?: readonly SourceRef[];
}

export interface Source extends ElementMeta {
  readonly type: string;
  readonly access: TypedSpec;
}

export interface ComponentReference extends ElementMeta {
  readonly componentName: string;
  readonly digest?: DigestSpec;
}

export interface SignatureSpec {
  readonly algorithm: string;
  readonly value: string;
  readonly mediaType: string;
  readonly issuer?: string;
}

export interface Signature {
  readonly name: string;
  readonly digest: DigestSpec;
  readonly signature: SignatureSpec;
  /** v1 only: RFC 3161 timestamp; kept verbatim. */
  readonly timestamp?: unknown;
}

export interface Component {
  readonly name: string;
  readonly version: string;
  /** A plain provider name, or a JSON string `{"name":..,"labels":[..]}` when the provider has labels (wire form). */
  readonly provider: string;
  readonly labels?: readonly Label[];
  /** RFC 3339 string, byte-exact as read. Signed. */
  readonly creationTime?: string;
  readonly repositoryContexts: readonly TypedSpec[];
  readonly resources: readonly Resource[];
  readonly sources: readonly Source[];
  readonly componentReferences: readonly ComponentReference[];
}

export interface ComponentDescriptor {
  readonly meta: { readonly schemaVersion: string };
  readonly component: Component;
  readonly signatures?: readonly Signature[];
  /** v1 "top" digest mode; kept verbatim, never normalised. */
  readonly nestedDigests?: readonly unknown[];
}

/** The element kinds that carry identities. */
export type ElementKind = 'resource' | 'source' | 'componentReference';
