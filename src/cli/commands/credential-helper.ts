import type { Command } from 'commander';
import { globals } from '../global-options.js';
import { action } from '../run.js';

/** Runs the Bazel helper (`src/helper/bazel/main.ts`, loaded only when a Bazel sub-command runs) as the `ocm-credential-helper` bin would. */
async function delegate(argv: string[]): Promise<void> {
  const { main } = await import('../../helper/bazel/main.js');
  const { executableDir } = await import('../session.js');
  process.exitCode = await main(argv, {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    ...(executableDir() ? { execDir: executableDir()! } : {}),
  });
}

const example = (line: string) => `\nExample:\n  $ ${line}\n`;

/** `ocm credential-helper ...`: the Bazel helper protocol (same as `ocm-credential-helper`) and `install`. */
export function register(parent: Command): void {
  parent
    .command('get')
    .description('Bazel/EngFlow protocol: read {"uri": ...} on stdin, print {"headers": ..., "expires": ...} (same as ocm-credential-helper get)')
    .addHelpText('after', example('echo \'{"uri": "https://ghcr.io/v2/org/img/blobs/sha256:..."}\' | ocm credential-helper get'))
    .action(action(async () => delegate(['get'])));
  parent
    .command('setup-uri')
    .argument('<url>', 'the URI Bazel would ask about')
    .description('explain which config entry would answer for <url> and why (never prints a secret)')
    .addHelpText('after', example('ocm credential-helper setup-uri https://ghcr.io/v2/org/img/manifests/latest'))
    .action(action(async (url: string) => delegate(['setup-uri', url])));
  parent
    .command('agent-launch')
    .description('start the caching agent in the background (get starts it on demand)')
    .addHelpText('after', example('ocm credential-helper agent-launch'))
    .action(action(async () => delegate(['agent-launch'])));
  parent
    .command('agent-shutdown')
    .description('stop the caching agent of this user')
    .addHelpText('after', example('ocm credential-helper agent-shutdown'))
    .action(action(async () => delegate(['agent-shutdown'])));
  parent
    .command('install')
    .description('print (or --write) the configuration that makes Bazel, docker and podman/skopeo use the ocm credential helpers')
    .option('--bazel', '.bazelrc lines for ocm-credential-helper')
    .option('--docker', '~/.docker/config.json credHelpers entries for docker-credential-ocm')
    .option('--containers', 'containers auth.json credHelpers entries (podman, skopeo, buildah)')
    .option('--write', 'merge into the files instead of printing (atomic; every other key and line is kept)')
    .option('--helper-path <path>', 'ocm-credential-helper to put into .bazelrc (default: the one on PATH, else this package\'s)')
    .option('--hosts <list>', 'registries, comma separated (default: the OCIRegistry hosts configured in .ocmconfig)')
    .addHelpText(
      'after',
      `
Without --bazel/--docker/--containers all three are shown. Files written by --write:
  Bazel        ~/.bazelrc                 common --credential_helper=<host>=<helper path>
  docker       $DOCKER_CONFIG/config.json or ~/.docker/config.json   credHelpers: {"<host>": "ocm"}
  containers   $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json
               (else ~/.config/containers/auth.json)                 credHelpers: {"<host>": "ocm"}
docker-credential-ocm must be on PATH for docker, podman and skopeo to find it.

Example:
  $ ocm credential-helper install --hosts ghcr.io,registry.example.com:5000
  $ ocm credential-helper install --containers --write
`,
    )
    .action(
      action(async (opts: { bazel?: boolean; docker?: boolean; containers?: boolean; write?: boolean; helperPath?: string; hosts?: string }, cmd: Command) => {
        const { runInstall } = await import('./credential-helper-run.js');
        await runInstall(opts, globals(cmd));
      }),
    );
}
