import { Command, Option } from 'commander';
import { globals } from '../global-options.js';
import { action } from '../run.js';

export interface ServeOpts {
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  accessLog?: string;
}

export interface ClientConfigOpts {
  connector: string;
  format: string;
  proxy: string;
  tokenFile?: string;
  client?: string;
  output?: string;
  mirror?: boolean;
}

/** `ocm proxy serve`, `ocm proxy client-config`, `ocm proxy token create|hash`. Actions live in proxy-actions.ts. */
export function register(parent: Command): void {
  parent
    .command('serve')
    .description('serve the configured connectors as an OCI registry that injects the upstream credentials')
    .option('--listen <host:port>', 'shared listener (connector prefix in the path); non-loopback needs client tokens', '127.0.0.1:5050')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--access-log <file>', 'one JSON line per request (secrets redacted) to a file, or - for stdout')
    .addHelpText(
      'after',
      `
Connectors come from connectors.config.ocm.software/v1alpha1 entries in .ocmconfig (or --config);
upstream credentials from the credential config (OCIRegistry identity of each upstream). Clients
address <proxy>/<connector>/<repository>. Prints the bound addresses on stderr; SIGHUP or a change
of a config file reloads (a broken new config keeps the old one); SIGINT/SIGTERM finish transfers
in flight and stop.

Example:
  $ ocm proxy serve --listen 127.0.0.1:5050
  $ skopeo copy docker://127.0.0.1:5050/acme/team-a/app:1.0 dir:./app --src-tls-verify=false
`,
    )
    .action(
      action(async (opts: ServeOpts, cmd: Command) => {
        await (await import('./proxy-actions.js')).serve(opts, globals(cmd));
      }),
    );

  parent
    .command('client-config')
    .description('write the configuration a client needs to use a connector through the proxy')
    .requiredOption('--connector <name>', 'the connector (from the proxy configuration)')
    .addOption(
      new Option('--format <format>', 'client file format')
        .choices(['docker', 'containers-auth', 'registries-conf', 'daemon-json', 'buildkitd', 'containerd-hosts'])
        .makeOptionMandatory(),
    )
    .option('--proxy <[scheme://]host:port>', 'the proxy as clients reach it (https:// if it serves TLS)', 'http://127.0.0.1:5050')
    .option('--token-file <file>', 'file holding the client token (never pass a token as an argument)')
    .option('--client <name>', 'user name sent with the token (the token alone identifies the client)', 'ocm')
    .option('--mirror', 'registries-conf: the [[registry.mirror]] form instead of rewriting the prefix')
    .option('-o, --output <dir>', 'write the file into this directory (atomically; 0600 when it holds the token) instead of stdout')
    .addHelpText(
      'after',
      `
Files: docker → config.json, containers-auth → containers-auth.json (keyed <proxy>/<connector>),
registries-conf → registries.conf, daemon-json → daemon.json, buildkitd → buildkitd.toml,
containerd-hosts → hosts.toml (put it in /etc/containerd/certs.d/<upstream>/). Plain-HTTP
settings appear only for an http:// proxy.

Example:
  $ ocm proxy client-config --connector acme --format docker --token-file ci.token -o ~/.docker
`,
    )
    .action(
      action(async (opts: ClientConfigOpts, cmd: Command) => {
        await (await import('./proxy-actions.js')).clientConfigCommand(opts, globals(cmd));
      }),
    );

  const token = new Command('token').description('create proxy client tokens and their hashes');
  token
    .command('create <client>')
    .description('generate a client token: the token once on stdout (or into --token-file), the config line on stderr')
    .option('--token-file <file>', 'write the token into this new file (0600) instead of stdout')
    .addHelpText(
      'after',
      `
The token is 32 random bytes (base64url), shown once; only its SHA-256 goes into the proxy
configuration. Clients send it as the Basic password (any user name) or as a Bearer token.

Example:
  $ ocm proxy token create ci --token-file ci.token
`,
    )
    .action(
      action(async (client: string, opts: { tokenFile?: string }) => {
        await (await import('./proxy-actions.js')).tokenCreate(client, opts);
      }),
    );
  token
    .command('hash <client>')
    .description('print the config line (name:sha256:<hex>) for an existing token read from --token-file')
    .requiredOption('--token-file <file>', 'file holding the token')
    .addHelpText(
      'after',
      `
Example:
  $ ocm proxy token hash ci --token-file ci.token >> /etc/ocm/proxy-clients
`,
    )
    .action(
      action(async (client: string, opts: { tokenFile: string }) => {
        await (await import('./proxy-actions.js')).tokenHash(client, opts);
      }),
    );
  parent.addCommand(token);
}
