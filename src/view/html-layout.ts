/**
 * The graph of the HTML page as inline SVG: a simple layered layout computed here (no graphviz at
 * run time, the page must stand alone). Layers are longest paths from the roots, so parents sit above
 * children; edges closing a cycle are drawn bent; a wide layer wraps into rows so 500 versions stay readable.
 * Everything is O(nodes + edges).
 */
import type { ViewGraph } from './model.js';
import { escapeHtml } from './html-escape.js';
import { STATE_TEXT, nodeState, type NodeState } from './node-state.js';


const BOX_W = 230;
const BOX_H = 54;
const GAP_X = 24;
const GAP_Y = 46;
const MAX_PER_ROW = 8;
const MAX_LABEL = 30;

// One state vocabulary for every view (DOT, mermaid, the page).
export { nodeState, STATE_TEXT, type NodeState };

/**
 * Layer of each node index: the longest path from a root over the graph without its back edges
 * (a depth-first order decides which edges close a cycle), so a version referenced by a parent
 * and a grandparent sits below both. Unreachable nodes start at layer 0. O(nodes + edges).
 */
export function layers(graph: ViewGraph, index: ReadonlyMap<string, number>): number[] {
  const n = graph.nodes.length;
  const children: number[][] = graph.nodes.map(() => []);
  for (const e of graph.edges) {
    const f = index.get(e.from);
    const t = index.get(e.to);
    if (f !== undefined && t !== undefined) children[f]!.push(t);
  }
  // Iterative DFS (a 500-deep chain must not overflow the stack): post-order, then reversed.
  const seen = new Uint8Array(n);
  const post: number[] = [];
  const starts = [...graph.roots.map((r) => index.get(r)).filter((i): i is number => i !== undefined), ...graph.nodes.keys()];
  for (const s of starts) {
    if (seen[s]) continue;
    seen[s] = 1;
    const stack: [number, number][] = [[s, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const kids = children[top[0]]!;
      if (top[1] < kids.length) {
        const c = kids[top[1]++]!;
        if (!seen[c]) {
          seen[c] = 1;
          stack.push([c, 0]);
        }
      } else {
        post.push(top[0]);
        stack.pop();
      }
    }
  }
  const pos = new Array<number>(n);
  const topo = post.reverse();
  topo.forEach((v, k) => (pos[v] = k));
  const depth = new Array<number>(n).fill(0);
  for (const u of topo) {
    for (const c of children[u]!) if (pos[c]! > pos[u]! && depth[c]! < depth[u]! + 1) depth[c] = depth[u]! + 1;
  }
  return depth;
}

function shorten(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** The inline SVG: one link per node (to its section), one line per edge with the reference name as tooltip. */
export function renderSvg(graph: ViewGraph, index: ReadonlyMap<string, number>, anchor: (i: number) => string): string {
  const depth = layers(graph, index);
  // Nodes per layer in graph order (stable): a layer of k nodes takes ceil(k / MAX_PER_ROW) rows.
  const perLayer: number[][] = [];
  depth.forEach((d, i) => (perLayer[d] ??= []).push(i));
  const x = new Array<number>(graph.nodes.length).fill(0);
  const y = new Array<number>(graph.nodes.length).fill(0);
  let row = 0;
  let cols = 1;
  for (const members of perLayer) {
    if (!members) continue;
    const width = Math.min(members.length, MAX_PER_ROW);
    cols = Math.max(cols, width);
    members.forEach((i, k) => {
      const inRow = k % MAX_PER_ROW;
      const rowCount = Math.min(MAX_PER_ROW, members.length - (k - inRow));
      x[i] = inRow + (MAX_PER_ROW - rowCount) / 2; // centred, in column units (fixed below)
      y[i] = row + Math.floor(k / MAX_PER_ROW);
    });
    row += Math.ceil(members.length / MAX_PER_ROW);
  }
  // Centre on the widest row actually used, not on MAX_PER_ROW.
  const shift = (MAX_PER_ROW - cols) / 2;
  const px = (i: number) => 10 + (x[i]! - shift) * (BOX_W + GAP_X);
  const py = (i: number) => 10 + y[i]! * (BOX_H + GAP_Y);
  const width = 80 + cols * (BOX_W + GAP_X) - GAP_X; // room on the right for edges that skip rows
  const height = 20 + Math.max(row, 1) * (BOX_H + GAP_Y) - GAP_Y;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" id="graph-svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="group" aria-label="Component version graph: ${graph.nodes.length} versions, ${graph.edges.length} references">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrowhead"/></marker></defs>',
    '<g class="edges">',
  );
  for (const e of graph.edges) {
    const f = index.get(e.from);
    const t = index.get(e.to);
    if (f === undefined || t === undefined) continue;
    const x1 = px(f) + BOX_W / 2;
    const y1 = py(f) + BOX_H;
    const x2 = px(t) + BOX_W / 2;
    const y2 = py(t);
    // Next row: straight. Skipping rows: right side to right side, bulging out, so it does not run
    // behind the boxes in between. Up or sideways (a cycle back to an ancestor): bent round the boxes.
    let d: string;
    if (y2 > y1 && y2 - y1 <= GAP_Y + 1) d = `M${x1},${y1}L${x2},${y2}`;
    else if (y2 > y1) {
      const [sx, sy, ex, ey] = [px(f) + BOX_W, py(f) + BOX_H / 2, px(t) + BOX_W, py(t) + BOX_H / 2];
      const bulge = GAP_X + (ey - sy) / 6;
      d = `M${sx},${sy}C${sx + bulge},${sy} ${ex + bulge},${ey} ${ex},${ey}`;
    } else d = `M${x1},${y1}C${x1},${y1 + GAP_Y} ${x2 + BOX_W / 2},${y2 - GAP_Y} ${x2},${y2}`;
    out.push(`<path d="${d}" class="edge" marker-end="url(#arrow)"><title>${escapeHtml(`${e.name}: ${e.from} → ${e.to}`)}</title></path>`);
  }
  out.push('</g><g class="nodes">');
  graph.nodes.forEach((n, i) => {
    const state = nodeState(n);
    const label = `${n.component}:${n.version}`;
    out.push(
      `<a href="#${anchor(i)}" class="node st-${state}" data-state="${state}" aria-label="${escapeHtml(`${label}, ${STATE_TEXT[state]}`)}">`,
      `<rect x="${px(i)}" y="${py(i)}" width="${BOX_W}" height="${BOX_H}" rx="6"/>`,
      `<text x="${px(i) + 10}" y="${py(i) + 22}" class="n1">${escapeHtml(shorten(n.component, MAX_LABEL))}</text>`,
      `<text x="${px(i) + 10}" y="${py(i) + 42}" class="n2">${escapeHtml(shorten(n.version, 14))}  ${STATE_TEXT[state]}</text>`,
      `<title>${escapeHtml(label)}</title></a>`,
    );
  });
  out.push('</g></svg>');
  return out.join('');
}
