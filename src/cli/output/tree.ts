/**
 * `-o tree`: component versions with their resources (and, with --recursive, referenced
 * component versions) drawn as a tree in the NESTING column of a table.
 */
import { renderTable } from './table.js';

export interface TreeNode {
  /** One cell per column after NESTING. */
  readonly cells: readonly string[];
  /** Marker drawn after the branch: `●` for a component version, `▪` for a resource. */
  readonly marker: string;
  readonly children: readonly TreeNode[];
}

export const TREE_HEADERS = ['NESTING', 'COMPONENT', 'VERSION', 'PROVIDER', 'IDENTITY'] as const;

/** Renders root nodes (each a tree) as one table whose first column shows the nesting. */
export function renderTree(roots: readonly TreeNode[], headers: readonly string[] = TREE_HEADERS): string {
  const rows: string[][] = [];
  const walk = (node: TreeNode, indent: string, last: boolean) => {
    rows.push([`${indent}${last ? '└─' : '├─'} ${node.marker}`, ...node.cells]);
    const next = `${indent}${last ? '   ' : '│  '}`;
    node.children.forEach((c, i) => walk(c, next, i === node.children.length - 1));
  };
  roots.forEach((r, i) => walk(r, '', i === roots.length - 1));
  return renderTable(headers, rows);
}
