/**
 * Client configuration for the registry proxy (`ocm proxy client-config`): pure functions from a
 * connector and the proxy address to the file a client reads (docker, containers/image, dockerd,
 * BuildKit, containerd). Plain-HTTP settings appear only for a plain-HTTP proxy. Strings are
 * written as JSON/TOML basic strings (JSON escaping is valid TOML for these values).
 */
import type { Connector } from './types.js';

export const CLIENT_CONFIG_FORMATS = ['docker', 'containers-auth', 'registries-conf', 'daemon-json', 'buildkitd', 'containerd-hosts'] as const;
export type ClientConfigFormat = (typeof CLIENT_CONFIG_FORMATS)[number];

export interface ClientConfigInput {
  connector: Pick<Connector, 'name' | 'upstream'>;
  /** The proxy's shared listener as clients reach it: `host:port`. */
  proxy: string;
  /** The proxy speaks plain HTTP (no --tls-cert). */
  plainHttp: boolean;
  /** The connector's dedicated root-namespace listener as clients reach it (`host:port`), if any. */
  dedicated?: string;
  /** Basic user name sent with the token (the proxy identifies clients by token; default `ocm`). */
  client?: string;
  /** The client token (from --token-file); files holding it are secret. */
  token?: string;
  /** registries.conf: the `[[registry.mirror]]` form instead of rewriting the prefix. */
  mirror?: boolean;
}

export interface ClientConfigFile {
  /** File name to write in the output directory. */
  name: string;
  content: string;
  /** Holds the token: written 0600. */
  secret: boolean;
}

const q = (s: string): string => JSON.stringify(s);

/** The registry name clients use for the upstream (Docker Hub's API host is known as docker.io). */
export function upstreamRegistryName(connector: Pick<Connector, 'upstream'>): string {
  const h = connector.upstream.host;
  return h === 'registry-1.docker.io' || h === 'index.docker.io' ? 'docker.io' : h;
}

function basicAuth(input: ClientConfigInput): string | undefined {
  if (input.token === undefined) return undefined;
  return Buffer.from(`${input.client ?? 'ocm'}:${input.token}`, 'utf8').toString('base64');
}

function authsFile(name: string, key: string, input: ClientConfigInput): ClientConfigFile {
  const auth = basicAuth(input);
  const content = `${JSON.stringify({ auths: { [key]: auth ? { auth } : {} } }, null, 2)}\n`;
  return { name, content, secret: auth !== undefined };
}

/** The configuration file of `format` for `input`. */
export function clientConfig(format: ClientConfigFormat, input: ClientConfigInput): ClientConfigFile {
  const { connector, proxy, plainHttp } = input;
  const location = `${proxy}/${connector.name}`;
  const upstream = upstreamRegistryName(connector);
  switch (format) {
    case 'docker':
      // Docker matches credentials on the registry host only.
      return authsFile('config.json', proxy, input);
    case 'containers-auth':
      // containers/image matches `host/namespace` too: the token applies to this connector only.
      return authsFile('containers-auth.json', location, input);
    case 'registries-conf': {
      const lines = input.mirror
        ? [`[[registry]]`, `prefix = ${q(upstream)}`, `location = ${q(upstream)}`, ``, `[[registry.mirror]]`, `location = ${q(location)}`, `insecure = ${plainHttp}`]
        : [`[[registry]]`, `prefix = ${q(upstream)}`, `location = ${q(location)}`, `insecure = ${plainHttp}`];
      return { name: 'registries.conf', content: `# ${connector.name}: ${upstream} through the ocm proxy\n${lines.join('\n')}\n`, secret: false };
    }
    case 'daemon-json':
      // dockerd needs this only for a plain-HTTP registry (it already trusts 127.0.0.0/8).
      return { name: 'daemon.json', content: `${JSON.stringify(plainHttp ? { 'insecure-registries': [proxy] } : {}, null, 2)}\n`, secret: false };
    case 'buildkitd':
      return { name: 'buildkitd.toml', content: `[registry.${q(proxy)}]\n${plainHttp ? '  http = true\n' : ''}`, secret: false };
    case 'containerd-hosts': {
      // containerd talks to a mirror in the root namespace (adding ?ns=<registry>): either the
      // connector's dedicated listener, or the shared one with the connector prefix in the path.
      const scheme = plainHttp ? 'http' : 'https';
      const host = input.dedicated ? `${scheme}://${input.dedicated}` : `${scheme}://${proxy}/v2/${connector.name}`;
      const lines = [
        `# /etc/containerd/certs.d/${upstream}/hosts.toml (containerd config_path = "/etc/containerd/certs.d")`,
        `server = ${q(`${connector.upstream.scheme}://${connector.upstream.host}`)}`,
        ``,
        `[host.${q(host)}]`,
        `  capabilities = ["pull", "resolve"]`,
      ];
      if (!input.dedicated) lines.push(`  override_path = true`);
      const auth = basicAuth(input);
      if (auth) lines.push(``, `[host.${q(host)}.header]`, `  Authorization = ${q(`Basic ${auth}`)}`);
      return { name: 'hosts.toml', content: `${lines.join('\n')}\n`, secret: auth !== undefined };
    }
  }
}
