/** The action of `ocm credential-helper install` (loaded only when it runs). */
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import { configuredRegistries } from '../../helper/docker/resolve.js';
import type { ServerAddress } from '../../helper/docker/server-url.js';
import type { GlobalOptions } from '../global-options.js';
import { ocmSession, print } from '../session.js';
import {
  bazelHelperPath,
  bazelLines,
  containersKey,
  credHelpersFragment,
  dockerKey,
  installTargets,
  mergeBazelrc,
  mergeCredHelpers,
  onPath,
  parseHosts,
  type MergeResult,
} from './credential-helper-install.js';

export interface InstallFlags {
  bazel?: boolean;
  docker?: boolean;
  containers?: boolean;
  write?: boolean;
  helperPath?: string;
  hosts?: string;
}

export async function runInstall(opts: InstallFlags, g: GlobalOptions, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Promise<void> {
  const all = !opts.bazel && !opts.docker && !opts.containers;
  const want = { bazel: all || !!opts.bazel, docker: all || !!opts.docker, containers: all || !!opts.containers };
  let hosts: ServerAddress[];
  if (opts.hosts !== undefined) hosts = parseHosts(opts.hosts);
  else {
    hosts = await configuredRegistries(ocmSession(g));
    if (hosts.length === 0) throw new OcmError(ErrorCode.INVALID_ARGUMENT, 'no OCIRegistry consumers are configured in .ocmconfig; pass the registries with --hosts h1,h2');
  }
  const targets = installTargets(env);
  const notes: string[] = [];
  const out: string[] = [];
  const note = (r: MergeResult) => {
    for (const [k, old] of r.replaced) notes.push(`${r.path}: credHelpers["${k}"] was "${old}", now "ocm"`);
    for (const k of r.shadowed) notes.push(`${r.path}: auths["${k}"] is no longer used for ${k} (credHelpers takes precedence); remove it when ocm answers`);
  };
  if (want.bazel) {
    const lines = bazelLines(hosts, await bazelHelperPath(opts.helperPath, env, cwd));
    if (opts.write) {
      const added = await mergeBazelrc(targets.bazelrc, lines);
      out.push(added.length ? `wrote ${targets.bazelrc}: ${added.length} line(s) added` : `${targets.bazelrc}: already up to date`);
      for (const l of lines) if (l.startsWith('#')) notes.push(l.slice(2));
    } else out.push(`# ${targets.bazelrc} (or a workspace .bazelrc)`, ...lines);
  }
  if ((want.docker || want.containers) && !(await onPath('docker-credential-ocm', env))) {
    notes.push('docker-credential-ocm is not on PATH; docker, podman and skopeo run it by that name');
  }
  for (const [on, path, keys] of [
    [want.docker, targets.dockerConfig, hosts.map(dockerKey)],
    [want.containers, targets.containersAuth, hosts.map(containersKey)],
  ] as const) {
    if (!on) continue;
    const unique = [...new Set(keys)];
    if (opts.write) {
      const r = await mergeCredHelpers(path, unique);
      note(r);
      out.push(r.added.length ? `wrote ${path}: credHelpers for ${r.added.join(', ')}` : `${path}: already up to date`);
    } else out.push(`# ${path}: merge into "credHelpers"`, credHelpersFragment(unique).trimEnd());
  }
  await print(`${out.join('\n')}\n`);
  for (const n of notes) process.stderr.write(`note: ${n}\n`);
}
