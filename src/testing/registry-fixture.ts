/**
 * Shared setup for the registry transfer tests: two real registries (htpasswd and token auth), an
 * image index pushed by skopeo, the signed three-component graph on registry A, an .ocmconfig
 * holding both registries' credentials. Test-only; the tests pass in `startRegistry` (registry.ts).
 */
import { execFile, execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RepositoryStore } from '../oci/content/types.js';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import { componentRepositoryName as componentRepository, toTag } from '../repository/oci-mapping/tags.js';
import { openLocation, type OpenedLocation } from '../transfer/open.js';
import { APP, LIB, TOOL, writeGraph, type Graph } from './graph-fixture.js';
import { writeOciLayout, type Layout } from './image-fixture.js';

export const run = promisify(execFile);
export const CREDS = 'testuser:testpass';

/** The parts of src/testing/registry.ts this fixture uses. */
export interface RunningRegistry {
  url: string;
  host: string;
  port: number;
  stop(): Promise<void>;
}
export type StartRegistry = (options: { auth: 'none' | 'htpasswd' | 'token' }) => Promise<RunningRegistry>;

export interface RegistryPair {
  a: RunningRegistry;
  b: RunningRegistry;
  image: Layout;
  graph: Graph;
  /** `.ocmconfig` with credentials for both registries (and any extra hosts given to `writeConfig`). */
  config: string;
  resolver: CredentialResolver;
  /** `A.host/ocm` */
  source: string;
  writeConfig(extraPorts: number[]): Promise<void>;
  open(baseUrl: string, subPath?: string): Promise<OpenedLocation>;
  stop(): Promise<void>;
}

export function skopeoAvailable(): boolean {
  try {
    execFileSync('skopeo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function startPair(startRegistry: StartRegistry, dir: string, options: { blobSize?: number; layerSizes?: number[] } = {}): Promise<RegistryPair> {
  const a = await startRegistry({ auth: 'htpasswd' });
  let b: RunningRegistry | undefined;
  try {
    b = await startRegistry({ auth: 'token' });
    const image = await writeOciLayout(join(dir, 'image'), { platforms: ['amd64', 'arm64'], layerSizes: options.layerSizes ?? [64 * 1024] });
    await run('skopeo', ['copy', '-q', '--all', '--preserve-digests', '--dest-tls-verify=false', '--dest-creds', CREDS, `oci:${image.dir}:${image.tag}`, `docker://${a.host}/images/app:${image.tag}`]);
    const resolver: CredentialResolver = {
      async resolve() {
        return { username: 'testuser', password: 'testpass' };
      },
    };
    const open = (baseUrl: string, subPath?: string) => openLocation({ type: 'OCIRepository/v1', baseUrl, ...(subPath ? { subPath } : {}) }, { credentials: resolver });
    const src = await open(`http://${a.host}`, 'ocm');
    let graph: Graph;
    try {
      graph = await writeGraph(src.store, {
        subPath: 'ocm',
        ...(options.blobSize ? { blobSize: options.blobSize } : {}),
        image: { reference: `${a.host}/images/app:${image.tag}@${image.root.digest}`, manifestDigest: image.root.digest },
      });
    } finally {
      await src.close();
    }
    const config = join(dir, '.ocmconfig');
    const bb = b;
    const writeConfig = async (extraPorts: number[]) => {
      const consumers = [a.port, bb.port, ...extraPorts]
        .map((p) => `  - identity: {type: OCIRegistry, hostname: 127.0.0.1, port: "${p}"}\n    credentials:\n    - type: Credentials/v1\n      properties: {username: testuser, password: testpass}\n`)
        .join('');
      await writeFile(config, `type: generic.config.ocm.software/v1\nconfigurations:\n- type: credentials.config.ocm.software\n  consumers:\n${consumers}`, { mode: 0o600 });
    };
    await writeConfig([]);
    return {
      a,
      b,
      image,
      graph,
      config,
      resolver,
      source: `http://${a.host}/ocm`,
      writeConfig,
      open,
      stop: async () => {
        await bb.stop();
        await a.stop();
      },
    };
  } catch (e) {
    await b?.stop();
    await a.stop();
    throw e;
  }
}

/** Tag digests of the three versions in a store (`undefined` where a version is not visible). */
export async function rootsIn(store: RepositoryStore, subPath?: string): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = [];
  for (const c of [APP, LIB, TOOL]) {
    try {
      out.push((await store.repository(componentRepository(c.name, subPath)).resolve(toTag(c.version))).digest);
    } catch {
      out.push(undefined);
    }
  }
  return out;
}
