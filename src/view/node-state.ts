/** What the DOT and mermaid renderers show per component version: one state, a glyph and a word. */
import type { ViewArtifact, ViewNode } from './model.js';

export type NodeState = 'verified' | 'failed' | 'not-checked' | 'unsigned' | 'error';

/** Any failed signature fails the node; else any verified one verifies it. */
export function nodeState(n: ViewNode): NodeState {
  if (n.error !== undefined) return 'error';
  if (n.signatures.length === 0) return 'unsigned';
  if (n.signatures.some((s) => s.state === 'failed')) return 'failed';
  if (n.signatures.some((s) => s.state === 'verified')) return 'verified';
  return 'not-checked';
}

export const STATE_TEXT: Readonly<Record<NodeState, string>> = {
  verified: '✔ verified',
  failed: '✘ failed',
  'not-checked': '– not checked',
  unsigned: '– not signed',
  error: '✘ not readable',
};

/** Why a node is failed or not readable, for tooltips (one line). */
export function stateDetail(n: ViewNode): string | undefined {
  if (n.error !== undefined) return n.error;
  const failed = n.signatures.filter((s) => s.state === 'failed');
  return failed.length > 0 ? failed.map((s) => `${s.name}: ${s.detail ?? 'failed'}`).join('; ') : undefined;
}

/** `name[:version] (type)` and a short digest: enough to tell resources apart in a picture. */
export function artifactLines(a: ViewArtifact): string[] {
  const head = `${a.name}${a.version ? ` ${a.version}` : ''} (${a.type})`;
  const d = a.digest;
  if (!d || d.hashAlgorithm === 'NO-DIGEST') return [head];
  return [head, `${d.hashAlgorithm.toLowerCase().replace('-', '')}:${d.value.slice(0, 12)}…`];
}
