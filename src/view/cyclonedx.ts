/**
 * CycloneDX 1.6 JSON of a component graph (issue 17). Component versions are `application`
 * components (what is delivered); their resources and sources are nested components (`container`
 * for OCI images, `file` otherwise) with the artifact's content hash. OCM facts without a
 * CycloneDX field (identity, access, signature states, descriptor digests) are `ocm:*` properties.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import { VERSION } from '../version.js';
import type { ViewArtifact, ViewGraph, ViewNode } from './model.js';
import { artifactPurl, artifactRef, contentHash, digestText, isContainer, labelText, nodeIndex } from './sbom-common.js';

export interface CycloneDxOptions {
  /** `urn:uuid:<uuid>`; a random one by default. Fixed in tests for deterministic output. */
  readonly serialNumber?: string;
  /** ISO date-time; the graph's `generatedAt` by default. */
  readonly timestamp?: string;
}

type Json = Record<string, unknown>;
interface Property {
  readonly name: string;
  readonly value: string;
}

const SERIAL_RE = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function hashes(a: ViewArtifact): Json[] | undefined {
  const h = contentHash(a.digest);
  return h ? [{ alg: h.alg === 'sha256' ? 'SHA-256' : 'SHA-512', content: h.hex }] : undefined;
}

function artifactProperties(node: ViewNode, a: ViewArtifact): Property[] {
  const p: Property[] = [
    { name: 'ocm:component', value: node.component },
    { name: 'ocm:version', value: node.version },
    { name: `ocm:${a.kind}:name`, value: a.name },
    { name: `ocm:${a.kind}:type`, value: a.type },
  ];
  if (a.version !== undefined) p.push({ name: `ocm:${a.kind}:version`, value: a.version });
  for (const [k, v] of Object.entries(a.extraIdentity ?? {}).sort(([x], [y]) => (x < y ? -1 : 1))) {
    p.push({ name: `ocm:extraIdentity:${k}`, value: v });
  }
  if (a.relation) p.push({ name: 'ocm:relation', value: a.relation });
  if (a.access) p.push({ name: 'ocm:access:type', value: a.access.type });
  p.push({ name: 'ocm:location', value: a.location });
  if (a.mediaType) p.push({ name: 'ocm:mediaType', value: a.mediaType });
  if (a.size !== undefined) p.push({ name: 'ocm:size', value: String(a.size) });
  // A digest that is no content hash (e.g. of a normalised descriptor) is still a fact worth keeping.
  if (a.digest && !contentHash(a.digest)) p.push({ name: 'ocm:digest', value: digestText(a.digest) });
  for (const l of a.labels ?? []) p.push({ name: `ocm:label:${l.name}`, value: labelText(l.value) });
  return p;
}

function artifactComponent(node: ViewNode, a: ViewArtifact): Json {
  return {
    type: isContainer(a) ? 'container' : 'file',
    'bom-ref': artifactRef(node, a),
    name: a.name,
    ...(a.version !== undefined ? { version: a.version } : {}),
    ...(hashes(a) ? { hashes: hashes(a) } : {}),
    purl: artifactPurl(node, a),
    properties: artifactProperties(node, a),
  };
}

function nodeProperties(node: ViewNode): Property[] {
  const p: Property[] = [
    { name: 'ocm:component', value: node.component },
    { name: 'ocm:version', value: node.version },
    { name: 'ocm:provider', value: node.provider },
    { name: 'ocm:repository', value: node.repository },
  ];
  if (node.creationTime) p.push({ name: 'ocm:creationTime', value: node.creationTime });
  for (const c of node.repositoryContexts) p.push({ name: 'ocm:repositoryContext', value: JSON.stringify(c) });
  for (const l of node.labels) p.push({ name: `ocm:label:${l.name}`, value: labelText(l.value) });
  for (const s of node.signatures) {
    const state = s.state === 'failed' && s.detail ? `failed: ${s.detail}` : s.state;
    p.push({ name: `ocm:signature:${s.name}`, value: state });
    p.push({ name: `ocm:signature:${s.name}:algorithm`, value: s.algorithm });
    if (s.issuer) p.push({ name: `ocm:signature:${s.name}:issuer`, value: s.issuer });
    p.push({ name: `ocm:signature:${s.name}:digest`, value: digestText(s.digest) });
  }
  if (node.error) p.push({ name: 'ocm:error', value: node.error });
  return p;
}

function nodeComponent(node: ViewNode): Json {
  const nested = [...node.resources, ...node.sources].map((a) => artifactComponent(node, a));
  return {
    type: 'application',
    'bom-ref': node.key,
    supplier: { name: node.provider },
    name: node.component,
    version: node.version,
    properties: nodeProperties(node),
    ...(nested.length ? { components: nested } : {}),
  };
}

/**
 * The graph as a CycloneDX 1.6 BOM object (callers `JSON.stringify(bom, null, 2)`). The first
 * root is `metadata.component`; every other version is a top-level component (bom-refs stay
 * unique). Dependencies: each version depends on the versions it references and on its resources.
 */
export function toCycloneDx(graph: ViewGraph, options: CycloneDxOptions = {}): Json {
  const serialNumber = options.serialNumber ?? `urn:uuid:${randomUUID()}`;
  if (!SERIAL_RE.test(serialNumber)) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `CycloneDX serial number "${serialNumber}" is not urn:uuid:<lower-case uuid>`);
  }
  const timestamp = new Date(options.timestamp ?? graph.generatedAt);
  if (Number.isNaN(timestamp.getTime())) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `CycloneDX timestamp "${options.timestamp ?? graph.generatedAt}" is not an ISO date-time`);
  }
  const nodes = nodeIndex(graph);
  const rootKey = graph.roots.find((k) => nodes.has(k));
  const root = rootKey !== undefined ? nodes.get(rootKey) : undefined;

  const dependsOn = new Map<string, string[]>();
  for (const n of graph.nodes) dependsOn.set(n.key, []);
  for (const e of graph.edges) {
    const list = dependsOn.get(e.from);
    if (list && nodes.has(e.to) && !list.includes(e.to)) list.push(e.to);
  }
  const dependencies: Json[] = [];
  for (const n of graph.nodes) {
    const refs = [...dependsOn.get(n.key)!, ...n.resources.map((a) => artifactRef(n, a))];
    dependencies.push({ ref: n.key, dependsOn: refs });
    for (const a of n.resources) dependencies.push({ ref: artifactRef(n, a), dependsOn: [] });
  }

  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber,
    version: 1,
    metadata: {
      timestamp: timestamp.toISOString(),
      tools: { components: [{ type: 'application', name: 'ocm-ts', version: VERSION }] },
      ...(root ? { component: nodeComponent(root) } : {}),
    },
    components: graph.nodes.filter((n) => n !== root).map(nodeComponent),
    dependencies,
  };
}
