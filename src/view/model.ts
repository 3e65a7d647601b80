/**
 * The delivery as data (issue 17): one component-version graph with what each export needs —
 * DOT/mermaid graphs, the self-contained HTML page (Software Bill of Delivery) and CycloneDX/SPDX.
 * Built once by `buildViewGraph` (graph.ts) from a repository; every renderer is a pure function
 * of this model, so renderers are tested with hand-made models and never touch a repository.
 */
import type { TypedSpec } from '../descriptor/types.js';

/** `<component>:<version>`: a node's key and what edges point at. */
export type NodeKey = string;

export interface ViewDigest {
  readonly hashAlgorithm: string;
  readonly normalisationAlgorithm: string;
  readonly value: string;
}

/** A resource or source of a component version, with where it lives now. */
export interface ViewArtifact {
  readonly kind: 'resource' | 'source';
  readonly name: string;
  readonly version?: string;
  readonly type: string;
  readonly relation?: 'local' | 'external';
  readonly extraIdentity?: Readonly<Record<string, string>>;
  readonly labels?: readonly ViewLabel[];
  /** The access as stored (secrets never live in accesses). */
  readonly access?: TypedSpec;
  /** One line: where the bytes are now (e.g. `localBlob sha256:… in ghcr.io/acme/ocm`, `ghcr.io/acme/app@sha256:…`). */
  readonly location: string;
  readonly digest?: ViewDigest;
  /** Bytes, when the repository knows it without reading content (OCI layer size). */
  readonly size?: number;
  readonly mediaType?: string;
}

export interface ViewLabel {
  readonly name: string;
  readonly value: unknown;
  readonly signing?: boolean;
}

export type SignatureState = 'verified' | 'failed' | 'not-checked';

export interface ViewSignature {
  readonly name: string;
  readonly algorithm: string;
  readonly mediaType: string;
  readonly issuer?: string;
  readonly digest: ViewDigest;
  /** What `ocm` computed when the model was built. */
  readonly state: SignatureState;
  /** For `failed`: what changed (e.g. `resource "app": digest differs`), one line, no secrets. */
  readonly detail?: string;
}

export interface ViewNode {
  readonly key: NodeKey;
  readonly component: string;
  readonly version: string;
  readonly provider: string;
  readonly labels: readonly ViewLabel[];
  /** `repositoryContexts` of the descriptor: the repositories this version passed through (oldest first). */
  readonly repositoryContexts: readonly TypedSpec[];
  /** Where it was read from now (repository description). */
  readonly repository: string;
  readonly creationTime?: string;
  readonly resources: readonly ViewArtifact[];
  readonly sources: readonly ViewArtifact[];
  readonly signatures: readonly ViewSignature[];
  /** A referenced version that could not be read (not found, no access): shown, not fatal. */
  readonly error?: string;
}

export interface ViewEdge {
  readonly from: NodeKey;
  readonly to: NodeKey;
  /** The reference's name in the parent. */
  readonly name: string;
  readonly digest?: ViewDigest;
}

export interface ViewGraph {
  /** The version(s) asked for. */
  readonly roots: readonly NodeKey[];
  /** Every version reached, parents before children (stable order). */
  readonly nodes: readonly ViewNode[];
  readonly edges: readonly ViewEdge[];
  /** ISO time the model was built; `ocm-ts <version>`. */
  readonly generatedAt: string;
  readonly generator: string;
}
