/**
 * Hand-made ViewGraphs for the HTML page tests and bench (the renderer is a pure function of the
 * model, so no repository is needed): a three-version delivery with one failed signature and
 * hostile user text, and a generator of an N-version graph for size and speed.
 */
import { createHash } from 'node:crypto';
import type { ViewArtifact, ViewGraph, ViewNode, ViewSignature } from '../view/model.js';

/** User text that must come out as text: markup, attribute breaking, script. */
export const INJECTION_LABEL = '<script>window.__pwned=1</script>';
export const INJECTION_ATTR = '"><img src=x onerror="window.__pwned=2">';

const digestOf = (text: string) => ({ hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: createHash('sha256').update(text).digest('hex') });
const cdDigest = (text: string) => ({ hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'jsonNormalisation/v4alpha1', value: createHash('sha256').update(text).digest('hex') });

function resource(name: string, type: string, extra: Partial<ViewArtifact> = {}): ViewArtifact {
  const digest = digestOf(name);
  return {
    kind: 'resource',
    name,
    version: '1.0.0',
    type,
    relation: 'local',
    location: `localBlob sha256:${digest.value} in ctf ./transport-archive`,
    digest,
    size: 1234 + name.length,
    mediaType: 'application/octet-stream',
    ...extra,
  };
}

function signature(name: string, state: ViewSignature['state'], detail?: string): ViewSignature {
  return {
    name,
    algorithm: 'RSASSA-PSS',
    mediaType: 'application/vnd.ocm.signature.rsa.pss',
    issuer: 'CN=acme release signing',
    digest: cdDigest(name),
    state,
    ...(detail ? { detail } : {}),
  };
}

/**
 * app → lib → base (app also → base). lib's signature failed: its resource "lib-chart" changed.
 * app carries the injection strings in a label, a resource name and its provider.
 */
export function threeComponentGraph(): ViewGraph {
  const ctx = [{ type: 'OCIRegistry/v1', baseUrl: 'ghcr.io', subPath: 'acme/ocm', componentNameMapping: 'urlPath' }];
  const app: ViewNode = {
    key: 'acme.org/app:1.0.0',
    component: 'acme.org/app',
    version: '1.0.0',
    provider: `acme.org ${INJECTION_ATTR}`,
    labels: [
      { name: 'note', value: INJECTION_LABEL },
      { name: 'team', value: { owner: 'delivery "core" & <ops>', oncall: ['a', 'b'] }, signing: true },
    ],
    repositoryContexts: [...ctx, { type: 'CommonTransportFormat/v1', filePath: './transport-archive' }],
    repository: 'ctf ./transport-archive',
    creationTime: '2024-05-01T10:00:00Z',
    resources: [
      resource('app-image', 'ociImage', {
        relation: 'external',
        location: 'ghcr.io/acme/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        access: { type: 'ociArtifact/v1', imageReference: 'ghcr.io/acme/app:1.0.0' },
      }),
      resource(`weird ${INJECTION_ATTR}`, 'blob', { labels: [{ name: 'x', value: INJECTION_LABEL }] }),
    ],
    sources: [{ kind: 'source', name: 'app-src', type: 'git', version: '1.0.0', location: 'https://github.com/acme/app @ 1f2e3d4c', access: { type: 'gitHub/v1', repoUrl: 'https://github.com/acme/app', commit: '1f2e3d4c' } }],
    signatures: [signature('acme', 'verified')],
  };
  const lib: ViewNode = {
    key: 'acme.org/lib:2.1.0',
    component: 'acme.org/lib',
    version: '2.1.0',
    provider: 'acme.org',
    labels: [],
    repositoryContexts: ctx,
    repository: 'ctf ./transport-archive',
    resources: [resource('lib-chart', 'helmChart'), resource('lib-sbom', 'blob')],
    sources: [],
    signatures: [signature('acme', 'failed', 'resource "lib-chart": digest differs (expected sha256:aaaa…, found sha256:bbbb…)')],
  };
  const base: ViewNode = {
    key: 'acme.org/bäse-ünïcode:0.9.0',
    component: 'acme.org/bäse-ünïcode',
    version: '0.9.0',
    provider: 'acme.org',
    labels: [{ name: 'quote', value: "it's \"quoted\"" }],
    repositoryContexts: [],
    repository: 'ctf ./transport-archive',
    resources: [resource('base-config', 'yaml', { size: 5 * 1024 * 1024 })],
    sources: [],
    signatures: [signature('acme', 'not-checked')],
  };
  return {
    roots: [app.key],
    nodes: [app, lib, base],
    edges: [
      { from: app.key, to: lib.key, name: 'lib', digest: cdDigest('lib') },
      { from: app.key, to: base.key, name: 'base' },
      { from: lib.key, to: base.key, name: 'base' },
    ],
    generatedAt: '2024-05-02T12:00:00.000Z',
    generator: 'ocm-ts 0.1.0',
  };
}

/**
 * N versions as a tree of fan-out 4 (node i references 4i+1..4i+4), each with 3 resources, one
 * source and one signature; every 50th signature failed. Deterministic.
 */
export function generatedGraph(n: number): ViewGraph {
  const nodes: ViewNode[] = [];
  const edges: { from: string; to: string; name: string }[] = [];
  const key = (i: number) => `acme.org/generated/c${i}:1.${i}.0`;
  for (let i = 0; i < n; i++) {
    const failed = i % 50 === 49;
    nodes.push({
      key: key(i),
      component: `acme.org/generated/c${i}`,
      version: `1.${i}.0`,
      provider: 'acme.org',
      labels: [{ name: 'index', value: i }],
      repositoryContexts: [{ type: 'OCIRegistry/v1', baseUrl: 'ghcr.io', subPath: 'acme/ocm' }],
      repository: 'oci ghcr.io/acme/ocm',
      resources: [resource(`c${i}-image`, 'ociImage'), resource(`c${i}-chart`, 'helmChart'), resource(`c${i}-config`, 'blob')],
      sources: [{ kind: 'source', name: `c${i}-src`, type: 'git', location: `https://github.com/acme/c${i}`, digest: digestOf(`src${i}`) }],
      signatures: [signature('acme', failed ? 'failed' : 'verified', failed ? `resource "c${i}-chart": digest differs` : undefined)],
    });
    for (let c = 4 * i + 1; c <= 4 * i + 4 && c < n; c++) edges.push({ from: key(i), to: key(c), name: `ref${c}` });
  }
  return { roots: n > 0 ? [key(0)] : [], nodes, edges, generatedAt: '2024-05-02T12:00:00.000Z', generator: 'ocm-ts 0.1.0' };
}
