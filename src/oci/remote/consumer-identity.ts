/**
 * Credential lookup identities for OCI targets, built exactly as the Go v2 bindings build them
 * (`runtime.ParseURLToIdentity` + `IdentityFromOCIRepository`), so that `.ocmconfig` consumers
 * written for the Go CLI match here too. Deliberately no defaulting: scheme and port appear only
 * when the URL spells them, and hostnames keep their case (Go's url.Parse does not fold it).
 */
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { Identity } from '../../runtime/identity.js';

/** The consumer identity type OCM emits for OCI registries (unversioned on purpose; see spec §1.5). */
export const OCI_REGISTRY_IDENTITY_TYPE = 'OCIRegistry';

interface ParsedUrl {
  scheme: string;
  hostname: string;
  port: string;
  path: string;
}

// scheme://authority/path?query#fragment; Go's url.Parse accepts the same split.
const URL_RE = /^([^:/?#]*):\/\/([^/?#]*)([^?#]*)(?:\?[^#]*)?(?:#.*)?$/;
const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/** Go-compatible URL split that also accepts `host[:port][/path]` without a scheme (Go inserts a dummy scheme). */
function parseUrlAllowNoScheme(text: string): ParsedUrl {
  const withScheme = text.includes('://') ? text : `dummy://${text}`;
  const m = URL_RE.exec(withScheme);
  const bad = (why: string) =>
    new OcmError(ErrorCode.INVALID_ARGUMENT, `repository URL "${text}": ${why}; expected [scheme://]host[:port][/path]`);
  if (!m) throw bad('cannot be parsed');
  const scheme = m[1] ?? '';
  if (scheme === '') throw bad('missing protocol scheme');
  if (!SCHEME_RE.test(scheme)) throw bad('invalid scheme');
  let authority = m[2] ?? '';
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1); // userinfo never becomes part of an identity
  let hostname = authority;
  let port = '';
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) throw bad('unclosed IPv6 address');
    hostname = authority.slice(1, close);
    const rest = authority.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw bad('invalid port');
      port = rest.slice(1);
    }
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0) {
      hostname = authority.slice(0, colon);
      port = authority.slice(colon + 1);
    }
  }
  if (port !== '' && !/^[0-9]+$/.test(port)) throw bad(`invalid port ":${port}"`);
  let path = m[3] ?? '';
  try {
    path = decodeURIComponent(path);
  } catch {
    throw bad('invalid percent-encoding in path');
  }
  return { scheme: scheme === 'dummy' ? '' : scheme, hostname, port, path };
}

/**
 * The lookup identity for an OCI component repository `{baseUrl, subPath}`:
 * `{type: OCIRegistry, hostname, [scheme], [port], [path]}` where a non-empty `subPath` replaces
 * the path of `baseUrl` (leading `/` stripped). Throws INVALID_ARGUMENT for unparsable URLs.
 */
export function ociConsumerIdentity(spec: { baseUrl: string; subPath?: string }): Identity {
  const u = parseUrlAllowNoScheme(spec.baseUrl);
  const id: Record<string, string> = { type: OCI_REGISTRY_IDENTITY_TYPE };
  if (u.scheme) id.scheme = u.scheme;
  if (u.port) id.port = u.port;
  if (u.hostname) id.hostname = u.hostname;
  let path = u.path.replace(/^\//, '');
  if (spec.subPath) path = spec.subPath.replace(/^\//, '');
  if (path) id.path = path;
  return id;
}

/**
 * The lookup identity for an OCI image reference (resource access `ociArtifact` / `OCIImage/v1`):
 * only the registry part, never a path (path-scoped consumers do not apply to images, as in Go).
 */
export function ociImageConsumerIdentity(imageReference: string): Identity {
  const withoutScheme = imageReference.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  const slash = withoutScheme.indexOf('/');
  const registry = slash >= 0 ? withoutScheme.slice(0, slash) : withoutScheme;
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(imageReference);
  const u = parseUrlAllowNoScheme(schemeMatch ? `${schemeMatch[1]}://${registry}` : registry);
  const id: Record<string, string> = { type: OCI_REGISTRY_IDENTITY_TYPE };
  if (u.scheme) id.scheme = u.scheme;
  if (u.port) id.port = u.port;
  if (u.hostname) id.hostname = u.hostname;
  return id;
}
