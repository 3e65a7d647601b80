import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from '../testing/fixtures.js';
import { TRICKY_NAMES, VIEW_BASE, trickyViewGraph, writeViewFixture } from '../testing/view-fixture.js';
import { toDot } from './dot.js';
import { buildViewGraph } from './graph.js';
import type { ViewGraph } from './model.js';

const hasDot = spawnSync('dot', ['-V'], { stdio: 'ignore' }).status === 0;
const skip = hasDot ? false : 'Graphviz `dot` is not installed (Debian package graphviz)';

/** Runs the real `dot -Tsvg`, stopping it (by PID) if the test ends first. */
async function renderSvg(dot: string): Promise<{ svg: string; stderr: string; code: number | null }> {
  const child = spawn('dot', ['-Tsvg'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    let svg = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (svg += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const done = new Promise<number | null>((res, rej) => {
      child.on('error', rej);
      child.on('close', res);
    });
    child.stdin.end(dot);
    const code = await done;
    return { svg, stderr, code };
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Every text run of the SVG, XML entities decoded. */
function svgTexts(svg: string): string[] {
  const decode = (s: string) =>
    s
      .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
      .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => decode(m[1]!));
}

async function assertRenders(graph: ViewGraph): Promise<string[]> {
  const { svg, stderr, code } = await renderSvg(toDot(graph));
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '', 'no Graphviz warnings');
  assert.match(svg, /<svg\b/);
  const texts = svgTexts(svg);
  const titles = [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]!.replace(/&#45;/g, '-').replace(/&gt;/g, '>'));
  graph.nodes.forEach((n, i) => {
    assert.ok(texts.includes(n.component), `node ${n.key} shown`);
    assert.ok(texts.includes(n.version), `version of ${n.key} shown`);
    assert.ok(titles.includes(`n${i}`), `node n${i} drawn`);
    for (const r of n.resources) assert.ok(texts.some((t) => t.startsWith(r.name.split('\n')[0]!)), `resource ${r.name} of ${n.key} shown`);
  });
  for (const e of graph.edges) {
    const from = graph.nodes.findIndex((n) => n.key === e.from);
    const to = graph.nodes.findIndex((n) => n.key === e.to);
    assert.ok(titles.includes(`n${from}->n${to}`), `edge ${e.from} -> ${e.to} drawn`);
    assert.ok(texts.includes(e.name), `edge label ${e.name} shown`);
  }
  return texts;
}

test('DOT of a signed three-component graph with a tampered resource is accepted by Graphviz and shows every node, resource, edge and state', { skip }, async () => {
  const dir = await tempDir('ocm-view-dot-');
  try {
    const f = await writeViewFixture(join(dir.path, 'ctf'));
    await f.tamper(VIEW_BASE.component, 'certs');
    const repo = await f.open();
    try {
      const g = await buildViewGraph(repo, f.versions[0]!.component, f.versions[0]!.version, { recursive: true, verify: { publicKey: f.publicKey } });
      const texts = await assertRenders(g);
      assert.equal(texts.filter((t) => t === '✘ failed').length, 3);
      const dot = toDot(g);
      assert.match(dot, /subgraph cluster_0 \{/);
      assert.match(dot, /tooltip="acme: resource \\"certs\\" of acme.org\/view\/base/);
    } finally {
      await repo.close();
    }
  } finally {
    await dir.dispose();
  }
});

test('DOT escapes quotes, backslashes, newlines, markup and unicode; every state renders', { skip }, async () => {
  const g = trickyViewGraph();
  const texts = await assertRenders(g);
  const t = TRICKY_NAMES;
  for (const want of [t.component, `${t.resource} (blob)`, 'zwei', 'zeilen | [a] {b} 🚀 ünïcödé (blob)', t.reference, t.child, `provider: ${t.provider}`]) {
    assert.ok(texts.includes(want), `${JSON.stringify(want)} shown verbatim`);
  }
  for (const state of ['✔ verified', '✘ failed', '– not checked', '– not signed', '✘ not readable']) assert.ok(texts.includes(state), state);
});

test('dotString: table of escapes', async () => {
  const { dotString } = await import('./dot.js');
  const cases: [string | string[], string][] = [
    ['plain', '"plain"'],
    ['a "b"', '"a \\"b\\""'],
    ['back\\slash', '"back\\\\slash"'],
    ['two\nlines', '"two\\nlines"'],
    ['cr\r\nlf', '"cr\\nlf"'],
    [['a', 'b'], '"a\\nb"'],
    ['bell\u0007', '"bell "'],
    ['<html> & ü', '"<html> & ü"'],
  ];
  for (const [input, want] of cases) assert.equal(dotString(input), want, JSON.stringify(input));
});
