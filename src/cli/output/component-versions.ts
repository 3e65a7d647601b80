/**
 * Printers for component versions: `table`, `tree`, `yaml`, `json`. yaml/json print the
 * descriptor exactly as the library serialises it (v2, keys sorted), so a descriptor printed by
 * one process is byte-identical to the same version printed by another.
 */
// The layer's own modules, not its index: the index also pulls the schema object (start-up cost).
import { serializeDescriptor } from '../../descriptor/codec.js';
import { elementIdentities, providerName } from '../../descriptor/identity.js';
import type { ComponentDescriptor } from '../../descriptor/types.js';
import { formatIdentity } from '../../runtime/identity.js';
import { renderTable } from './table.js';
import { renderTree, type TreeNode } from './tree.js';

/** A component version and (with --recursive) the versions it references. */
export interface CvNode {
  readonly descriptor: ComponentDescriptor;
  readonly children: readonly CvNode[];
  /** The name of the componentReference this node was reached through. */
  readonly via?: string;
}

export type CvFormat = 'table' | 'tree' | 'yaml' | 'json';

export function renderComponentVersions(nodes: readonly CvNode[], format: CvFormat): string {
  switch (format) {
    case 'table':
      return renderTable(
        ['COMPONENT', 'VERSION', 'PROVIDER'],
        flatten(nodes).map(({ component: c }) => [c.name, c.version, providerName(c)]),
      );
    case 'tree':
      return renderTree(nodes.map(treeNode));
    case 'yaml':
      return renderDescriptors(flatten(nodes), 'yaml');
    case 'json':
      return renderDescriptors(flatten(nodes), 'json');
  }
}

/** Every descriptor once, depth first, in the order shown. */
export function flatten(nodes: readonly CvNode[]): ComponentDescriptor[] {
  const out: ComponentDescriptor[] = [];
  const seen = new Set<string>();
  const walk = (n: CvNode) => {
    const key = `${n.descriptor.component.name}:${n.descriptor.component.version}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(n.descriptor);
    }
    n.children.forEach(walk);
  };
  nodes.forEach(walk);
  return out;
}

/** One descriptor: the document itself; several: YAML documents separated by `---`, or a JSON array. */
export function renderDescriptors(cds: readonly ComponentDescriptor[], format: 'yaml' | 'json'): string {
  if (format === 'yaml') {
    return cds.map((cd) => ensureNewline(serializeDescriptor(cd, 'yaml'))).join('---\n');
  }
  const docs = cds.map((cd) => JSON.parse(serializeDescriptor(cd, 'json')) as unknown);
  return `${JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2)}\n`;
}

function ensureNewline(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}

function treeNode(n: CvNode): TreeNode {
  const c = n.descriptor.component;
  const ids = elementIdentities(c.resources);
  const resources: TreeNode[] = c.resources.map((r, i) => ({
    marker: '▪',
    cells: [`resource ${r.name} (${r.type})`, r.version ?? '', '', formatIdentity(ids[i]!)],
    children: [],
  }));
  return {
    marker: '●',
    cells: [c.name, c.version, providerName(c), formatIdentity({ name: c.name, version: c.version })],
    children: [...resources, ...n.children.map(treeNode)],
  };
}

/** Sorts versions by relaxed semver (numeric parts, pre-releases first); anything else after, by text. */
export function sortVersions(versions: readonly string[]): string[] {
  const parse = (v: string) => /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([^+]*))?(?:\+.*)?$/.exec(v);
  return [...versions].sort((a, b) => {
    const pa = parse(a);
    const pb = parse(b);
    if (!pa || !pb) return pa ? -1 : pb ? 1 : a < b ? -1 : a > b ? 1 : 0;
    for (let i = 1; i <= 3; i++) {
      const d = Number(pa[i] ?? 0) - Number(pb[i] ?? 0);
      if (d !== 0) return d;
    }
    if (pa[4] !== pb[4]) {
      if (pa[4] === undefined) return 1;
      if (pb[4] === undefined) return -1;
      return comparePrerelease(pa[4], pb[4]);
    }
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

function comparePrerelease(a: string, b: string): number {
  const xa = a.split('.');
  const xb = b.split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    const p = xa[i];
    const q = xb[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const np = /^\d+$/.test(p);
    const nq = /^\d+$/.test(q);
    if (np && nq && Number(p) !== Number(q)) return Number(p) - Number(q);
    if (np !== nq) return np ? -1 : 1;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}
