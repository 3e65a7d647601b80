/**
 * Test and benchmark fixture: a signed graph of three components (app → lib, app → tool) with
 * local blobs and one external `ociArtifact` resource, written through the OCM OCI mapping into
 * any `RepositoryStore`. Not used by the library itself.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { bytesBlob } from '../blob/blob.js';
import type { ComponentDescriptor, Resource } from '../descriptor/types.js';
import type { RepositoryStore } from '../oci/content/types.js';
import { OciComponentRepository } from '../repository/oci-mapping/index.js';
import { normalisedDigest } from '../signing/normalise/index.js';
import { createSignature, verifySignature, withSignature } from '../signing/signature.js';
import { parsePublicKey } from '../signing/rsa.js';

const cv = (name: string, version: string) => ({ name, component: name, version });
export const APP = cv('acme.org/transfer/app', '1.0.0');
export const LIB = cv('acme.org/transfer/lib', '1.0.0');
export const TOOL = cv('acme.org/transfer/tool', '2.1.0+build.5');
export const NORMALISATION = 'jsonNormalisation/v3';

export interface GraphOptions {
  /** `host[:port]/repo:tag@sha256:…` of an image the app references (omitted: no external resource). */
  readonly image?: { readonly reference: string; readonly manifestDigest: string };
  /** Bytes of each local blob (default small). */
  readonly blobSize?: number;
  readonly subPath?: string;
  readonly privateKey?: KeyObject;
}

export interface Graph {
  readonly publicKeyPem: string;
  readonly versions: readonly { name: string; version: string }[];
}

function content(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

function cd(name: string, version: string, resources: Resource[], refs: ComponentDescriptor['component']['componentReferences'] = []): ComponentDescriptor {
  return {
    meta: { schemaVersion: 'v2' },
    component: { name, version, provider: 'acme.org', creationTime: '2026-01-02T03:04:05Z', repositoryContexts: [], resources, sources: [], componentReferences: refs },
  };
}

/** Writes the graph into `store` (CTF or registry) and returns the public key its signatures verify with. */
export async function writeGraph(store: RepositoryStore, options: GraphOptions = {}): Promise<Graph> {
  const size = options.blobSize ?? 3000;
  const privateKey = options.privateKey ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const repo = new OciComponentRepository(store, options.subPath ? { subPath: options.subPath } : {});
  const local = async (c: { name: string; version: string }, rname: string, seed: string): Promise<Resource> => {
    const bytes = content(seed, size);
    const stored = await repo.addLocalBlob(c.name, c.version, { content: bytesBlob(bytes), mediaType: 'application/octet-stream', artifacts: [{ kind: 'resource', identity: { name: rname } }] });
    return {
      name: rname,
      version: c.version,
      type: 'blob',
      relation: 'local',
      access: { type: 'localBlob', localReference: stored.localReference, mediaType: stored.mediaType },
      digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: createHash('sha256').update(bytes).digest('hex') },
    };
  };
  const sign = (d: ComponentDescriptor): ComponentDescriptor => withSignature(d, createSignature(d, { name: 'acme', privateKey, normalisation: NORMALISATION }));

  const lib = sign(cd(LIB.name, LIB.version, [await local(LIB, 'data', 'lib-data'), await local(LIB, 'shared', 'shared')]));
  await repo.addComponentVersion(lib);
  const tool = sign(cd(TOOL.name, TOOL.version, [await local(TOOL, 'bin', 'tool-bin')]));
  await repo.addComponentVersion(tool);
  const appResources = [await local(APP, 'config', 'app-config'), await local(APP, 'shared', 'shared')];
  if (options.image) {
    appResources.push({
      name: 'image',
      version: APP.version,
      type: 'ociImage',
      relation: 'external',
      access: { type: 'ociArtifact', imageReference: options.image.reference },
      digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'ociArtifactDigest/v1', value: options.image.manifestDigest.replace(/^sha256:/, '') },
    });
  }
  const ref = (name: string, c: ComponentDescriptor) => ({
    name,
    componentName: c.component.name,
    version: c.component.version,
    digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: NORMALISATION, value: normalisedDigest(c, NORMALISATION).value },
  });
  const app = sign(cd(APP.name, APP.version, appResources, [ref('lib', lib), ref('tool', tool)]));
  await repo.addComponentVersion(app);
  return {
    publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
    versions: [APP, LIB, TOOL],
  };
}

/** Reads every version of the graph from `store` and verifies its signature; returns the descriptors. */
export async function verifyGraph(store: RepositoryStore, graph: Graph, subPath?: string): Promise<ComponentDescriptor[]> {
  const repo = new OciComponentRepository(store, subPath ? { subPath } : {});
  const out: ComponentDescriptor[] = [];
  for (const v of graph.versions) {
    const d = await repo.getComponentVersion(v.name, v.version);
    verifySignature(d, 'acme', { publicKey: parsePublicKey(graph.publicKeyPem) });
    out.push(d);
  }
  return out;
}
