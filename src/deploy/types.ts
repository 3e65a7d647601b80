/**
 * Deploy (issue 16): localization at deploy time, then server-side apply as a KEP-3659 ApplySet.
 * The two halves meet here: `render` (rules.ts, render.ts) produces files and the Kubernetes
 * objects in them; `apply` (kube/) applies objects to a cluster and prunes what the set no longer
 * holds. The Kubernetes client library is heavy (~1 s to load): only `apply` imports it, lazily.
 */

/** A Kubernetes object as rendered (apiVersion, kind, metadata.name at least). */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>>; readonly [k: string]: unknown };
  readonly [k: string]: unknown;
}

/** One localized file, relative to the deployable's root (a manifest stream, a kustomize base file, a values.yaml). */
export interface RenderedFile {
  readonly path: string;
  readonly content: string;
}

export interface Rendered {
  /** What `--render-to` writes. */
  readonly files: readonly RenderedFile[];
  /** The Kubernetes objects in them (for `--apply`; empty for a Helm chart's values). */
  readonly objects: readonly KubeObject[];
  /** `<component>:<version>` and the deployable resource's identity and digest (annotations use them). */
  readonly component: string;
  readonly version: string;
  /** The deployable resource's identity and digest (`sha256:<hex>` for SHA-256), when known. */
  readonly resource?: Readonly<Record<string, string>>;
  readonly resourceDigest?: string;
}

/** Annotations the OCM controller puts on what it applies. */
export const ANNOTATION_COMPONENT_NAME = 'component.delivery.ocm.software/name';
export const ANNOTATION_COMPONENT_VERSION = 'component.delivery.ocm.software/version';
/**
 * The deployable resource an object was rendered from: its identity as JSON (`{"name":"manifests"}`)
 * and its digest. Named after the component annotations above (no upstream constant was found).
 */
export const ANNOTATION_RESOURCE_IDENTITY = 'resource.delivery.ocm.software/identity';
export const ANNOTATION_RESOURCE_DIGEST = 'resource.delivery.ocm.software/digest';
/** The ApplySet field manager (KEP-3659 tooling identifier as the OCM v2 controller uses it). */
export const APPLYSET_FIELD_MANAGER = 'delivery.ocm.software/applyset';
