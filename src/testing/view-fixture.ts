/**
 * Test fixture for issue 17 (graph exports, delivery page, SBOM): a signed three-component graph
 * app → lib → base in a CTF directory, with local blobs, one external `ociArtifact` resource,
 * labels and sources; `tamper` changes one resource's stored bytes so verification must fail.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesBlob } from '../blob/blob.js';
import type { ComponentDescriptor, ComponentReference, Resource, Source } from '../descriptor/types.js';
import { openRepository } from '../repository/open.js';
import type { ComponentVersionRepository } from '../repository/types.js';
import { normalisedDigest } from '../signing/normalise/index.js';
import { parsePublicKey, type PublicKeyMaterial } from '../signing/rsa.js';
import { createSignature, withSignature } from '../signing/signature.js';
import type { SignatureState, ViewArtifact, ViewEdge, ViewGraph, ViewNode } from '../view/model.js';

export const VIEW_SIGNATURE = 'acme';
export const VIEW_NORMALISATION = 'jsonNormalisation/v3';
export const VIEW_APP = { component: 'acme.org/view/app', version: '1.0.0' } as const;
export const VIEW_LIB = { component: 'acme.org/view/lib', version: '2.3.0' } as const;
export const VIEW_BASE = { component: 'acme.org/view/base', version: '0.9.1+build.4' } as const;
/** The external image the app references when no real one is given (never read: its digest is excluded). */
export const VIEW_DEFAULT_IMAGE = `ghcr.io/acme/view/app:1.0.0@sha256:${'ab'.repeat(32)}`;

export interface ViewFixtureOptions {
  /** A real image (e.g. pushed to a loopback registry) whose manifest digest is signed; default: VIEW_DEFAULT_IMAGE, excluded from the signature. */
  readonly image?: { readonly reference: string; readonly manifestDigest: string };
  readonly privateKey?: KeyObject;
}

export interface ViewFixtureBlob {
  readonly component: string;
  readonly version: string;
  readonly resource: string;
  readonly localReference: string;
  readonly mediaType: string;
  readonly size: number;
  /** Hex SHA-256 of the content (the resource digest value). */
  readonly sha256: string;
}

export interface ViewFixture {
  /** The CTF directory. */
  readonly path: string;
  readonly spec: { readonly type: string; readonly filePath: string };
  /** `<ctf path>//acme.org/view/app:1.0.0`, for the CLI. */
  readonly reference: string;
  readonly publicKeyPem: string;
  readonly publicKey: PublicKeyMaterial;
  readonly signature: string;
  readonly image: string;
  /** Every version, parents first. */
  readonly versions: readonly { readonly component: string; readonly version: string }[];
  readonly blobs: readonly ViewFixtureBlob[];
  open(): Promise<ComponentVersionRepository>;
  /** Flips the first byte of a stored local blob (same size): its digest no longer matches. */
  tamper(component: string, resource: string): Promise<ViewFixtureBlob>;
}

const label = (name: string, value: unknown, signing = false) => ({ name, value, ...(signing ? { signing: true } : {}) });

function cd(c: { component: string; version: string }, resources: Resource[], sources: Source[], refs: ComponentReference[], labels: ReturnType<typeof label>[]): ComponentDescriptor {
  return {
    meta: { schemaVersion: 'v2' },
    component: {
      name: c.component,
      version: c.version,
      provider: 'acme.org',
      labels,
      creationTime: '2026-03-04T05:06:07Z',
      repositoryContexts: [{ type: 'OCIRepository/v1', baseUrl: 'ghcr.io', subPath: 'acme/ocm' }],
      resources,
      sources,
      componentReferences: refs,
    },
  };
}

/** Writes the graph into a new CTF directory at `path` and returns how to read and tamper it. */
export async function writeViewFixture(path: string, options: ViewFixtureOptions = {}): Promise<ViewFixture> {
  const privateKey = options.privateKey ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const spec = { type: 'CommonTransportFormat/v1', filePath: path };
  const blobs: ViewFixtureBlob[] = [];
  const imageRef = options.image?.reference ?? VIEW_DEFAULT_IMAGE;
  const repo = await openRepository(spec, { create: true });
  try {
    const local = async (c: { component: string; version: string }, name: string, mediaType: string, text: string, extra: Partial<Resource> = {}): Promise<Resource> => {
      const bytes = Buffer.from(text);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const stored = await repo.addLocalBlob(c.component, c.version, { content: bytesBlob(bytes), mediaType, artifacts: [{ kind: 'resource', identity: { name } }] });
      blobs.push({ component: c.component, version: c.version, resource: name, localReference: stored.localReference, mediaType, size: bytes.length, sha256 });
      return {
        name,
        version: c.version,
        type: 'blob',
        relation: 'local',
        access: { type: 'localBlob/v1', localReference: stored.localReference, mediaType },
        digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: sha256 },
        ...extra,
      };
    };
    const source = (name: string, commit: string): Source => ({
      name,
      version: '1.0.0',
      type: 'git',
      access: { type: 'gitHub/v1', repoUrl: `https://github.com/acme/${name}`, commit },
      labels: [label('acme.org/vcs', 'github')],
    });
    const ref = (name: string, child: ComponentDescriptor): ComponentReference => ({
      name,
      componentName: child.component.name,
      version: child.component.version,
      digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: VIEW_NORMALISATION, value: normalisedDigest(child, VIEW_NORMALISATION).value },
    });
    const sign = (d: ComponentDescriptor): ComponentDescriptor =>
      withSignature(d, createSignature(d, { name: VIEW_SIGNATURE, privateKey, normalisation: VIEW_NORMALISATION }));

    const base = sign(
      cd(
        VIEW_BASE,
        [
          await local(VIEW_BASE, 'license', 'text/plain', 'Apache-2.0 — base licence text\n'),
          await local(VIEW_BASE, 'certs', 'application/x-pem-file', '-----BEGIN CERTIFICATE-----\nnot a real certificate\n-----END CERTIFICATE-----\n'),
        ],
        [source('base-src', 'a'.repeat(40))],
        [],
        [label('acme.org/tier', 'foundation')],
      ),
    );
    await repo.addComponentVersion(base);
    const lib = sign(
      cd(
        VIEW_LIB,
        [await local(VIEW_LIB, 'lib-archive', 'application/gzip', 'lib archive bytes '.repeat(40), { labels: [label('acme.org/arch', 'amd64')] })],
        [],
        [ref('base', base)],
        [label('acme.org/owner', { team: 'platform', 'on-call': 'platform@acme.org' }, true)],
      ),
    );
    await repo.addComponentVersion(lib);
    const image: Resource = {
      name: 'image',
      version: VIEW_APP.version,
      type: 'ociImage',
      relation: 'external',
      access: { type: 'ociArtifact', imageReference: imageRef },
      digest: options.image
        ? { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'ociArtifactDigest/v1', value: options.image.manifestDigest.replace(/^sha256:/, '') }
        : // no network in tests: the default image is never read, so it is left out of the signature
          { hashAlgorithm: 'NO-DIGEST', normalisationAlgorithm: 'EXCLUDE-FROM-SIGNATURE', value: 'NO-DIGEST' },
    };
    const app = sign(
      cd(
        VIEW_APP,
        [
          await local(VIEW_APP, 'config', 'application/json', '{"replicas": 3, "greeting": "hello"}\n', {
            extraIdentity: { platform: 'linux' },
            labels: [label('acme.org/config', 'prod', true)],
          }),
          image,
        ],
        [source('app-src', 'b'.repeat(40))],
        [ref('lib', lib)],
        [label('acme.org/release', 'R26.03', true), label('acme.org/notes', 'first "view" release <with> markup')],
      ),
    );
    await repo.addComponentVersion(app);
  } finally {
    await repo.close();
  }

  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return {
    path,
    spec,
    reference: `${path}//${VIEW_APP.component}:${VIEW_APP.version}`,
    publicKeyPem,
    publicKey: parsePublicKey(publicKeyPem),
    signature: VIEW_SIGNATURE,
    image: imageRef,
    versions: [VIEW_APP, VIEW_LIB, VIEW_BASE],
    blobs,
    open: () => openRepository(spec),
    async tamper(component, resource) {
      const b = blobs.find((x) => x.component === component && x.resource === resource);
      if (!b) throw new Error(`view fixture: no local blob for resource ${resource} of ${component}`);
      const file = join(path, 'blobs', b.localReference.replace(':', '.'));
      const fh = await open(file, 'r+');
      try {
        const first = Buffer.alloc(1);
        await fh.read(first, 0, 1, 0);
        await fh.write(Buffer.from([first[0]! ^ 0xff]), 0, 1, 0);
      } finally {
        await fh.close();
      }
      return b;
    },
  };
}

/** Names a renderer must escape: quotes, backslashes, markup, entities, newlines, mermaid syntax, unicode. */
export const TRICKY_NAMES = {
  component: 'acme.org/"quoted"\\back',
  version: '1.0.0-rc.1+build.7',
  provider: 'Acme & Söhne <GmbH>',
  resource: 'conf "x" <y> & z; #1 %%{init}%% `md`',
  resource2: 'zwei\nzeilen | [a] {b} 🚀 ünïcödé',
  reference: 'ref "one" -->|x| end',
  child: 'acme.org/子/コンポーネント',
} as const;

/** A hand-made graph with TRICKY_NAMES, one node per signature state and an unreadable reference. */
export function trickyViewGraph(): ViewGraph {
  const t = TRICKY_NAMES;
  const digest = { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: 'c0ffee'.repeat(10) + 'abcd' };
  const sig = (state: SignatureState, detail?: string) => ({
    name: 'acme',
    algorithm: 'RSASSA-PSS',
    mediaType: 'application/vnd.ocm.signature.rsa.pss',
    digest: { ...digest, normalisationAlgorithm: 'jsonNormalisation/v3' },
    state,
    ...(detail ? { detail } : {}),
  });
  const node = (component: string, version: string, extra: Partial<ViewNode>): ViewNode => ({
    key: `${component}:${version}`,
    component,
    version,
    provider: t.provider,
    labels: [{ name: 'note', value: '<b>"bold"</b>' }],
    repositoryContexts: [],
    repository: './ctf',
    resources: [],
    sources: [],
    signatures: [],
    ...extra,
  });
  const art = (name: string): ViewArtifact => ({ kind: 'resource', name, type: 'blob', relation: 'local', location: 'localBlob sha256:1 in ./ctf', digest, size: 3 });
  const root = node(t.component, t.version, { resources: [art(t.resource), art(t.resource2)], signatures: [sig('verified')] });
  const child = node(t.child, '2.0.0', { resources: [art('data')], signatures: [sig('failed', 'resource "data" of child changed: <digest> differs')] });
  const plain = node('acme.org/plain', '1.0.0', { signatures: [sig('not-checked')] });
  const unsigned = node('acme.org/unsigned', '1.0.0', {});
  const missing = node('acme.org/missing', '0.0.1', { provider: '', error: 'component version acme.org/missing:0.0.1 not found in ./ctf' });
  const nodes = [root, child, plain, unsigned, missing];
  const edge = (from: ViewNode, to: ViewNode, name: string): ViewEdge => ({ from: from.key, to: to.key, name });
  return {
    roots: [root.key],
    nodes,
    edges: [edge(root, child, t.reference), edge(root, plain, 'plain'), edge(child, unsigned, 'unsigned'), edge(child, missing, 'missing'), edge(unsigned, root, 'cycle')],
    generatedAt: '2026-01-01T00:00:00.000Z',
    generator: 'ocm-ts test',
  };
}
