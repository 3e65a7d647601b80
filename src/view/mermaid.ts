/**
 * The graph as a mermaid flowchart (GitHub renders it): one subgraph per component version with
 * its node and resources, reference edges labelled with the reference name, signature state as a
 * class (colour, dashes) and text. Ids are generated; user text goes only into quoted labels
 * with mermaid's entity codes for everything its parser or the HTML label could read as syntax.
 */
import type { ViewGraph } from './model.js';
import { artifactLines, nodeState, STATE_TEXT, type NodeState } from './node-state.js';

const CLASS: Readonly<Record<NodeState, string>> = {
  verified: 'fill:#e8f5e9,stroke:#2e7d32,stroke-width:2px,color:#1b5e20',
  failed: 'fill:#ffebee,stroke:#c62828,stroke-width:3px,color:#b71c1c',
  'not-checked': 'fill:#f5f5f5,stroke:#616161,stroke-dasharray:4 3,color:#212121',
  unsigned: 'fill:#ffffff,stroke:#616161,stroke-dasharray:4 3,color:#212121',
  error: 'fill:#fff8e1,stroke:#c62828,stroke-width:2px,stroke-dasharray:4 3,color:#b71c1c',
};

// Mermaid decodes `#name;`/`#123;` in labels; these characters would otherwise end the string,
// start an entity or a `%%{…}%%` directive, or become HTML or markdown (backticks) in the label.
const ENTITY: Readonly<Record<string, string>> = {
  '"': '#quot;',
  '#': '#35;',
  '&': '#amp;',
  '<': '#lt;',
  '>': '#gt;',
  '`': '#96;',
  '|': '#124;',
  '\\': '#92;',
  '[': '#91;',
  ']': '#93;',
  '{': '#123;',
  '}': '#125;',
  ';': '#59;',
  '%': '#37;',
};

/** One label line: escaped, control characters blanked. */
export function mermaidText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/["#&<>`|\\[\]{};%]/g, (c) => ENTITY[c]!);
}

/** A quoted mermaid label of one or more lines. */
export function mermaidLabel(lines: string | readonly string[]): string {
  const parts = typeof lines === 'string' ? [lines] : lines;
  return `"${parts.flatMap((l) => l.split(/\r\n?|\n/)).map(mermaidText).join('<br/>')}"`;
}

export function toMermaid(graph: ViewGraph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.key, `n${i}`]));
  const out: string[] = ['flowchart LR'];
  for (const [state, style] of Object.entries(CLASS)) out.push(`  classDef ${cls(state as NodeState)} ${style}`);
  out.push('  classDef resource fill:#ffffff,stroke:#9e9e9e,color:#212121');
  graph.nodes.forEach((n, i) => {
    const id = `n${i}`;
    const state = nodeState(n);
    const lines = [n.component, n.version, ...(n.provider ? [`provider: ${n.provider}`] : []), STATE_TEXT[state]];
    out.push(`  subgraph s${i}[${mermaidLabel(n.key)}]`);
    out.push('    direction TB');
    out.push(`    ${id}[${mermaidLabel(lines)}]:::${cls(state)}`);
    n.resources.forEach((r, j) => {
      out.push(`    ${id}_r${j}[/${mermaidLabel(artifactLines(r))}/]:::resource`);
      out.push(`    ${id} -.- ${id}_r${j}`);
    });
    out.push('  end');
  });
  for (const e of graph.edges) {
    const from = ids.get(e.from);
    const to = ids.get(e.to);
    if (from && to) out.push(`  ${from} -->|${mermaidLabel(e.name)}| ${to}`);
  }
  return `${out.join('\n')}\n`;
}

// Class names cannot contain '-'.
const cls = (s: NodeState): string => `st_${s.replace('-', '_')}`;
