/**
 * The central credential system (config loading itself lives in `src/config/`; re-exported here
 * for existing users): the Go-compatible
 * consumer matcher, the credential graph with deterministic choice, the docker config fallback
 * and explanations. See README.md in this folder.
 */
export * from '../config/index.js';
export { matchIdentity, mismatch, identityString, pathMatch } from './match.js';
export { redact, redactEntry, redactCredentials, REDACTED } from './redact.js';
export {
  createCredentialGraph,
  buildCredentialGraph,
  type CredentialGraph,
  type CredentialGraphOptions,
  type CredentialPlugin,
  type RepositoryPlugin,
  type Explanation,
  type ExplainedEntry,
} from './graph.js';
export {
  builtinCredentialTypes,
  credentialTypes,
  registerCredentialBuiltins,
  registerCredentialType,
  registerCredentialRepositoryType,
  CREDENTIAL_KIND,
  CREDENTIAL_REPOSITORY_KIND,
  DIRECT_CREDENTIALS_TYPE,
  DOCKER_CONFIG_TYPE,
  type CredentialTypeImpl,
  type CredentialRepositoryImpl,
} from './typed.js';
export { validateCredentialConfig, validateCredentialConfigAsync } from './ingest.js';
export { DOCKER_HUB_KEY, dockerKeyFor, parseDockerConfig } from './docker-config.js';
export { HELPER_NOT_FOUND_TEXT } from './helper.js';
