/**
 * Live reconfiguration of the proxy: a `ProxyStateSource` whose snapshot is replaced on `reload()`
 * (the CLI calls it on SIGHUP) and when a watched file changes (fs.watch + debounce). A reload
 * loads and validates everything first and swaps one reference at the end, so a broken new config
 * never half-applies: the old snapshot stays and the error goes to `onError`. Requests in flight
 * hold the snapshot they started with.
 *
 * Directories are watched, not files: editors and Kubernetes (`..data` symlink swaps) replace
 * files by rename, which a watch on the file itself would lose.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Session } from '../session/session.js';
import type { ProxyState, ProxyStateSource } from './types.js';

/** What one load produces: the state, the files to watch, and anything else to swap with it (a session). */
export interface ProxySnapshot {
  readonly state: ProxyState;
  readonly files: readonly string[];
}

export interface ReloadingOptions<T extends ProxySnapshot> {
  /** Loads and validates a complete new snapshot; throws on a broken config. */
  load(signal?: AbortSignal): Promise<T>;
  /** Called after a new snapshot was applied. */
  onReload?(snapshot: T, cause: 'signal' | 'change'): void;
  /** Called when a reload failed; the previous snapshot stays in effect. */
  onError?(error: unknown): void;
  /** Watch the snapshot's files and reload on change (default true). */
  watch?: boolean;
  /** Quiet time after the last file event before reloading (default 200 ms). */
  debounceMs?: number;
  signal?: AbortSignal;
}

export interface ReloadingStateSource<T extends ProxySnapshot> extends ProxyStateSource {
  /** The whole current snapshot (state plus what was loaded with it). */
  snapshot(): T;
  /** Loads again; resolves true when applied, false when the new config was rejected (old one kept). */
  reload(cause?: 'signal' | 'change'): Promise<boolean>;
  /** Stops watching. */
  close(): void;
}

/** Loads the first snapshot (errors propagate: nothing to fall back to) and keeps it current. */
export async function createReloadingStateSource<T extends ProxySnapshot>(options: ReloadingOptions<T>): Promise<ReloadingStateSource<T>> {
  let current = await options.load(options.signal);
  let watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<boolean> = Promise.resolve(true);
  let closed = false;
  const debounce = options.debounceMs ?? 200;

  const rewatch = (files: readonly string[]) => {
    for (const w of watchers) w.close();
    watchers = [];
    if (options.watch === false || closed) return;
    const byDir = new Map<string, Set<string>>();
    for (const f of files) {
      const d = dirname(f);
      if (!byDir.has(d)) byDir.set(d, new Set());
      byDir.get(d)!.add(basename(f));
    }
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          const n = name?.toString();
          // `..data` & co.: Kubernetes' atomic writer swaps a symlink for ConfigMap/Secret updates.
          if (n === undefined || names.has(n) || n.startsWith('..')) schedule();
        });
        w.on('error', () => undefined); // a vanished directory: SIGHUP still works
        watchers.push(w);
      } catch {
        /* not watchable (gone, permissions): SIGHUP still reloads */
      }
    }
  };

  const schedule = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void reload('change');
    }, debounce);
    timer.unref();
  };

  const reload = (cause: 'signal' | 'change' = 'signal'): Promise<boolean> => {
    // One reload at a time, in order: a slow load never overwrites a newer one.
    chain = chain.then(async () => {
      if (closed) return false;
      let next: T;
      try {
        next = await options.load(options.signal);
      } catch (e) {
        options.onError?.(e);
        return false;
      }
      if (closed) return false;
      current = next;
      rewatch(next.files);
      options.onReload?.(next, cause);
      return true;
    });
    return chain;
  };

  const close = () => {
    closed = true;
    if (timer) clearTimeout(timer);
    for (const w of watchers) w.close();
    watchers = [];
  };
  options.signal?.addEventListener('abort', close, { once: true });
  rewatch(current.files);

  return {
    current: () => current.state,
    snapshot: () => current,
    reload,
    close,
  };
}

/**
 * A session that forwards to whatever session `get()` returns now, so credentials reloaded with
 * the config (rotation) apply from the next lookup while a lookup in flight finishes on the old one.
 */
export function delegatingSession(get: () => Session): Session {
  const first = get();
  return {
    signal: first.signal,
    logger: first.logger,
    env: first.env,
    types: first.types,
    config: () => get().config(),
    credentialGraph: () => get().credentialGraph(),
    credentials: { resolve: (identity, options) => get().credentials.resolve(identity, options) },
  };
}
