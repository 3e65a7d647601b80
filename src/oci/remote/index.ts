/** The OCI distribution client: transport, auth layer, repositories and stores. */
export { RegistryClient, isLoopbackHost, validateRepositoryName, type RegistryClientOptions, type RegistryHost } from './client.js';
export { RemoteRepository, nextLink } from './repository.js';
export { Authenticator, parseChallenges, mergeScopes, repositoryScope, type AuthTarget, type Challenge, type CredentialFunction } from './auth.js';
export { HttpTransport, defaultRetryPolicy, redact, retryAfterMs, type RetryPolicy, type HttpTransportOptions } from './http.js';
export { parseOciReference, type OciReference } from './reference.js';
