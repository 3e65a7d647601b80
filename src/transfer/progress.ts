/**
 * Progress display for transfers, written to a stream the caller passes (the CLI gives stderr):
 * on a TTY, cli-progress bars per blob plus an overall bar (bytes, rate, ETA); otherwise plain
 * lines. The library itself never prints; this module only renders events it is handed.
 */
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import type CliProgress from 'cli-progress';
import type { OciDescriptor } from '../oci/content/types.js';
import type { PlannedVersion, TransferEvents, TransferPlan, TransferSummary } from './types.js';

export type ProgressMode = 'bars' | 'lines' | 'none';

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  // Byte counts are integers; rates (bytes per second) are not, so whole bytes are rounded.
  return `${i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

const short = (d: OciDescriptor): string => d.digest.slice(7, 19);

export interface ProgressReporter {
  readonly events: TransferEvents;
  stop(): void;
}

/** Events that render progress for `plan` in the given mode. */
export function progressReporter(plan: TransferPlan, out: Writable, mode: ProgressMode): ProgressReporter {
  if (mode === 'none') return { events: {}, stop: () => {} };
  let total = plan.versions.reduce((n, v) => n + v.missingBytes, 0);
  // Blobs checked while copying: totals are upper bounds and shrink by each blob found present.
  const shrinks = plan.blobsCheckedAtCopy === true;
  if (mode === 'lines') return lineReporter(out, total, shrinks);
  // cli-progress (21 CommonJS files) is loaded only when bars are drawn, not for lines, none or dry runs.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const multi = new cliProgress.MultiBar(
    {
      stream: out as NodeJS.WritableStream,
      format: '{what} |{bar}| {percentage}% {done}/{size} {rate} ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      stopOnComplete: false,
      barsize: 24,
      fps: 10,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const t0 = Date.now();
  let moved = 0;
  const rate = (): string => `${formatBytes(moved / Math.max(0.001, (Date.now() - t0) / 1000))}/s`;
  const overall = multi.create(Math.max(total, 1), 0, { what: 'total       ', done: formatBytes(0), size: formatBytes(total), rate: rate() });
  const bars = new Map<string, { bar: CliProgress.SingleBar; n: number }>();
  const update = (): void => overall.update(Math.min(moved, Math.max(total, 1)), { done: formatBytes(moved), rate: rate() });
  return {
    events: {
      onStart(d) {
        if (d.size < 256 * 1024 || bars.has(d.digest)) return;
        bars.set(d.digest, { bar: multi.create(d.size, 0, { what: short(d), done: formatBytes(0), size: formatBytes(d.size), rate: '' }), n: 0 });
      },
      onBytes(d, n) {
        moved += n;
        const b = bars.get(d.digest);
        if (b) {
          b.n += n;
          b.bar.update(Math.min(b.n, d.size), { done: formatBytes(b.n) });
        }
        update();
      },
      onCopy(d) {
        const b = bars.get(d.digest);
        if (b) {
          multi.remove(b.bar);
          bars.delete(d.digest);
        }
      },
      onSkip(d) {
        if (!shrinks) return;
        total -= d.size;
        overall.setTotal(Math.max(total, 1));
        overall.update({ size: formatBytes(total) });
      },
    },
    stop() {
      update();
      multi.stop();
    },
  };
}

function lineReporter(out: Writable, total: number, shrinks: boolean): ProgressReporter {
  let moved = 0;
  let lastPct = -1;
  const t0 = Date.now();
  const line = (s: string): void => void out.write(`${s}\n`);
  return {
    events: {
      onBytes(_d, n) {
        moved += n;
        const pct = total > 0 ? Math.floor((moved / total) * 10) * 10 : 100;
        if (pct !== lastPct && pct < 100 && total > 64 * 1024 * 1024) {
          lastPct = pct;
          const s = (Date.now() - t0) / 1000;
          line(`progress ${pct}% ${formatBytes(moved)}/${formatBytes(total)} ${formatBytes(moved / Math.max(s, 0.001))}/s`);
        }
      },
      onCopy(d) {
        line(`copied  ${d.digest} ${formatBytes(d.size)}`);
      },
      onSkip(d) {
        if (shrinks) total -= d.size;
        line(`present ${d.digest}`);
      },
      onMount(d, from) {
        line(`mounted ${d.digest} from ${from}`);
      },
      onVersion(v: PlannedVersion, state) {
        line(`${state === 'written' ? 'transferred' : 'up to date '} ${v.component}:${v.version}`);
      },
    },
    stop() {},
  };
}

/** The human plan for `--dry-run`. */
export function describePlan(plan: TransferPlan): string {
  const lines: string[] = [];
  let bytes = 0;
  for (const v of plan.versions) {
    bytes += v.missingBytes;
    const what = v.action === 'present' ? 'present at target, skip' : `copy ${v.missingBlobs} blob(s), ${formatBytes(v.missingBytes)} of ${formatBytes(v.totalBytes)}`;
    lines.push(`${v.component}:${v.version}  from ${v.from.description ?? v.from.id}: ${what}`);
    for (const a of v.artifacts) lines.push(`  resource ${a.resource['name']}: ${a.imageReference} -> ${a.uploadAs} ${a.uploadAs === 'ociArtifact' ? String(a.newAccess['imageReference']) : String(a.newAccess['localReference'])}`);
  }
  lines.push(`plan: ${plan.versions.length} component version(s), ${formatBytes(bytes)} to move, target ${plan.target.description ?? plan.target.id}`);
  return `${lines.join('\n')}\n`;
}

/** Machine-readable plan (for `-o json|yaml`). */
export function planDocument(plan: TransferPlan): Record<string, unknown> {
  return {
    target: plan.target.description ?? plan.target.id,
    versions: plan.versions.map((v) => ({
      component: v.component,
      version: v.version,
      source: v.from.description ?? v.from.id,
      action: v.action,
      root: v.targetRoot.digest,
      missingBlobs: v.missingBlobs,
      missingBytes: v.missingBytes,
      totalBytes: v.totalBytes,
      references: v.references,
      artifacts: v.artifacts.map((a) => ({ resource: a.resource, from: a.imageReference, uploadAs: a.uploadAs, access: a.newAccess })),
      ...(v.omitted && v.omitted.size > 0 ? { omitted: v.omitted.size } : {}),
    })),
  };
}

export function describeSummary(s: TransferSummary): string {
  const secs = s.durationMs / 1000;
  return (
    `transferred ${s.versionsWritten} of ${s.versions} component version(s) (${s.components} component(s), ${s.versionsPresent} already present), ` +
    `${s.resources} resource(s), ${s.artifacts} artifact(s) by value; ${s.blobsCopied} blob(s) copied, ${s.blobsSkipped} skipped, ${s.blobsMounted} mounted; ` +
    `${formatBytes(s.bytesMoved)} moved in ${secs.toFixed(1)} s (${formatBytes(s.bytesMoved / Math.max(secs, 0.001))}/s)\n`
  );
}
