/**
 * SPDX 2.3 JSON of a component graph (issue 17). Every component version and every resource and
 * source is a package (`filesAnalyzed: false`: OCM records artifacts, not their files). The
 * document DESCRIBES the roots; versions DEPENDS_ON the versions they reference and CONTAIN
 * their resources and sources. The OCM identity is in each package's comment; signature states
 * and labels are annotations.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import { VERSION } from '../version.js';
import type { ViewArtifact, ViewGraph, ViewNode } from './model.js';
import { artifactIdentity, artifactPurl, artifactRef, contentHash, digestText, isContainer, labelText, nodeIndex } from './sbom-common.js';

export interface SpdxOptions {
  /** Unique absolute URI without `#`; `urn:uuid:<random>` by default. Fixed in tests. */
  readonly documentNamespace?: string;
  /** ISO date-time; the graph's `generatedAt` by default. Written to the second, in UTC. */
  readonly created?: string;
}

type Json = Record<string, unknown>;

const TOOL = `Tool: ocm-ts-${VERSION}`;

/** SPDX timestamps are `YYYY-MM-DDThh:mm:ssZ` (no fractions). */
function spdxTime(text: string): string {
  const t = new Date(text);
  if (Number.isNaN(t.getTime())) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `SPDX creation time "${text}" is not an ISO date-time`);
  }
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Allocates `SPDXRef-<idstring>` ids ([A-Za-z0-9.-]); a sanitising collision gets a `-2`, `-3`… suffix. */
class IdAllocator {
  private readonly used = new Set<string>(['SPDXRef-DOCUMENT']);
  private readonly byRef = new Map<string, string>();
  id(ref: string, wanted: string): string {
    const known = this.byRef.get(ref);
    if (known) return known;
    const base = `SPDXRef-${wanted.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'x'}`;
    let id = base;
    for (let i = 2; this.used.has(id); i++) id = `${base}-${i}`;
    this.used.add(id);
    this.byRef.set(ref, id);
    return id;
  }
}

function checksums(a: ViewArtifact): Json[] | undefined {
  const h = contentHash(a.digest);
  return h ? [{ algorithm: h.alg === 'sha256' ? 'SHA256' : 'SHA512', checksumValue: h.hex }] : undefined;
}

function annotation(created: string, comment: string): Json {
  return { annotationDate: created, annotationType: 'OTHER', annotator: TOOL, comment };
}

function nodePackage(node: ViewNode, id: string, created: string): Json {
  const notes = [
    ...node.labels.map((l) => annotation(created, `ocm label ${l.name}: ${labelText(l.value)}`)),
    ...node.signatures.map((s) =>
      annotation(
        created,
        `ocm signature ${s.name} (${s.algorithm}${s.issuer ? `, issuer ${s.issuer}` : ''}) over ${digestText(s.digest)}: ` +
          (s.state === 'failed' && s.detail ? `failed: ${s.detail}` : s.state),
      ),
    ),
    ...node.repositoryContexts.map((c) => annotation(created, `ocm repository context: ${JSON.stringify(c)}`)),
  ];
  const comment = [`ocm component version ${node.component}:${node.version}`, `read from ${node.repository}`];
  if (node.creationTime) comment.push(`created ${node.creationTime}`);
  if (node.error) comment.push(`error: ${node.error}`);
  return {
    SPDXID: id,
    name: node.component,
    versionInfo: node.version,
    supplier: `Organization: ${node.provider}`,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    primaryPackagePurpose: 'APPLICATION',
    comment: comment.join('; '),
    ...(notes.length ? { annotations: notes } : {}),
  };
}

function artifactPackage(node: ViewNode, a: ViewArtifact, id: string, created: string): Json {
  const comment = [
    `ocm ${a.kind} ${artifactIdentity(a)} of ${node.component}:${node.version}`,
    `type ${a.type}`,
    ...(a.relation ? [`relation ${a.relation}`] : []),
    ...(a.access ? [`access ${a.access.type}`] : []),
    `location ${a.location}`,
    ...(a.mediaType ? [`mediaType ${a.mediaType}`] : []),
    ...(a.size !== undefined ? [`size ${a.size}`] : []),
    // Digests of something other than the bytes (normalised descriptors) stay visible as text.
    ...(a.digest && !contentHash(a.digest) ? [`digest ${digestText(a.digest)}`] : []),
  ];
  const notes = (a.labels ?? []).map((l) => annotation(created, `ocm label ${l.name}: ${labelText(l.value)}`));
  const purpose = a.kind === 'source' ? 'SOURCE' : isContainer(a) ? 'CONTAINER' : 'FILE';
  return {
    SPDXID: id,
    name: a.name,
    ...(a.version !== undefined ? { versionInfo: a.version } : {}),
    supplier: `Organization: ${node.provider}`,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    ...(checksums(a) ? { checksums: checksums(a) } : {}),
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: artifactPurl(node, a) }],
    primaryPackagePurpose: purpose,
    comment: comment.join('; '),
    ...(notes.length ? { annotations: notes } : {}),
  };
}

/** The graph as an SPDX 2.3 document object (callers `JSON.stringify(doc, null, 2)`). */
export function toSpdx(graph: ViewGraph, options: SpdxOptions = {}): Json {
  const created = spdxTime(options.created ?? graph.generatedAt);
  const documentNamespace = options.documentNamespace ?? `urn:uuid:${randomUUID()}`;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:[^\s#]+$/.test(documentNamespace)) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `SPDX document namespace "${documentNamespace}" must be an absolute URI without '#'`);
  }
  const ids = new IdAllocator();
  const nodes = nodeIndex(graph);
  const packages: Json[] = [];
  const relationships: Json[] = [];
  const rel = (from: string, type: string, to: string) => relationships.push({ spdxElementId: from, relationshipType: type, relatedSpdxElement: to });

  for (const n of graph.nodes) ids.id(n.key, `cv-${n.component}-${n.version}`);
  for (const k of graph.roots) if (nodes.has(k)) rel('SPDXRef-DOCUMENT', 'DESCRIBES', ids.id(k, ''));
  for (const n of graph.nodes) {
    const nid = ids.id(n.key, '');
    packages.push(nodePackage(n, nid, created));
    for (const a of [...n.resources, ...n.sources]) {
      const aid = ids.id(artifactRef(n, a), `${a.kind === 'resource' ? 'res' : 'src'}-${n.component}-${n.version}-${artifactIdentity(a)}`);
      packages.push(artifactPackage(n, a, aid, created));
      rel(nid, 'CONTAINS', aid);
    }
  }
  const seen = new Set<string>();
  for (const e of graph.edges) {
    if (!nodes.has(e.from) || !nodes.has(e.to) || seen.has(`${e.from}\n${e.to}`)) continue;
    seen.add(`${e.from}\n${e.to}`);
    rel(ids.id(e.from, ''), 'DEPENDS_ON', ids.id(e.to, ''));
  }

  const rootName = graph.roots.join(', ') || 'empty graph';
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `ocm ${rootName}`,
    documentNamespace,
    creationInfo: { created, creators: [TOOL] },
    packages,
    relationships,
  };
}
