/**
 * The graph as Graphviz DOT: one cluster per component version holding its node and its
 * resources, reference edges labelled with the reference name, signature state as colour, style
 * and text. Ids are generated (n0, n0_r1, …); user text appears only in quoted, escaped strings.
 */
import type { ViewGraph } from './model.js';
import { artifactLines, nodeState, stateDetail, STATE_TEXT, type NodeState } from './node-state.js';

const STYLE: Readonly<Record<NodeState, string>> = {
  verified: 'color="#2e7d32", fillcolor="#e8f5e9", style="rounded,filled,bold"',
  failed: 'color="#c62828", fillcolor="#ffebee", style="rounded,filled,bold", penwidth=2',
  'not-checked': 'color="#616161", fillcolor="#f5f5f5", style="rounded,filled,dashed"',
  unsigned: 'color="#616161", fillcolor="#ffffff", style="rounded,dashed"',
  error: 'color="#c62828", fillcolor="#fff8e1", style="rounded,filled,dashed", penwidth=2',
};

/** A DOT double-quoted string: `"` and `\` escaped, lines joined with DOT's centred line break. */
export function dotString(lines: string | readonly string[]): string {
  const parts = typeof lines === 'string' ? [lines] : lines;
  const esc = (s: string) =>
    s
      .replace(/\\/g, '\\\\')
      .replace(/"/g, '\\"')
      .replace(/\r\n?|\n/g, '\\n')
      // other control characters would end up raw in the SVG
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ');
  return `"${parts.map(esc).join('\\n')}"`;
}

export function toDot(graph: ViewGraph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.key, `n${i}`]));
  const out: string[] = [
    'digraph ocm {',
    '  graph [rankdir=LR, compound=true, fontname="Helvetica", fontsize=11];',
    '  node [shape=box, fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  graph.nodes.forEach((n, i) => {
    const id = `n${i}`;
    const state = nodeState(n);
    const detail = stateDetail(n);
    const lines = [n.component, n.version, ...(n.provider ? [`provider: ${n.provider}`] : []), STATE_TEXT[state]];
    out.push(`  subgraph cluster_${i} {`);
    out.push(`    label=${dotString(n.key)}; style="rounded"; color="${state === 'failed' || state === 'error' ? '#c62828' : '#9e9e9e'}";`);
    out.push(`    ${id} [label=${dotString(lines)}, ${STYLE[state]}, tooltip=${dotString(detail ?? `${n.key}: ${STATE_TEXT[state]}`)}];`);
    n.resources.forEach((r, j) => {
      out.push(`    ${id}_r${j} [label=${dotString(artifactLines(r))}, shape=note, tooltip=${dotString(r.location)}];`);
      out.push(`    ${id} -> ${id}_r${j} [arrowhead=none, style=dotted];`);
    });
    out.push('  }');
  });
  for (const e of graph.edges) {
    const from = ids.get(e.from);
    const to = ids.get(e.to);
    if (!from || !to) continue;
    // Edges end at the cluster border; a self reference cannot (Graphviz would warn).
    const clip = from === to ? '' : `, lhead=cluster_${to.slice(1)}, ltail=cluster_${from.slice(1)}`;
    out.push(`  ${from} -> ${to} [label=${dotString(e.name)}${clip}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
