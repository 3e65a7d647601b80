/**
 * The Software Bill of Delivery page (issue 17): one self-contained HTML file rendered from a
 * ViewGraph. No network at all (a strict CSP; inline CSS, inline SVG and a small inline script),
 * so it opens from file:// anywhere, is archived with a release and printed for an audit.
 * Every piece of user data is escaped (html-escape.ts); rendering is one pass building an array
 * of strings, O(size of the graph).
 */
import type { TypedSpec } from '../descriptor/types.js';
import type { SignatureState, ViewArtifact, ViewDigest, ViewGraph, ViewLabel, ViewNode, ViewSignature } from './model.js';
import { CSP, CSS, SCRIPT } from './html-assets.js';
import { escapeHtml as esc, textOf } from './html-escape.js';
import { STATE_TEXT, nodeState, renderSvg, type NodeState } from './html-layout.js';

const anchor = (i: number): string => `cv-${i}`;

/** The whole page as one string. Pure: the same graph gives the same page. */
export function renderHtml(graph: ViewGraph): string {
  const index = new Map<string, number>();
  graph.nodes.forEach((n, i) => index.set(n.key, i));
  const childrenOf = new Map<string, { name: string; to: string; digest?: ViewDigest }[]>();
  for (const e of graph.edges) {
    let list = childrenOf.get(e.from);
    if (!list) childrenOf.set(e.from, (list = []));
    list.push({ name: e.name, to: e.to, ...(e.digest ? { digest: e.digest } : {}) });
  }
  const types = new Set<string>();
  const counts = { resources: 0, sources: 0, verified: 0, failed: 0, 'not-checked': 0 } as Record<string, number>;
  for (const n of graph.nodes) {
    for (const a of n.resources) types.add(a.type);
    for (const a of n.sources) types.add(a.type);
    counts['resources']! += n.resources.length;
    counts['sources']! += n.sources.length;
    for (const s of n.signatures) counts[s.state]! += 1;
  }
  const title = graph.roots.length > 0 ? graph.roots.join(', ') : 'empty graph';

  const out: string[] = [];
  out.push(
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">\n`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
    '<meta name="referrer" content="no-referrer">\n',
    `<meta name="generator" content="${esc(graph.generator)}">\n`,
    `<title>Software Bill of Delivery: ${esc(title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n`,
    '<a class="skip" href="#main">Skip to the component versions</a>\n',
    `<header>\n<h1>Software Bill of Delivery: ${esc(title)}</h1>\n`,
    `<p class="meta">Generated ${esc(graph.generatedAt)} by ${esc(graph.generator)}. Signature states were computed when this page was written.</p>\n`,
    '<ul class="summary" aria-label="Summary">',
    `<li>${graph.nodes.length} component versions</li><li>${graph.edges.length} references</li>`,
    `<li>${counts['resources']} resources</li><li>${counts['sources']} sources</li>`,
    `<li class="state-verified">${counts['verified']} signatures verified</li>`,
    `<li class="state-failed">${counts['failed']} signatures failed</li>`,
    `<li class="state-not-checked">${counts['not-checked']} signatures not checked</li></ul>\n</header>\n`,
  );
  out.push(
    '<div class="controls" role="search" aria-label="Filter the tables">\n',
    '<label for="q">Search all tables<input id="q" type="search" autocomplete="off" placeholder="name, digest, label… ( / )"></label>\n',
    '<label for="f-state">Signature state<select id="f-state"><option value="">all</option>',
    (['verified', 'failed', 'not-checked', 'unsigned', 'error'] as const).map((s) => `<option value="${s}">${esc(STATE_TEXT[s])}</option>`).join(''),
    '</select></label>\n<label for="f-type">Artifact type<select id="f-type"><option value="">all</option>',
    [...types].sort().map((t) => `<option value="${esc(t)}">${esc(t)}</option>`).join(''),
    '</select></label>\n<p id="count" role="status" aria-live="polite"></p>\n</div>\n',
  );
  out.push(
    '<nav aria-labelledby="graph-h">\n<h2 id="graph-h">Graph</h2>\n',
    '<p class="muted">Parents above children; colour and text show the signature state. Each box links to its component version.</p>\n',
    `<div class="graph">${renderSvg(graph, index, anchor)}</div>\n</nav>\n`,
    `<main id="main" tabindex="-1">\n<h2>Component versions</h2>\n`,
  );
  graph.nodes.forEach((n, i) => renderNode(out, n, i, childrenOf.get(n.key) ?? [], index));
  out.push('</main>\n', `<script>${SCRIPT}</script>\n</body>\n</html>\n`);
  return out.join('');
}

function renderNode(
  out: string[],
  n: ViewNode,
  i: number,
  refs: readonly { name: string; to: string; digest?: ViewDigest }[],
  index: ReadonlyMap<string, number>,
): void {
  const state = nodeState(n);
  const id = anchor(i);
  out.push(
    `<section class="cv" id="${id}" data-state="${state}" aria-labelledby="${id}-h">\n`,
    `<h3 id="${id}-h">${esc(n.component)}<span class="muted">:</span>${esc(n.version)} ${stateBadge(state)}</h3>\n<dl class="facts">`,
    `<dt>Provider</dt><dd>${esc(n.provider)}</dd>`,
    `<dt>Read from</dt><dd><code>${esc(n.repository)}</code></dd>`,
  );
  if (n.creationTime) out.push(`<dt>Created</dt><dd>${esc(n.creationTime)}</dd>`);
  if (n.error !== undefined) out.push(`<dt>Error</dt><dd class="state-error">${esc(n.error)}</dd>`);
  out.push('</dl>\n');
  if (n.labels.length > 0) labelsTable(out, n.labels, 'Labels', id);
  if (refs.length > 0) {
    out.push(tableStart(`${id}-refs`, 'References', ['Name', 'Component version', 'Digest']));
    for (const r of refs) {
      const t = index.get(r.to);
      const target = t === undefined ? esc(r.to) : `<a href="#${anchor(t)}">${esc(r.to)}</a>`;
      out.push(`<tr tabindex="-1"><td>${esc(r.name)}</td><td>${target}</td><td>${digestCell(r.digest)}</td></tr>\n`);
    }
    out.push('</tbody></table>\n');
  }
  signaturesTable(out, n.signatures, id);
  artifactsTable(out, n.resources, 'Resources', `${id}-res`);
  artifactsTable(out, n.sources, 'Sources', `${id}-src`);
  out.push(`<h4 id="${id}-ctx">Repository contexts</h4>\n`);
  if (n.repositoryContexts.length === 0) out.push('<p class="muted">none recorded</p>\n');
  else out.push(`<ol aria-labelledby="${id}-ctx">${n.repositoryContexts.map((c) => `<li><code>${esc(specSummary(c))}</code></li>`).join('')}</ol>\n`);
  out.push('<p class="back"><a href="#graph-h">Back to the graph</a></p>\n</section>\n');
}

function stateBadge(state: NodeState | SignatureState): string {
  return `<span class="badge state state-${state}">${esc(STATE_TEXT[state])}</span>`;
}

function tableStart(id: string, caption: string, columns: readonly string[]): string {
  return `<table id="${id}"><caption>${esc(caption)}</caption><thead><tr>${columns.map((c) => `<th scope="col">${c}</th>`).join('')}</tr></thead><tbody>\n`;
}

function labelsTable(out: string[], labels: readonly ViewLabel[], caption: string, id: string): void {
  out.push(tableStart(`${id}-labels`, caption, ['Name', 'Value', 'Signed']));
  for (const l of labels) out.push(`<tr tabindex="-1"><td>${esc(l.name)}</td><td><code>${esc(textOf(l.value))}</code></td><td>${l.signing ? 'yes' : 'no'}</td></tr>\n`);
  out.push('</tbody></table>\n');
}

function signaturesTable(out: string[], signatures: readonly ViewSignature[], id: string): void {
  if (signatures.length === 0) {
    out.push('<p class="muted">No signatures.</p>\n');
    return;
  }
  out.push(tableStart(`${id}-sigs`, 'Signatures', ['Name', 'Algorithm', 'Issuer', 'Digest', 'Verification']));
  for (const s of signatures) {
    const detail = s.detail ? `: ${esc(s.detail)}` : '';
    out.push(
      `<tr tabindex="-1" data-sig="${s.state}"><td>${esc(s.name)}</td><td>${esc(s.algorithm)}<br><span class="muted">${esc(s.mediaType)}</span></td>`,
      `<td>${s.issuer ? esc(s.issuer) : '<span class="muted">—</span>'}</td><td>${digestCell(s.digest)}</td>`,
      `<td class="verification">${stateBadge(s.state)}${detail}</td></tr>\n`,
    );
  }
  out.push('</tbody></table>\n');
}

function artifactsTable(out: string[], artifacts: readonly ViewArtifact[], caption: string, id: string): void {
  if (artifacts.length === 0) {
    out.push(`<p class="muted">No ${caption.toLowerCase()}.</p>\n`);
    return;
  }
  out.push(tableStart(id, caption, ['Name', 'Type', 'Version', 'Location', 'Digest', 'Size', 'Media type', 'Labels']));
  for (const a of artifacts) {
    const extra = a.extraIdentity && Object.keys(a.extraIdentity).length > 0 ? `<br><span class="muted">${esc(textOf(a.extraIdentity))}</span>` : '';
    const rel = a.relation ? ` <span class="muted">(${esc(a.relation)})</span>` : '';
    const labels = (a.labels ?? []).map((l) => `${esc(l.name)}=${esc(textOf(l.value))}`).join('<br>');
    out.push(
      `<tr tabindex="-1" data-type="${esc(a.type)}"><td>${esc(a.name)}${extra}</td><td>${esc(a.type)}${rel}</td><td>${a.version ? esc(a.version) : ''}</td>`,
      `<td><code>${esc(a.location)}</code></td><td>${digestCell(a.digest)}</td><td>${sizeCell(a.size)}</td>`,
      `<td>${a.mediaType ? `<code>${esc(a.mediaType)}</code>` : ''}</td><td>${labels}</td></tr>\n`,
    );
  }
  out.push('</tbody></table>\n');
}

function digestCell(d: ViewDigest | undefined): string {
  if (!d) return '<span class="muted">—</span>';
  return `<code>${esc(d.hashAlgorithm.toLowerCase().replace('-', ''))}:${esc(d.value)}</code><br><span class="muted">${esc(d.normalisationAlgorithm)}</span>`;
}

function sizeCell(size: number | undefined): string {
  if (size === undefined || !Number.isFinite(size)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = size;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const human = u === 0 ? `${size} B` : `${v.toFixed(1)} ${units[u]}`;
  return `<span title="${size} bytes">${human}</span>`;
}

/** A repository context in one line: its type, then its other fields (accesses and contexts hold no secrets). */
export function specSummary(spec: TypedSpec): string {
  const { type, ...rest } = spec as { type?: unknown } & Record<string, unknown>;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${textOf(v)}`);
  return [textOf(type ?? 'unknown type'), ...fields].join(' ');
}
