/**
 * Which flow answers a URI, and why (spec §A.6 step 8, §F.3). Only hosts the user chose get
 * credentials: tweag's well-known registries, GitHub's download hosts, hosts named in .ocmconfig
 * consumers (`OCIRegistry` → OCI, `HTTP` → HTTP), docker config `auths`/`credHelpers` keys, a
 * matching `.tweag-credential-helper.json` entry, or any OCI-shaped URI with
 * CREDENTIAL_HELPER_GUESS_OCI_REGISTRY=1. Everything else fails with one line saying how to
 * configure it — not tweag's silent `{}` (§F.6). Plain HTTP only for loopback or explicit `scheme: http`.
 */
import { configEntriesOfType, CREDENTIALS_CONFIG_TYPE } from '../../config/load.js';
import { convertToHostname, openDockerConfig } from '../../credentials/docker-config.js';
import { typeKey } from '../../runtime/type-registry.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { ResolveOptions } from './types.js';
import { DEFAULT_OCI_HOSTS, GITHUB_HOSTS, hostMatches, isLoopback, type HelperUri } from './uri.js';
import { loadTweagConfig, matchTweagEntry, parseActions, type OciHelperConfig, type TweagConfig } from './tweag-config.js';
import { consumerExample, DEPTH_ENV } from './oci.js';

export type Route =
  | { kind: 'oci'; repository: string; allowedBy: string; config?: OciHelperConfig; actions: string[] }
  | { kind: 'http'; allowedBy: string }
  | { kind: 'null'; allowedBy: string };

interface ConfiguredHost {
  hostname: string;
  port: string;
  scheme?: string;
}

const truthy = (v: string | undefined) => v === '1' || v?.toLowerCase() === 'true';

/** Hosts of `.ocmconfig` consumers of one identity type (hostnames lower-cased: URLs are). */
async function consumerHosts(opts: ResolveOptions, type: string): Promise<ConfiguredHost[]> {
  const cfg = await opts.session.config();
  const out: ConfiguredHost[] = [];
  for (const e of configEntriesOfType(cfg, CREDENTIALS_CONFIG_TYPE)) {
    const consumers = Array.isArray(e.value.consumers) ? e.value.consumers : [];
    for (const c of consumers as Record<string, unknown>[]) {
      const ids = [c?.identity, ...(Array.isArray(c?.identities) ? c.identities : [])];
      for (const id of ids as (Record<string, unknown> | undefined)[]) {
        if (!id || typeof id.type !== 'string' || typeof id.hostname !== 'string') continue;
        if (typeKey(id.type).toLowerCase() !== typeKey(type).toLowerCase()) continue;
        out.push({
          hostname: id.hostname.toLowerCase(),
          port: id.port === undefined || id.port === null ? '' : String(id.port),
          ...(typeof id.scheme === 'string' ? { scheme: id.scheme.toLowerCase() } : {}),
        });
      }
    }
  }
  return out;
}

/** A consumer host matches on hostname and port; its default port (443/80) is the URL's ''. */
function consumerMatches(h: ConfiguredHost, u: HelperUri): boolean {
  if (h.hostname !== u.hostname) return false;
  if (h.scheme && h.scheme !== u.scheme && !(h.scheme === 'oci' && u.scheme === 'https')) return false;
  const def = u.scheme === 'https' ? '443' : '80';
  return (h.port || def) === (u.port || def);
}

/** Registry keys of the default docker config (and of DockerConfig repositories in .ocmconfig files). */
async function dockerHosts(opts: ResolveOptions): Promise<string[]> {
  const specs: Record<string, unknown>[] = [{}];
  for (const e of configEntriesOfType(await opts.session.config(), CREDENTIALS_CONFIG_TYPE)) {
    const repos = Array.isArray(e.value.repositories) ? e.value.repositories : [];
    for (const r of repos as Record<string, unknown>[]) {
      const spec = r?.repository as Record<string, unknown> | undefined;
      if (spec && typeof spec.type === 'string' && typeKey(spec.type).toLowerCase() === 'dockerconfig/v1') specs.push(spec);
    }
  }
  const keys: string[] = [];
  for (const spec of specs) {
    const store = await openDockerConfig(spec, { ...opts.env, [DEPTH_ENV]: '1' }).catch(() => undefined);
    if (!store) continue;
    for (const k of [...Object.keys(store.config.auths ?? {}), ...Object.keys(store.config.credHelpers ?? {})]) {
      const h = convertToHostname(k).toLowerCase();
      keys.push(h === 'docker.io' ? 'index.docker.io' : h);
    }
  }
  return keys;
}

function actionsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const v = env.CREDENTIAL_HELPER_ACTIONS;
  if (!v) return ['pull'];
  return parseActions(v, 'CREDENTIAL_HELPER_ACTIONS', (f, p) => new OcmError(ErrorCode.INVALID_ARGUMENT, `${f} ${p} (e.g. CREDENTIAL_HELPER_ACTIONS=pull,push)`));
}

function plainHttpRefused(u: HelperUri): OcmError {
  return new OcmError(
    ErrorCode.INVALID_ARGUMENT,
    `refusing credentials for plain-HTTP ${u.scheme}://${u.host}: use https, or configure the host with scheme: http in .ocmconfig (only loopback registries are allowed over http without it)`,
    { details: { host: u.host } },
  );
}

export interface RouteResult {
  route: Route;
  tweag?: TweagConfig;
}

/** Decides the flow for a parsed URI; throws the one-line "not configured" error for unknown hosts. */
export async function routeUri(u: HelperUri, opts: ResolveOptions): Promise<RouteResult> {
  const tweag = await loadTweagConfig(opts.env, opts.cwd);
  const entry = tweag ? matchTweagEntry(tweag, u) : undefined;
  const withTweag = (route: Route): RouteResult => ({ route, ...(tweag ? { tweag } : {}) });
  if (tweag && entry) {
    const allowedBy = `${tweag.file} ${entry.where}`;
    if (entry.helper === 'null') return withTweag({ kind: 'null', allowedBy });
    if (u.scheme === 'http' && entry.scheme !== 'http' && !isLoopback(u.hostname)) throw plainHttpRefused(u);
    if (entry.helper === 'github') {
      if (!GITHUB_HOSTS.includes(u.hostname)) throw new OcmError(ErrorCode.CONFIG_ERROR, `${allowedBy}: helper "github" answers only ${GITHUB_HOSTS.join(', ')}, not ${u.host}`);
      return withTweag({ kind: 'http', allowedBy });
    }
    if (!u.oci) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `${allowedBy} sends ${u.host}${u.url.pathname} to helper "oci", but the path is not an OCI registry API path (/v2/<repository>/blobs|manifests|tags/...)`);
    const cfg = entry.oci!;
    return withTweag({ kind: 'oci', repository: u.oci.repository, allowedBy, config: cfg, actions: cfg.actions ?? actionsFromEnv(opts.env) });
  }
  // The rest needs .ocmconfig: validate it first (one CONFIG_ERROR line naming file and entry).
  await opts.session.credentialGraph();
  const loopback = isLoopback(u.hostname);
  if (u.oci) {
    const oci = (allowedBy: string): RouteResult => withTweag({ kind: 'oci', repository: u.oci!.repository, allowedBy, actions: actionsFromEnv(opts.env) });
    if (DEFAULT_OCI_HOSTS.some((p) => hostMatches(p, u))) {
      if (u.scheme !== 'https') throw plainHttpRefused(u);
      return oci('the default registry list');
    }
    const consumer = (await consumerHosts(opts, 'OCIRegistry')).find((h) => consumerMatches(h, u));
    if (consumer) {
      if (u.scheme === 'http' && !loopback && consumer.scheme !== 'http') throw plainHttpRefused(u);
      return oci('an .ocmconfig OCIRegistry consumer');
    }
  }
  const httpConsumer = (await consumerHosts(opts, 'HTTP')).find((h) => consumerMatches(h, u));
  if (httpConsumer) {
    if (u.scheme === 'http' && !loopback && httpConsumer.scheme !== 'http') throw plainHttpRefused(u);
    return withTweag({ kind: 'http', allowedBy: 'an .ocmconfig HTTP consumer' });
  }
  if (!u.oci && GITHUB_HOSTS.includes(u.hostname) && u.port === '') {
    if (u.scheme !== 'https') throw plainHttpRefused(u);
    return withTweag({ kind: 'http', allowedBy: 'the GitHub host list' });
  }
  if (u.oci) {
    const oci = (allowedBy: string): RouteResult => withTweag({ kind: 'oci', repository: u.oci!.repository, allowedBy, actions: actionsFromEnv(opts.env) });
    const dockerKey = (await dockerHosts(opts)).find((k) => hostMatches(k, u));
    if (dockerKey) {
      if (u.scheme === 'http' && !loopback) throw plainHttpRefused(u);
      return oci(`docker config entry ${dockerKey}`);
    }
    if (truthy(opts.env.CREDENTIAL_HELPER_GUESS_OCI_REGISTRY)) {
      if (u.scheme === 'http' && !loopback) throw plainHttpRefused(u);
      return oci('CREDENTIAL_HELPER_GUESS_OCI_REGISTRY=1');
    }
  }
  const knownOci = DEFAULT_OCI_HOSTS.some((p) => hostMatches(p, u));
  const id = { type: u.oci || knownOci ? 'OCIRegistry' : 'HTTP', hostname: u.hostname, ...(u.port ? { port: u.port } : {}) };
  const why = knownOci ? `${u.url.pathname} on ${u.host} is not an OCI registry API path (/v2/<repository>/...)` : `host ${u.host} is not configured for ocm-credential-helper`;
  throw new OcmError(
    ErrorCode.NOT_FOUND,
    `${why}; to send credentials there, add to .ocmconfig: ${consumerExample(id)}${u.oci ? ' (or set CREDENTIAL_HELPER_GUESS_OCI_REGISTRY=1 to treat every /v2/ URI as a registry)' : ''}`,
    { details: { host: u.host } },
  );
}
