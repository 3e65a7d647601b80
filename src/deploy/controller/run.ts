/**
 * The controller loop: every entry reconciles on its own interval; after an error it retries
 * sooner, with exponential backoff bounded by the interval. Status is written (atomically) after
 * every reconcile. Aborting the signal (SIGTERM in the CLI) stops every loop between steps or
 * inside the running operation; `runController` then returns.
 */
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { ControllerConfig, ControllerEntry } from './config.js';
import { reconcileEntry, type ControllerDeps, type EntryState } from './reconcile.js';
import { newEntryStatus, readStatusFile, writeStatusFile, type ControllerStatus, type EntryStatus } from './status.js';
import { pause } from '../../runtime/sleep.js';

export interface RunControllerOptions {
  /** Reconcile every entry once and return. */
  readonly once?: boolean;
  readonly statusFile?: string;
  /** First retry delay after an error (default 1 s); doubles per failure, at most the interval. */
  readonly backoffBaseMs?: number;
  /** Called after every reconcile with the current status (e.g. for /metrics). */
  readonly onStatus?: (status: ControllerStatus) => void;
  readonly signal?: AbortSignal;
}

export interface RunControllerResult {
  readonly status: ControllerStatus;
  /** Names of entries whose last reconcile was not ok. */
  readonly failed: readonly string[];
}

/** Retry delay after `failures` consecutive errors. */
export function backoffDelay(failures: number, baseMs: number, intervalMs: number): number {
  return Math.min(intervalMs, baseMs * 2 ** Math.min(failures - 1, 30));
}

/** The status object the run starts from: a previous status file's entries carry over (applied version, events). */
export async function initialStatus(config: ControllerConfig, statusFile?: string): Promise<ControllerStatus> {
  const previous = statusFile ? await readStatusFile(statusFile) : undefined;
  const entries = config.entries.map((e): EntryStatus => {
    const old = previous?.entries.find((p) => p.name === e.name && p.component === e.component);
    return old ? { ...newEntryStatus(e.name, e.component), ...old } : newEntryStatus(e.name, e.component);
  });
  return { apiVersion: 'controller.ocm.software/v1alpha1', kind: 'ControllerStatus', updated: new Date().toISOString(), entries };
}

export async function runController(config: ControllerConfig, deps: ControllerDeps, options: RunControllerOptions = {}): Promise<RunControllerResult> {
  const status = await initialStatus(config, options.statusFile);
  const signal = options.signal;
  const states = new Map<string, EntryState>(config.entries.map((e, i) => [e.name, { status: status.entries[i]! }]));
  const lastOk = new Map<string, boolean>();
  let writing: Promise<void> = Promise.resolve();
  let writeError: unknown;
  const publish = (): Promise<void> => {
    status.updated = new Date().toISOString();
    options.onStatus?.(status);
    if (!options.statusFile) return Promise.resolve();
    const file = options.statusFile;
    // Serialised: two entries finishing together must not race on the rename.
    writing = writing.then(() => writeStatusFile(file, status)).catch((e) => {
      writeError ??= e;
    });
    return writing;
  };
  options.onStatus?.(status);

  const once = async (entry: ControllerEntry): Promise<boolean> => {
    const r = await reconcileEntry(entry, states.get(entry.name)!, deps, signal ? { signal } : {});
    lastOk.set(entry.name, r.ok);
    await publish();
    return r.error === undefined;
  };

  if (options.once) {
    await Promise.all(config.entries.map((e) => once(e)));
  } else {
    const base = options.backoffBaseMs ?? 1000;
    await Promise.all(
      config.entries.map(async (entry) => {
        let failures = 0;
        while (!signal?.aborted) {
          const healthy = await once(entry);
          failures = healthy ? 0 : failures + 1;
          await pause(healthy ? entry.intervalMs : backoffDelay(failures, base, entry.intervalMs), signal);
        }
      }),
    );
  }
  await writing;
  if (writeError) throw writeError;
  if (signal?.aborted && !options.once) {
    // A clean stop: the loops ended between or inside reconciles; status is written.
  } else if (signal?.aborted) {
    throw new OcmError(ErrorCode.ABORTED, 'controller run aborted');
  }
  return { status, failed: config.entries.filter((e) => lastOk.get(e.name) !== true).map((e) => e.name) };
}

