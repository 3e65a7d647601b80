/**
 * What a plugin author implements, per capability (mirrors the Go contracts in
 * `bindings/go/plugin/manager/contracts/<type>/v1`). Bodies are the wire JSON of spec §3.5;
 * descriptors, resources and sources are OCM descriptor v2 JSON objects.
 */
import type { Logger } from './log.js';
import type { Schema } from './schema.js';

export type Json = Record<string, unknown>;
export type Identity = Record<string, string>;
/** `{"type": "localFile", "value": "<path>", "mediaType": "..."}` (only localFile is implemented, as in Go). */
export interface Location {
  type: 'localFile' | 'unixNamedPipe' | 'remoteURL';
  value: string;
  mediaType?: string;
}

/** A type the plugin serves: its name, aliases and spec schema (shipped base64 in `capabilities`). */
export interface TypeDeclaration {
  readonly type: string;
  readonly aliases?: readonly string[];
  readonly schema: Schema<unknown>;
}

/** Per call: the credentials from `Authorization` (properties flattened), cancellation, the logger. */
export interface CallContext {
  readonly credentials?: Record<string, string>;
  /** Aborted when the client disconnects or the plugin stops. */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

type R<T> = T | Promise<T>;

/** `/identity` of most capabilities: body `{"type": <spec>}` → `{"identity": {...}}`. */
export interface IdentityHandler<Spec = Json> {
  identity?(spec: Spec, ctx: CallContext): R<Identity>;
}

export interface ComponentVersionRepositoryHandlers<Spec = Json> extends IdentityHandler<Spec> {
  readonly types: readonly TypeDeclaration[];
  /** GET endpoints: `repository` comes from our `repository` query parameter (absent from Go hosts). */
  getComponentVersion(req: { repository?: Spec; name: string; version: string }, ctx: CallContext): R<Json>;
  listComponentVersions(req: { repository?: Spec; name: string }, ctx: CallContext): R<string[]>;
  getLocalResource(req: { repository?: Spec; name: string; version: string; identity: Identity }, ctx: CallContext): R<{ location: Location; resource: Json }>;
  getLocalSource?(req: { repository?: Spec; name: string; version: string; identity: Identity }, ctx: CallContext): R<{ location: Location; source: Json }>;
  addComponentVersion(req: { repository: Spec; descriptor: Json }, ctx: CallContext): R<void>;
  addLocalResource(req: { repository: Spec; name: string; version: string; resourceLocation: Location; resource: Json }, ctx: CallContext): R<Json>;
  addLocalSource?(req: { repository: Spec; name: string; version: string; sourceLocation: Location; source: Json }, ctx: CallContext): R<Json>;
  checkHealth?(req: { repository: Spec }, ctx: CallContext): R<void>;
}

export interface ComponentListerHandlers<Spec = Json> extends IdentityHandler<Spec> {
  readonly types: readonly TypeDeclaration[];
  /** One page; return `last` (the cursor for the next call) only when more pages exist. */
  listComponents(req: { repository: Spec; last?: string }, ctx: CallContext): R<{ list: string[]; last?: string }>;
}

export interface CredentialRepositoryHandlers<Spec = Json> {
  /** The repository spec types (`supportedCredentialRepositorySpecTypes`). */
  readonly types: readonly TypeDeclaration[];
  /** Consumer identity types it resolves (`supportedConsumerIdentityTypes`). */
  readonly consumerIdentityTypes: readonly TypeDeclaration[];
  readonly customCredentialTypes?: readonly TypeDeclaration[];
  /** `/consumer-identity` with `{"config": spec}` → the identity of the repository's own credentials. */
  consumerIdentity(req: { config: Spec }, ctx: CallContext): R<Identity>;
  /** `/resolve` with `{"config", "identity"}`; `ctx.credentials` are the repository's own. */
  resolve(req: { config: Spec; identity: Identity }, ctx: CallContext): R<Record<string, string>>;
}

export interface CredentialPluginHandlers<Spec = Json> {
  /** Credential types (`supportedCredentialPluginTypes`). */
  readonly types: readonly TypeDeclaration[];
  /** `/consumer-identity` with `{"credential": spec}`; the identity's `type` must be one of `types`. */
  consumerIdentity(req: { credential: Spec }, ctx: CallContext): R<Identity>;
  /** `/resolve` with `{"identity"}`; `ctx.credentials` are the plugin's own. */
  resolve(req: { identity: Identity }, ctx: CallContext): R<Record<string, string>>;
}

export interface InputRepositoryHandlers<Spec = Json> extends IdentityHandler<Spec> {
  readonly types: readonly TypeDeclaration[];
  /** `resource.input` is the spec (validated against its schema). */
  processResource(req: { resource: Json & { input: Spec } }, ctx: CallContext): R<{ resource: Json; location: Location }>;
  processSource?(req: { source: Json & { input: Spec } }, ctx: CallContext): R<{ source: Json; location: Location }>;
}

export interface DigestProcessorHandlers<Spec = Json> extends IdentityHandler<Spec> {
  readonly types: readonly TypeDeclaration[];
  /** Returns the resource with `digest` set; `resource.access` is the spec. */
  processResourceDigest(req: { resource: Json & { access: Spec } }, ctx: CallContext): R<Json>;
}

export interface ResourceRepositoryHandlers<Spec = Json> extends IdentityHandler<Spec> {
  readonly types: readonly TypeDeclaration[];
  getResource(req: { resource: Json & { access: Spec } }, ctx: CallContext): R<Location>;
  addResource?(req: { resourceLocation: Location; resource: Json }, ctx: CallContext): R<Json>;
}

export interface DigestSpec {
  hashAlgorithm: string;
  normalisationAlgorithm: string;
  value: string;
}
export interface SignatureSpec {
  algorithm: string;
  value: string;
  mediaType: string;
  issuer?: string;
}
export interface SignatureEntry {
  name: string;
  digest: DigestSpec;
  signature: SignatureSpec;
}

export interface SigningHandlers<Spec = Json> {
  readonly types: readonly TypeDeclaration[];
  signIdentity(req: { digest: DigestSpec; config: Spec; name: string }, ctx: CallContext): R<Identity>;
  verifyIdentity(req: { signature: SignatureEntry; config: Spec }, ctx: CallContext): R<Identity>;
  sign(req: { digest: DigestSpec; config: Spec; name?: string }, ctx: CallContext): R<SignatureSpec>;
  /** Throw (e.g. `PluginError(500, 'signature mismatch')`) when the signature does not verify. */
  verify(req: { signature: SignatureEntry; config: Spec }, ctx: CallContext): R<void>;
}

export interface BlobTransformerHandlers<Spec = Json> extends IdentityHandler<Spec> {
  readonly types: readonly TypeDeclaration[];
  transform(req: { location: Location; specification: Spec }, ctx: CallContext): R<Location>;
}

/** The capabilities a plugin serves; one entry per capability type, as in Go. */
export interface PluginCapabilityHandlers {
  componentVersionRepository?: ComponentVersionRepositoryHandlers<any>;
  componentLister?: ComponentListerHandlers<any>;
  credentialRepository?: CredentialRepositoryHandlers<any>;
  credentialPlugin?: CredentialPluginHandlers<any>;
  inputRepository?: InputRepositoryHandlers<any>;
  digestProcessorRepository?: DigestProcessorHandlers<any>;
  resourceRepository?: ResourceRepositoryHandlers<any>;
  signingHandler?: SigningHandlers<any>;
  blobTransformer?: BlobTransformerHandlers<any>;
}

/** A whole plugin: its capabilities, the config types it accepts and where it listens. */
export interface PluginDefinition {
  readonly capabilities: PluginCapabilityHandlers;
  /** `supportedConfigTypes`: `.ocmconfig` entry types the host hands over in `--config` `configTypes`. */
  readonly supportedConfigTypes?: readonly string[];
  /**
   * Unix socket location: `private` (default) — `<os.tmpdir()>/ocm-plugin-XXXX/plugin.socket` in a
   * fresh 0700 directory; `go` — Go's `/tmp/<id>-plugin.socket` plus a `.lock` file holding the PID.
   */
  readonly socket?: 'private' | 'go';
  /** Bound on request bodies (default 64 MiB). */
  readonly maxBodyBytes?: number;
}
