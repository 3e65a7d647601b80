/**
 * `setup-uri <url>`: which configuration would answer a URI and why, step by step, without
 * contacting the registry and without ever printing a secret (env variables are SET / NOT SET,
 * static values are never shown, the URI is printed without query and fragment).
 */
import { formatIdentity } from '../../runtime/identity.js';
import type { ResolveOptions, UriExplanation } from './types.js';
import { parseHelperUri } from './uri.js';
import { routeUri } from './route.js';
import { helperDepth, ociCredentials, ociIdentity } from './oci.js';
import { GITHUB_TOKEN_VARS, httpCredentials, httpIdentity, isGitHubHost } from './http-uri.js';
import { tweagConfigPath } from './tweag-config.js';

const setOrNot = (env: NodeJS.ProcessEnv, name: string) => `${name} ${env[name] ? 'SET' : 'NOT SET'}`;

export async function explainUri(uri: string, opts: ResolveOptions): Promise<UriExplanation> {
  const lines: string[] = [];
  const u = parseHelperUri(uri);
  lines.push(`uri: ${u.scheme}://${u.host}${u.url.pathname}${u.oci ? ` (OCI API: repository "${u.oci.repository}", ${u.oci.op})` : ' (plain HTTP download)'}`);
  let routed;
  try {
    routed = await routeUri(u, opts);
  } catch (e) {
    lines.push(`tweag config: ${tweagConfigPath(opts.env, opts.cwd)}`);
    lines.push(`refused: ${(e as Error).message}`);
    return { uri, lines };
  }
  const { route, tweag } = routed;
  lines.push(`tweag config: ${tweag ? `${tweag.file} (${tweag.urls.length} urls entries)` : `${tweagConfigPath(opts.env, opts.cwd)} not present`}`);
  lines.push(`answered because: ${route.allowedBy}`);
  if (route.kind === 'null') {
    lines.push('helper "null": empty headers (no credentials sent)');
    return { uri, lines };
  }
  if (route.kind === 'http') {
    const id = httpIdentity(u);
    lines.push(`lookup identity: ${formatIdentity(id)}`);
    if (isGitHubHost(u)) lines.push(`GitHub tokens: ${GITHUB_TOKEN_VARS.map((v) => setOrNot(opts.env, v)).join(', ')}`);
    const f = await httpCredentials(u, opts);
    lines.push(`credentials: ${f.authorization ? `${f.authorization.split(' ')[0]} from ${f.source}` : `none (${f.source}); anonymous`}`);
    return { uri, lines };
  }
  const target = { uri: u, repository: route.repository, allowedBy: route.allowedBy, ...(route.config ? { config: route.config } : {}) };
  lines.push(`lookup identity: ${formatIdentity(ociIdentity(target))}`);
  lines.push(`scope: repository:${route.repository}:${route.actions.join(',')}; token exchange: ${route.config?.tokenExchangeMethod ?? 'auto'}`);
  const graph = await opts.session.credentialGraph();
  const ex = await graph.explain(ociIdentity(target), opts.signal ? { signal: opts.signal } : {});
  if (ex.matched) lines.push(`.ocmconfig: consumer ${formatIdentity(ex.matched.identity)} in ${ex.matched.where} (${ex.matched.rule ?? ex.matched.how})`);
  else lines.push(`.ocmconfig: no consumer matches${ex.nearMisses.length ? ` (near misses: ${ex.nearMisses.slice(0, 3).map((n) => `${formatIdentity(n.identity)}: ${n.reason}`).join('; ')})` : ''}`);
  for (const r of ex.repositories) lines.push(`credential repository ${r.type} (${r.where}): ${r.result}, ${r.detail}`);
  if (route.config) {
    lines.push(`parse_docker_config: ${route.config.parseDockerConfig}`);
    for (const s of route.config.lookupChain) lines.push(`lookup_chain ${s.source === 'env' ? `env ${setOrNot(opts.env, s.name)}` : 'static value'} → ${s.binding}`);
  }
  if (u.hostname === 'ghcr.io' && u.port === '') lines.push(`ghcr.io tokens: ${['GHCR_TOKEN', 'GH_TOKEN', 'GITHUB_TOKEN'].map((v) => setOrNot(opts.env, v)).join(', ')}; GITHUB_ACTOR ${opts.env.GITHUB_ACTOR ? 'SET' : 'NOT SET (username "unset")'}`);
  if (helperDepth(opts.env) > 0) lines.push('running inside a credential helper: docker credential helpers are not run again');
  const f = await ociCredentials(target, opts);
  const kind = f.credentials ? (f.credentials.accessToken ? 'registry token' : f.credentials.refreshToken ? 'identity (refresh) token' : 'username/password') : undefined;
  lines.push(`credentials: ${kind ? `${kind} from ${f.source}` : `none (${f.source}); anonymous token or no Authorization`}`);
  return { uri, lines };
}
