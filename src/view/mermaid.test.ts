import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tempDir } from '../testing/fixtures.js';
import { chromiumMissing, launchChromium, type Chromium } from '../testing/chromium.js';
import type { Page } from 'playwright-core';
import { TRICKY_NAMES, VIEW_BASE, trickyViewGraph, writeViewFixture } from '../testing/view-fixture.js';
import { buildViewGraph } from './graph.js';
import { mermaidLabel, toMermaid } from './mermaid.js';
import type { ViewGraph } from './model.js';

const MERMAID = join(repoRoot, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js');
const skip = chromiumMissing() ?? (!existsSync(MERMAID) ? 'mermaid is not installed (npm devDependency)' : false);

let chromium: Chromium | undefined;
let page: Page | undefined;

before(async () => {
  if (skip) return;
  chromium = await launchChromium();
  // A blank page; every request is refused and recorded in chromium.blocked (the script is inlined from the file).
  page = await chromium.context.newPage();
  await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body><div id="out"></div></body></html>');
  await page.addScriptTag({ path: MERMAID });
  await page.evaluate(() => (globalThis as unknown as { mermaid: { initialize(c: object): void } }).mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' }));
});

after(async () => {
  await chromium?.close();
});

let renders = 0;
/** Renders with mermaid in Chromium; returns the SVG's text (what a reader sees), or throws mermaid's parse error. */
async function render(text: string): Promise<{ svg: string; texts: string }> {
  const id = `g${++renders}`;
  return page!.evaluate(
    async ({ id, text }) => {
      const m = (globalThis as unknown as { mermaid: { render(id: string, t: string): Promise<{ svg: string }> } }).mermaid;
      const { svg } = await m.render(id, text);
      // The page's DOM (this function runs in Chromium; the Node build has no DOM types).
      const doc = (globalThis as unknown as { document: { getElementById(id: string): { innerHTML: string; textContent: string | null } } }).document;
      const out = doc.getElementById('out')!;
      out.innerHTML = svg;
      return { svg, texts: out.textContent ?? '' };
    },
    { id, text },
  );
}

async function assertRenders(graph: ViewGraph): Promise<string> {
  const { svg, texts } = await render(toMermaid(graph));
  assert.match(svg, /^<svg\b/);
  for (const n of graph.nodes) {
    assert.ok(texts.includes(n.component), `node ${n.key} shown`);
    assert.ok(texts.includes(n.key), `subgraph title ${n.key} shown`);
    for (const r of n.resources) for (const line of r.name.split('\n')) assert.ok(texts.includes(line), `resource ${JSON.stringify(r.name)} of ${n.key} shown`);
  }
  for (const e of graph.edges) assert.ok(texts.includes(e.name), `edge label ${e.name} shown`);
  // one drawn edge per reference plus one per resource link
  const links = graph.edges.length + graph.nodes.reduce((k, n) => k + n.resources.length, 0);
  assert.equal([...svg.matchAll(/<path\b[^>]*class="[^"]*flowchart-link/g)].length, links, 'every edge drawn');
  assert.deepEqual(chromium!.blocked, [], 'no network request');
  return texts;
}

test('mermaid of a signed three-component graph with a tampered resource renders in Chromium with every node, resource and edge', { skip }, async () => {
  const dir = await tempDir('ocm-view-mermaid-');
  try {
    const f = await writeViewFixture(join(dir.path, 'ctf'));
    await f.tamper(VIEW_BASE.component, 'license');
    const repo = await f.open();
    try {
      const g = await buildViewGraph(repo, f.versions[0]!.component, f.versions[0]!.version, { recursive: true, verify: { publicKey: f.publicKey } });
      const texts = await assertRenders(g);
      assert.equal(texts.split('✘ failed').length - 1, 3);
    } finally {
      await repo.close();
    }
  } finally {
    await dir.dispose();
  }
});

test('mermaid escapes quotes, markup, entities, directives, pipes and unicode; every state renders', { skip }, async () => {
  const texts = await assertRenders(trickyViewGraph());
  const t = TRICKY_NAMES;
  for (const want of [t.component, t.resource, t.reference, t.child, `provider: ${t.provider}`, '🚀 ünïcödé']) assert.ok(texts.includes(want), `${JSON.stringify(want)} shown verbatim`);
  for (const state of ['✔ verified', '✘ failed', '– not checked', '– not signed', '✘ not readable']) assert.ok(texts.includes(state), state);
});

test('mermaidLabel: table of escapes', () => {
  const cases: [string | string[], string][] = [
    ['plain name', '"plain name"'],
    ['a "b"', '"a #quot;b#quot;"'],
    ['<b>&', '"#lt;b#gt;#amp;"'],
    ['#1;', '"#35;1#59;"'],
    ['%%{init}%%', '"#37;#37;#123;init#125;#37;#37;"'],
    ['x|y', '"x#124;y"'],
    ['`md`', '"#96;md#96;"'],
    ['two\nlines', '"two<br/>lines"'],
    [['a', 'b'], '"a<br/>b"'],
    ['ü 🚀', '"ü 🚀"'],
  ];
  for (const [input, want] of cases) assert.equal(mermaidLabel(input), want, JSON.stringify(input));
});
