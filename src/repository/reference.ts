/**
 * Component and repository references as typed on the command line:
 *
 *   [<type>::]<repository>/[component-descriptors]/<component>[:<version>][@<digest>]
 *
 * `//` stands for the empty prefix. Parsing follows the Go v2 `compref` package step by step
 * (shared/spec/credentials-config-plugins-cli.md §4.3) so that every string the Go CLI accepts
 * means the same thing here; the case table is conformance/ocm-config/component-reference-cases.json.
 */
import type { TypedSpec } from '../descriptor/types.js';
import { COMPONENT_NAME_PATTERN as COMPONENT_RE, RELAXED_SEMVER_PATTERN as VERSION_RE } from '../descriptor/identity.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import { parseYamlBounded } from '../internal/bounded-parse.js';
import { defaultTypeRegistry, type JsonSchema, type TypeRegistry } from '../runtime/type-registry.js';
import { registerBuiltins } from './builtins.js';
import { CTF_REPOSITORY_TYPE } from './ctf-provider.js';
import { OCI_REPOSITORY_TYPE } from './oci-provider.js';

export const CTF_TYPE = CTF_REPOSITORY_TYPE;
export const OCI_TYPE = OCI_REPOSITORY_TYPE;
/** The prefix under which component versions live in an OCI repository or CTF. */
export const DEFAULT_PREFIX = 'component-descriptors';

// Go's regexp.MatchString is unanchored: a digest only has to contain this pattern.
const DIGEST_RE = /[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}/;

export interface ComponentReference {
  /** The type token as written (`ctf`, `oci`, ...) or the guessed canonical type. */
  readonly type: string;
  /** `{type, filePath}` for CTF, `{type, baseUrl, subPath?}` for OCI. */
  readonly repository: TypedSpec;
  /** `component-descriptors` or `''` (the `//` form). */
  readonly prefix: string;
  readonly component: string;
  readonly version?: string;
  readonly digest?: string;
}

export interface ReferenceOptions {
  /** Accept versions that are not relaxed semver (the Go option `IgnoreSemverCompatibility`). */
  readonly ignoreSemverCompatibility?: boolean;
  /** Where `type::` tokens other than CTF/OCI are looked up (plugin repository types). Default: the process-wide registry. */
  readonly registry?: TypeRegistry;
}

/** Largest inline repository spec in a reference (`<type>::{...}//component`). */
const MAX_INLINE_SPEC_BYTES = 64 * 1024;

function invalid(text: string, why: string): OcmError {
  return new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid reference "${text}": ${why}`, { details: { reference: text } });
}

/** Splits an optional leading `type::` off a reference: `[type, rest]` (type `''` when absent). */
function splitType(text: string): [string, string] {
  const sep = text.indexOf('::');
  // A type token has no ':' or '[': the `::` of an IPv6 literal (`http://[::1]`) is not a separator.
  return sep === -1 || /[:[]/.test(text.slice(0, sep)) ? ['', text] : [text.slice(0, sep), text.slice(sep + 2)];
}

/** True for `C:\x` and `D:/x` (a drive letter would otherwise parse as a URL scheme). */
function isWindowsAbsPath(s: string): boolean {
  return s.length >= 3 && /^\p{L}$/u.test(s[0]!) && s[1] === ':' && (s[2] === '\\' || s[2] === '/');
}

/** Parses `[type::]repo//component[:version][@digest]` (or `.../component-descriptors/...`). */
export function parseComponentReference(text: string, options: ReferenceOptions = {}): ComponentReference {
  let [type, input] = splitType(text);
  if (isWindowsAbsPath(input)) input = input.replaceAll('\\', '/');

  let digest: string | undefined;
  const at = input.lastIndexOf('@');
  if (at !== -1 && !input.slice(at).includes('/')) {
    digest = input.slice(at + 1);
    input = input.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw invalid(text, `digest "${digest}" is not of the form <algorithm>:<hex>`);
  }

  let version: string | undefined;
  const colon = input.lastIndexOf(':');
  if (colon !== -1 && !input.slice(colon).includes('/')) {
    version = input.slice(colon + 1);
    input = input.slice(0, colon);
    if (!VERSION_RE.test(version) && !options.ignoreSemverCompatibility) {
      throw invalid(text, `version "${version}" is not a semantic version (e.g. 1.0.0 or v1.2)`);
    }
  }

  // The named prefix wins over `//`, each found at its last occurrence (Go: ValidPrefixes order).
  let prefix: string | undefined;
  let component = '';
  for (const p of [DEFAULT_PREFIX, '']) {
    const token = `/${p}/`;
    const idx = input.lastIndexOf(token);
    if (idx === -1) continue;
    component = input.slice(idx + token.length);
    if (component === '') throw invalid(text, `no component name after "${token}"`);
    prefix = p;
    input = input.slice(0, idx);
    break;
  }
  if (prefix === undefined) {
    throw invalid(text, 'expected <repository>//<component>[:<version>] (or <repository>/component-descriptors/<component>)');
  }
  if (!COMPONENT_RE.test(component)) {
    throw invalid(text, `component name "${component}" is not valid (expected e.g. acme.org/my-component: a domain, then "/" path segments, lower case)`);
  }

  const repository = parseRepositoryReference(type ? `${type}::${input}` : input, options.registry);
  return {
    type: type || repository.type,
    repository,
    prefix,
    component,
    ...(version !== undefined ? { version } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/**
 * Parses a repository alone (`--repository`): `./ctf`, `ctf::archive.tgz`, `ghcr.io/org`,
 * `http://127.0.0.1:5000/prefix`. Without `type::` the type is guessed (`guessRepositoryType`).
 */
export function parseRepositoryReference(text: string, registry: TypeRegistry = defaultTypeRegistry): TypedSpec {
  const [type, input] = splitType(text);
  if (input.trim() === '') {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid repository reference "${text}": the repository location is empty`, {
      details: { reference: text },
    });
  }
  const kind = type === '' ? (guessRepositoryType(input) === OCI_TYPE ? 'oci' : 'ctf') : repositoryKindOf(type, registry);
  if (kind === undefined) {
    const other = registry.find('repository', type);
    if (other) return otherRepositorySpec(other.type, other.schema, input, text);
    throw new OcmError(
      ErrorCode.UNSUPPORTED,
      `invalid repository reference "${text}": unknown repository type "${type}" (use ctf::, oci::, a type an installed plugin serves, or --repository-spec <file>)`,
      { details: { reference: text, type } },
    );
  }
  const specType = type || (kind === 'oci' ? OCI_TYPE : CTF_TYPE);
  // `file://` only marks a local path (it makes the guess CTF); the provider wants the path itself.
  if (kind === 'ctf') return { type: specType, filePath: input.startsWith('file://') ? input.slice('file://'.length) : input };
  return { type: specType, ...splitOciLocation(input, text) };
}

/**
 * The spec of a registered repository type other than CTF/OCI (a plugin's) from the value of
 * `<type>::<value>`: inline JSON or flow YAML `{...}`, or a plain string assigned to the schema's
 * single required string property other than `type` (`FileStore/v1alpha1::/tmp/store` → `{type, path}`).
 */
function otherRepositorySpec(type: string, schema: JsonSchema | undefined, value: string, text: string): TypedSpec {
  if (value.trimStart().startsWith('{')) {
    const parsed = parseYamlBounded(value, { what: `repository spec in reference "${text}"`, code: ErrorCode.INVALID_ARGUMENT, maxBytes: MAX_INLINE_SPEC_BYTES });
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid reference "${text}": the repository spec must be a map`, { details: { reference: text } });
    }
    return { ...(parsed as Record<string, unknown>), type };
  }
  const field = singleStringField(schema);
  if (field === undefined) {
    throw new OcmError(
      ErrorCode.INVALID_ARGUMENT,
      `invalid reference "${text}": repository type "${type}" has no single required string field to take "${value}"; write ${type}::{...} (JSON) or use --repository-spec <file>`,
      { details: { reference: text, type } },
    );
  }
  return { type, [field]: value };
}

/** The only required property other than `type` whose schema says `type: string`, if there is exactly one. */
function singleStringField(schema: JsonSchema | undefined): string | undefined {
  const s = schema as { required?: unknown; properties?: Record<string, { type?: unknown }> } | undefined;
  const required = Array.isArray(s?.required) ? (s.required as unknown[]).filter((r): r is string => typeof r === 'string' && r !== 'type') : [];
  const strings = required.filter((r) => s?.properties?.[r]?.type === 'string');
  return required.length === 1 && strings.length === 1 ? strings[0] : undefined;
}

/**
 * `ctf` or `oci` for a type token (`ctf`, `CTF/v1`, `CommonTransportFormat/v1`, `oci`, `OCIRegistry`, ...):
 * whatever name the registry knows for the built-in CTF or OCI repository type, case-insensitively.
 */
export function repositoryKindOf(type: string, registry: TypeRegistry = defaultTypeRegistry): 'ctf' | 'oci' | undefined {
  const r = registerBuiltins(registry);
  if (r.same('repository', type, CTF_TYPE)) return 'ctf';
  if (r.same('repository', type, OCI_TYPE)) return 'oci';
  return undefined;
}

/** `[scheme://]host[:port][/path]` → `baseUrl` (scheme kept) and `subPath`. */
function splitOciLocation(input: string, text: string): { baseUrl: string; subPath?: string } {
  let scheme = '';
  let rest = input;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(input);
  if (m) {
    scheme = m[1]!;
    rest = input.slice(m[0].length);
  }
  const slash = rest.indexOf('/');
  const host = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
  if (host.includes('@')) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid repository reference "${withoutUserinfo(text)}": credentials in a registry URL are not supported; configure them in .ocmconfig`, {
      details: { reference: withoutUserinfo(text) },
    });
  }
  if (host === '' || /[\s?#]/.test(host) || !URL.canParse(`http://${host}/`)) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid repository reference "${text}": "${input}" has no valid registry host`, {
      details: { reference: text },
    });
  }
  const baseUrl = scheme ? `${scheme}://${host}` : host;
  return path ? { baseUrl, subPath: path } : { baseUrl };
}

/** `scheme://user:secret@host` → `scheme://***@host`: a reference may carry a password by mistake; errors must not repeat it. */
function withoutUserinfo(text: string): string {
  return text.replace(/^((?:[A-Za-z][\w+.-]*::)?(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?)[^/@]*@/, '$1***@');
}

/** Go's filepath.Clean for `/`-separated paths. */
function cleanPath(p: string): string {
  if (p === '') return '.';
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  return abs ? `/${joined}` : joined || '.';
}

/**
 * Guesses the type of an untyped repository string, exactly like Go's `compref.guessType`:
 * file URLs and paths (absolute, `./`, `../`, `*.tar`, `*.tgz`, `*.tar.gz`) are CTFs; other URL schemes,
 * a `:` (port), `localhost` and domain-like names are OCI; everything else is a CTF. So `my.path` is OCI.
 */
export function guessRepositoryType(repository: string): typeof CTF_TYPE | typeof OCI_TYPE {
  if (isWindowsAbsPath(repository)) return CTF_TYPE;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(repository)?.[1];
  if (scheme !== undefined) return scheme.toLowerCase() === 'file' ? CTF_TYPE : OCI_TYPE;
  const cleaned = cleanPath(repository);
  if (cleaned.startsWith('/')) return CTF_TYPE;
  if (cleaned.split('/').length > 1 && cleaned.split('/')[0] === '..') return CTF_TYPE;
  if (repository.startsWith('./')) return CTF_TYPE;
  if (cleaned.includes(':') || cleaned === 'localhost') return OCI_TYPE;
  const lower = cleaned.toLowerCase();
  if (['.tar.gz', '.tgz', '.tar'].some((ext) => lower.endsWith(ext))) return CTF_TYPE;
  if (cleaned.includes('.') && cleaned.split('.').some((part) => /\p{L}/u.test(part))) return OCI_TYPE;
  return CTF_TYPE;
}

/** Renders a reference back (`type::base[/subPath]/<prefix>/<component>[:v][@d]`), like Go's `Ref.String()`. */
export function formatComponentReference(ref: ComponentReference): string {
  const r = ref.repository;
  const repo =
    typeof r.filePath === 'string' ? r.filePath : `${String(r.baseUrl ?? '')}${typeof r.subPath === 'string' && r.subPath ? `/${r.subPath}` : ''}`;
  return `${ref.type ? `${ref.type}::` : ''}${repo}/${ref.prefix}/${ref.component}${ref.version ? `:${ref.version}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
