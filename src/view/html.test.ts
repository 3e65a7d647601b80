import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INJECTION_ATTR, INJECTION_LABEL, generatedGraph, threeComponentGraph } from '../testing/view-fixture-html.js';
import { escapeHtml, textOf } from './html-escape.js';
import { layers } from './html-layout.js';
import { renderHtml, specSummary } from './html.js';
import type { ViewGraph } from './model.js';

test('escapeHtml: markup, quotes and control characters never survive as syntax', () => {
  const cases: [string, string][] = [
    ['plain', 'plain'],
    ['<script>', '&lt;script&gt;'],
    ['"><img onerror=x>', '&quot;&gt;&lt;img onerror=x&gt;'],
    ["it's", 'it&#39;s'],
    ['a & b', 'a &amp; b'],
    ['&amp;', '&amp;amp;'],
    ['bell\u0007', 'bell\ufffd'],
    ['line\u2028sep', 'line\ufffdsep'],
    ['tab\tand\nnewline', 'tab\tand\nnewline'],
    ['bäse-ünïcode ✔', 'bäse-ünïcode ✔'],
  ];
  for (const [input, want] of cases) assert.equal(escapeHtml(input), want, JSON.stringify(input));
});

test('textOf: label values of any JSON type become one line of text', () => {
  const cases: [unknown, string][] = [
    ['s', 's'],
    [7, '7'],
    [true, 'true'],
    [null, 'null'],
    [{ a: [1, 'x'] }, '{"a":[1,"x"]}'],
    [undefined, ''],
  ];
  for (const [input, want] of cases) assert.equal(textOf(input), want);
});

test('the page is self-contained: a strict CSP, no external URL loaded, inline style and script only', () => {
  const html = renderHtml(threeComponentGraph());
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">/);
  assert.doesNotMatch(html, /<link\b/i);
  assert.doesNotMatch(html, /<script\s+src/i);
  assert.doesNotMatch(html, /\b(src|srcset|action|formaction|poster|background)\s*=\s*"/i, 'no attribute that loads something');
  assert.doesNotMatch(html, /url\((?!#)/, 'CSS loads nothing (only the SVG marker reference url(#arrow))');
  assert.doesNotMatch(html, /@import/);
});

test('user text is escaped everywhere: labels, resource names and providers with <script> and "><img onerror>', () => {
  const html = renderHtml(threeComponentGraph());
  assert.equal(html.includes(INJECTION_LABEL), false);
  assert.equal(html.includes(INJECTION_ATTR), false);
  assert.doesNotMatch(html, /<img/i);
  assert.equal((html.match(/<script>/g) ?? []).length, 1, 'only the page\'s own script element');
  assert.ok(html.includes(escapeHtml(INJECTION_LABEL)));
  assert.ok(html.includes(escapeHtml(INJECTION_ATTR)));
  assert.ok(html.includes('delivery \\&quot;core\\&quot; &amp; &lt;ops&gt;'), 'a structured label value is JSON, escaped');
});

test('every version, resource digest, source, signature state and repository context is on the page', () => {
  const g = threeComponentGraph();
  const html = renderHtml(g);
  g.nodes.forEach((n, i) => {
    assert.ok(html.includes(`<section class="cv" id="cv-${i}"`), n.key);
    assert.ok(html.includes(`<a href="#cv-${i}" class="node`), `SVG node links to the section of ${n.key}`);
    assert.ok(html.includes(escapeHtml(n.provider)));
    for (const a of [...n.resources, ...n.sources]) {
      assert.ok(html.includes(escapeHtml(a.name)), a.name);
      assert.ok(html.includes(escapeHtml(a.location)), a.location);
      if (a.digest) assert.ok(html.includes(`sha256:${a.digest.value}`), `digest of ${a.name}`);
    }
  });
  assert.match(html, /✘ failed<\/span>: resource &quot;lib-chart&quot;: digest differs/);
  assert.match(html, /data-state="failed"/);
  assert.match(html, /data-state="verified"/);
  assert.match(html, /data-state="not-checked"/);
  assert.ok(html.includes('OCIRegistry/v1 baseUrl=ghcr.io subPath=acme/ocm componentNameMapping=urlPath'));
  assert.ok(html.includes('CommonTransportFormat/v1 filePath=./transport-archive'));
  assert.ok(html.includes('5.0 MiB'));
  // headings: one h1, then h2 sections, h3 per version.
  assert.equal((html.match(/<h1>/g) ?? []).length, 1);
  assert.equal((html.match(/<h3 /g) ?? []).length, 3);
});

test('layers: parents above children, cycles and unreachable nodes do not loop', () => {
  const node = (key: string) => ({ key, component: key, version: '1', provider: 'p', labels: [], repositoryContexts: [], repository: 'r', resources: [], sources: [], signatures: [] });
  const g: ViewGraph = {
    roots: ['a'],
    nodes: ['a', 'b', 'c', 'd'].map(node),
    edges: [
      { from: 'a', to: 'b', name: 'b' },
      { from: 'b', to: 'c', name: 'c' },
      { from: 'c', to: 'a', name: 'back' },
    ],
    generatedAt: 't',
    generator: 'g',
  };
  const index = new Map(g.nodes.map((n, i) => [n.key, i]));
  assert.deepEqual(layers(g, index), [0, 1, 2, 0]);
  const three = threeComponentGraph();
  assert.deepEqual(layers(three, new Map(three.nodes.map((n, i) => [n.key, i]))), [0, 1, 2], 'base, referenced by app and lib, sits below lib');
  const html = renderHtml(g);
  assert.equal((html.match(/class="edge"/g) ?? []).length, 3);
  assert.match(html, /<path d="M[^"]*C/, 'the back edge bends');
});

test('a node that could not be read is shown with its error, and an empty graph renders', () => {
  const g = threeComponentGraph();
  const broken: ViewGraph = { ...g, nodes: [...g.nodes, { ...g.nodes[2]!, key: 'x:1', component: 'x', version: '1', error: 'not found in ctf ./transport-archive', signatures: [] }] };
  assert.match(renderHtml(broken), /<dt>Error<\/dt><dd class="state-error">not found in ctf \.\/transport-archive<\/dd>/);
  const empty = renderHtml({ roots: [], nodes: [], edges: [], generatedAt: 't', generator: 'g' });
  assert.match(empty, /0 component versions/);
});

test('500 component versions render in well under 2 s, and the time grows linearly', () => {
  const time = (n: number) => {
    const g = generatedGraph(n);
    const t0 = performance.now();
    const html = renderHtml(g);
    return { ms: performance.now() - t0, bytes: html.length };
  };
  time(50); // warm-up
  const r500 = time(500);
  const r2000 = time(2000);
  assert.ok(r500.ms < 2000, `500 versions took ${r500.ms.toFixed(0)} ms`);
  // 4× the versions: allow up to 12× the time (GC noise on a shared machine); quadratic would be ~16×.
  assert.ok(r2000.ms < Math.max(12 * r500.ms, 200), `2000 versions took ${r2000.ms.toFixed(0)} ms vs ${r500.ms.toFixed(0)} ms for 500`);
  assert.ok(r2000.bytes < 4.5 * r500.bytes);
});

test('specSummary: a repository context in one line', () => {
  assert.equal(specSummary({ type: 'OCIRegistry/v1', baseUrl: 'ghcr.io' }), 'OCIRegistry/v1 baseUrl=ghcr.io');
  assert.equal(specSummary({ type: 'x', nested: { a: 1 } } as never), 'x nested={"a":1}');
});
