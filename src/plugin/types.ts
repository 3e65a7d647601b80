/**
 * The plugin system's contracts (wire protocol: spec credentials-config-plugins-cli.md §3).
 *
 * Three parts meet here and nowhere else:
 *  - the host (discovery, capability cache, process lifecycle, HTTP over UDS/TCP): `manager.ts`;
 *  - the adapters that turn a plugin's capabilities into ordinary type-registry registrations
 *    (repository, lister, access, input, credential, signer, blob-transformer kinds): `adapters/`;
 *  - the plugin-side SDK (`ocm-ts/plugin`): `sdk/`.
 * Adapters only ever see a `PluginConnection`, so they never know whether the process runs yet.
 */
import type { Credentials } from '../runtime/credentials-types.js';
import type { JsonSchema } from '../runtime/type-registry.js';

/** Capability type → the list field(s) of the capabilities JSON that carry its types (Go names, exact). */
export const CAPABILITY_LIST_FIELDS = {
  componentVersionRepository: ['supportedRepositorySpecTypes'],
  componentLister: ['supportedRepositorySpecTypes'],
  credentialRepository: ['supportedConsumerIdentityTypes', 'supportedCredentialRepositorySpecTypes', 'customCredentialTypes'],
  credentialPlugin: ['supportedCredentialPluginTypes'],
  inputRepository: ['supportedInputTypes'],
  digestProcessorRepository: ['supportedAccessTypes'],
  resourceRepository: ['supportedAccessTypes'],
  signingHandler: ['supportedSigningSpecTypes'],
  blobTransformer: ['supportedTransformerSpecTypes'],
} as const satisfies Record<string, readonly string[]>;

export type CapabilityType = keyof typeof CAPABILITY_LIST_FIELDS;

/** One declared type: `{"type": "Name/v1", "aliases": [...]|null, "jsonSchema": "<base64>"}` on the wire. */
export interface DeclaredType {
  readonly type: string;
  readonly aliases: readonly string[];
  /** Decoded from the base64 `jsonSchema`; undefined when the plugin shipped none. */
  readonly schema?: JsonSchema;
}

export interface Capability {
  readonly type: CapabilityType;
  /** Declared types per list field, e.g. `{ supportedRepositorySpecTypes: [...] }`. */
  readonly types: Readonly<Record<string, readonly DeclaredType[]>>;
}

export interface PluginCapabilities {
  readonly capabilities: readonly Capability[];
  readonly supportedConfigTypes: readonly string[];
}

/** What `<plugin> capabilities` told us (or why it could not be used). */
export interface PluginInfo {
  /** The file name (Go: the plugin ID). */
  readonly id: string;
  /** Absolute path of the executable. */
  readonly path: string;
  /** Parsed capabilities; undefined when `error` is set. */
  readonly capabilities?: PluginCapabilities;
  /** Why the plugin is skipped (failed `capabilities`, bad JSON, unknown capability, conflicting type). */
  readonly error?: string;
  /** True when the capabilities came from the cache (no process was run). */
  readonly cached?: boolean;
}

/** `{"type": "localFile", "value": "<path>", "mediaType": "..."}`; only localFile is implemented (as in Go). */
export interface PluginLocation {
  readonly type: 'localFile' | 'unixNamedPipe' | 'remoteURL';
  readonly value: string;
  readonly mediaType?: string;
}

/**
 * One HTTP call to a plugin. Credentials travel as the raw typed-credential JSON in `Authorization`;
 * without credentials the header is `{}` for componentVersionRepository and signingHandler calls
 * (`noCredentials: 'empty-object'`) and absent for the other types (`'omit'`, Go's behaviour).
 */
export interface PluginCall {
  readonly method: 'GET' | 'POST';
  /** Endpoint path, e.g. `/component-version/download`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** JSON body (POST). */
  readonly body?: unknown;
  readonly credentials?: Credentials;
  readonly noCredentials?: 'omit' | 'empty-object';
  readonly signal?: AbortSignal;
}

/**
 * A plugin as its adapters see it. The first `call` starts the process (lazily, once per binary,
 * shared by all its capabilities); a crashed process is restarted by the next call. A non-200
 * answer is `PLUGIN_ERROR` carrying the plugin's plain-text message and the status.
 */
export interface PluginConnection {
  readonly id: string;
  /** Parsed JSON answer; `undefined` for an empty 200 body. */
  call<T = unknown>(call: PluginCall): Promise<T>;
  /**
   * A private (0700) directory for `localFile` locations handed to or received from this plugin;
   * files in it are created 0600 by the caller; the whole directory is removed at shutdown.
   */
  tempDir(): Promise<string>;
}

/** A discovered, usable plugin: its capabilities plus the connection its adapters call. */
export interface LoadedPlugin {
  readonly info: PluginInfo & { readonly capabilities: PluginCapabilities };
  readonly connection: PluginConnection;
}
