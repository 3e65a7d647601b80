import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { MemoryStore } from '../oci/content/memory.js';
import type { OciDescriptor } from '../oci/content/types.js';
import { planTransfer } from './plan.js';
import { describePlan, describeSummary, formatBytes, planDocument, progressReporter } from './progress.js';
import { APP, writeGraph } from '../testing/graph-fixture.js';

async function plan() {
  const source = new MemoryStore();
  await writeGraph(source, { blobSize: 400 * 1024 });
  return planTransfer({ store: source, id: 'mem:s', description: 'source' }, { store: new MemoryStore(), id: 'mem:t', description: 'target' }, { roots: [APP], recursive: true });
}

function capture(tty: boolean): PassThrough & { text(): string } {
  const out = new PassThrough() as PassThrough & { text(): string; isTTY?: boolean; columns?: number };
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  if (tty) Object.assign(out, { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  out.text = () => text;
  return out;
}

test('bars on a terminal: an overall bar and one per large blob, with bytes, rate and ETA', async () => {
  const p = await plan();
  const out = capture(true);
  const r = progressReporter(p, out, 'bars');
  const big: OciDescriptor = { mediaType: 'application/octet-stream', digest: `sha256:${'b'.repeat(64)}`, size: 400 * 1024 };
  r.events.onStart?.(big);
  r.events.onBytes?.(big, 200 * 1024);
  await new Promise((res) => setTimeout(res, 150));
  r.events.onBytes?.(big, 200 * 1024);
  r.events.onCopy?.(big);
  r.stop();
  assert.match(out.text(), /total/);
  assert.match(out.text(), /bbbbbbbbbbbb/);
  assert.match(out.text(), /ETA/);
});

test('lines when not a terminal; none prints nothing; plan and summary texts', async () => {
  const p = await plan();
  const out = capture(false);
  const r = progressReporter(p, out, 'lines');
  const d: OciDescriptor = { mediaType: 'application/octet-stream', digest: `sha256:${'c'.repeat(64)}`, size: 10 };
  r.events.onCopy?.(d);
  r.events.onSkip?.(d);
  r.events.onMount?.(d, 'x/y');
  r.stop();
  assert.equal(out.text(), `copied  ${d.digest} 10 B\npresent ${d.digest}\nmounted ${d.digest} from x/y\n`);
  const none = capture(false);
  progressReporter(p, none, 'none').events.onCopy?.(d);
  assert.equal(none.text(), '');
  assert.match(describePlan(p), /^plan: 3 component version\(s\), [\d.]+ (KiB|MiB) to move, target target$/m);
  assert.deepEqual((planDocument(p)['versions'] as { action: string }[]).map((v) => v.action), ['copy', 'copy', 'copy']);
  const s = describeSummary({ components: 3, versions: 3, versionsWritten: 2, versionsPresent: 1, resources: 5, artifacts: 0, blobsCopied: 4, blobsSkipped: 1, blobsMounted: 0, bytesMoved: 2048, durationMs: 1000 });
  assert.match(s, /transferred 2 of 3 .* 1 already present.* 2\.0 KiB moved in 1\.0 s/);
  assert.equal(formatBytes(1536 * 1024 * 1024), '1.5 GiB');
});

test('blobs checked while copying: totals are upper bounds that shrink by each blob found present', () => {
  const MiB = 1024 * 1024;
  const upper = { versions: [{ missingBytes: 200 * MiB }], blobsCheckedAtCopy: true } as unknown as Awaited<ReturnType<typeof plan>>;
  const out = capture(false);
  const r = progressReporter(upper, out, 'lines');
  const present: OciDescriptor = { mediaType: 'application/octet-stream', digest: `sha256:${'d'.repeat(64)}`, size: 100 * MiB };
  const moving: OciDescriptor = { ...present, digest: `sha256:${'e'.repeat(64)}` };
  r.events.onSkip?.(present);
  r.events.onBytes?.(moving, 60 * MiB);
  r.stop();
  assert.match(out.text(), /^progress 60% 60\.0 MiB\/100\.0 MiB /m);
  // Checked in the plan: a present blob was never in the total, which stays as planned.
  const exact = capture(false);
  const e = progressReporter({ ...upper, blobsCheckedAtCopy: undefined } as typeof upper, exact, 'lines');
  e.events.onSkip?.(present);
  e.events.onBytes?.(moving, 60 * MiB);
  assert.match(exact.text(), /^progress 30% 60\.0 MiB\/200\.0 MiB /m);
});
