/**
 * Generic graph copy between two `Target`s (oras-go `Copy` style): a manifest or index is copied
 * after all of its successors, so the target never holds a manifest whose content is missing,
 * which makes a rerun after any interruption both correct and cheap (an existing manifest means
 * its whole subtree is present). Blobs stream source → target through a digest+size check; only
 * leaf operations take a concurrency slot, so nested manifests cannot deadlock the limiter.
 */
import { setMaxListeners } from 'node:events';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { Limits, readAllBounded, verifying } from '../../digest/digest.js';
import { parseJsonBounded } from '../../internal/bounded-parse.js';
import { ErrorCode, OcmError, isOcmError, throwIfAborted } from '../../runtime/errors.js';
import { isIndexMediaType, isManifestMediaType } from './media-types.js';
import type { ImageIndex, ImageManifest, OciDescriptor, OpOptions, ReadOnlyStorage, Storage, Target } from './types.js';
import { isMounter, isPresentOrPush } from './types.js';
import { Limiter } from '../../internal/limiter.js';

export { Limiter };

export type Side = 'source' | 'target';

/** Observers of a copy; all optional and synchronous (keep them cheap). */
export interface CopyHooks {
  /** A blob or manifest starts streaming to the target. */
  onStart?(desc: OciDescriptor): void;
  /** Bytes of `desc` that just went through (progress). */
  onBytes?(desc: OciDescriptor, bytes: number): void;
  /** `desc` was copied (after verification). */
  onCopy?(desc: OciDescriptor): void;
  /** The target already had `desc` (for a manifest: its whole subtree). */
  onSkip?(desc: OciDescriptor): void;
  /** `desc` was mounted from another repository of the same store. */
  onMount?(desc: OciDescriptor, fromRepository: string): void;
}

export interface CopyOptions extends OpOptions, CopyHooks {
  /** Parallel leaf operations when no `limiter` is shared. Default 4. */
  readonly concurrency?: number;
  /** Shared across several copies to bound a whole transfer. */
  readonly limiter?: Limiter;
  /** Source repository name to mount from, when source and target are repositories of one store. */
  readonly mountFrom?: string;
  /** Check the target first and skip what it has (default true). */
  readonly skipExisting?: boolean;
  /** Attempts per blob on transient failures (network, 5xx, truncated stream). Default 3. */
  readonly attempts?: number;
  /** Shared across copies into the same target so one blob is copied once. */
  readonly inflight?: Map<string, Promise<void>>;
  /**
   * Ask the source to verify blobs as well. By default (false) a blob is fetched unverified, its
   * size enforced on the way, and its digest checked once, by the target: every `Pusher` verifies
   * digest and size before it makes content visible (a registry on the closing request, a CTF
   * before the rename), so one SHA-256 pass per blob is saved without accepting bad content.
   */
  readonly verify?: boolean;
  /** Digests a prior check (a plan) found missing at the target: not asked again. */
  readonly knownMissing?: ReadonlySet<string>;
}

/**
 * Hints a graph copy gives to `push` beyond `OpOptions`; stores that do not know them ignore them.
 * `existenceChecked`: the copy has just asked `exists` (or a plan did), so `push` need not ask again.
 */
export interface PushOptions extends OpOptions {
  readonly existenceChecked?: boolean;
}

/** Annotates an error with the side it happened on, keeping its code (NOT_FOUND, UNAUTHORIZED...). */
export function sideError(side: Side, what: string, e: unknown): OcmError {
  if (isOcmError(e) && e.details['side'] !== undefined) return e;
  const code = isOcmError(e) ? e.code : ErrorCode.TRANSFER_ERROR;
  const msg = e instanceof Error ? e.message : String(e);
  return new OcmError(code, `${side} ${what}: ${msg}`, { cause: e, details: { ...(isOcmError(e) ? e.details : {}), side } });
}

const TRANSIENT: readonly string[] = [ErrorCode.NETWORK_ERROR, ErrorCode.REGISTRY_ERROR, ErrorCode.DIGEST_MISMATCH, ErrorCode.TRANSFER_ERROR];

/** Direct successors of a manifest or index (config and layers, or child manifests). */
export function successors(desc: OciDescriptor, bytes: Uint8Array): OciDescriptor[] {
  const doc = parseJsonBounded(Buffer.from(bytes).toString('utf8'), { what: `manifest ${desc.digest}`, maxBytes: Limits.manifest, allowBom: false });
  if (isIndexMediaType(desc.mediaType)) return [...((doc as ImageIndex).manifests ?? [])];
  const m = doc as ImageManifest;
  if (!m.config) throw new OcmError(ErrorCode.PARSE_ERROR, `manifest ${desc.digest} has no config`);
  return [m.config, ...(m.layers ?? [])];
}

/** Fetches a manifest/index with a size bound and digest check. */
export async function fetchManifest(src: ReadOnlyStorage, desc: OciDescriptor, options: OpOptions = {}): Promise<Buffer> {
  const limit = isIndexMediaType(desc.mediaType) ? Limits.index : Limits.manifest;
  if (desc.size > limit) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `manifest ${desc.digest} is ${desc.size} bytes, over the limit of ${limit}`);
  const s = await src.fetch(desc, options);
  const check = verifying({ digest: desc.digest, size: desc.size, what: `manifest ${desc.digest}` });
  pipeline(s, check, () => {}); // errors surface through `check`
  return readAllBounded(check, limit, `manifest ${desc.digest}`);
}

/**
 * Copies the graph rooted at `root` from `src` to `dst`: successors first, the root last.
 * Tagging is left to the caller (see `copyReference`), so the tag can be the very last write.
 */
export async function copyGraph(src: ReadOnlyStorage, dst: Storage, root: OciDescriptor, options: CopyOptions = {}): Promise<void> {
  const inner = new AbortController();
  const onOuter = (): void => inner.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuter, { once: true });
  const signal = options.signal ? AbortSignal.any([options.signal, inner.signal]) : inner.signal;
  setMaxListeners(0, signal); // every in-flight request listens; the count is bounded by the limiter
  const ctx: Ctx = {
    src,
    dst,
    opts: options,
    signal,
    limiter: options.limiter ?? new Limiter(options.concurrency ?? 4),
    inflight: options.inflight ?? new Map(),
  };
  try {
    await node(ctx, root);
  } catch (e) {
    inner.abort(e);
    throw e;
  } finally {
    options.signal?.removeEventListener('abort', onOuter);
  }
}

/** Resolves `srcRef` in `src`, copies its graph and then tags it as `dstTag` (default: the same tag). */
export async function copyReference(
  src: Target,
  srcRef: string,
  dst: Target,
  dstTag: string | undefined,
  options: CopyOptions = {},
): Promise<OciDescriptor> {
  let root: OciDescriptor;
  try {
    root = await src.resolve(srcRef, options);
  } catch (e) {
    throw sideError('source', `resolve ${srcRef}`, e);
  }
  await copyGraph(src, dst, root, options);
  const tag = dstTag ?? (srcRef.includes(':') ? undefined : srcRef);
  if (tag) {
    try {
      await dst.tag(root, tag, options);
    } catch (e) {
      throw sideError('target', `tag ${tag}`, e);
    }
  }
  return root;
}

interface Ctx {
  readonly src: ReadOnlyStorage;
  readonly dst: Storage;
  readonly opts: CopyOptions;
  readonly signal: AbortSignal;
  readonly limiter: Limiter;
  readonly inflight: Map<string, Promise<void>>;
}

function node(ctx: Ctx, desc: OciDescriptor): Promise<void> {
  const key = desc.digest;
  let p = ctx.inflight.get(key);
  if (!p) {
    p = isManifestMediaType(desc.mediaType) ? manifest(ctx, desc) : blob(ctx, desc);
    ctx.inflight.set(key, p);
    // a failed copy may be retried by a later call sharing the map
    p.catch(() => ctx.inflight.get(key) === p && ctx.inflight.delete(key));
  }
  return p;
}

async function exists(ctx: Ctx, desc: OciDescriptor): Promise<boolean> {
  if (ctx.opts.skipExisting === false || ctx.opts.knownMissing?.has(desc.digest)) return false;
  try {
    return await ctx.dst.exists(desc, { signal: ctx.signal });
  } catch (e) {
    throw sideError('target', `check ${desc.digest}`, e);
  }
}

async function manifest(ctx: Ctx, desc: OciDescriptor): Promise<void> {
  throwIfAborted(ctx.signal);
  if (await exists(ctx, desc)) {
    ctx.opts.onSkip?.(desc);
    return;
  }
  let bytes: Buffer;
  try {
    bytes = await fetchManifest(ctx.src, desc, { signal: ctx.signal });
  } catch (e) {
    throw sideError('source', `manifest ${desc.digest}`, e);
  }
  const children = successors(desc, bytes);
  await Promise.all(children.map((c) => node(ctx, c)));
  ctx.opts.onStart?.(desc);
  try {
    await ctx.dst.push(desc, Readable.from([bytes]), { signal: ctx.signal, existenceChecked: ctx.opts.skipExisting !== false } as PushOptions);
  } catch (e) {
    throw sideError('target', `manifest ${desc.digest}`, e);
  }
  ctx.opts.onBytes?.(desc, bytes.length);
  ctx.opts.onCopy?.(desc);
}

async function blob(ctx: Ctx, desc: OciDescriptor): Promise<void> {
  await ctx.limiter.run(async () => {
    throwIfAborted(ctx.signal);
    const from = ctx.opts.mountFrom;
    // A target that can ask and start the upload in one request is not asked separately first.
    const unlessPresent = from === undefined && ctx.opts.skipExisting !== false && !ctx.opts.knownMissing?.has(desc.digest) && isPresentOrPush(ctx.dst);
    if (!unlessPresent && (await exists(ctx, desc))) {
      ctx.opts.onSkip?.(desc);
      return;
    }
    if (from !== undefined && isMounter(ctx.dst)) {
      let mounted = false;
      try {
        mounted = await ctx.dst.mount(desc, from, { signal: ctx.signal });
      } catch {
        mounted = false; // a refused mount is not an error: fall back to copying
      }
      if (mounted) {
        ctx.opts.onMount?.(desc, from);
        return;
      }
    }
    const attempts = Math.max(1, ctx.opts.attempts ?? 3);
    let verifySource = ctx.opts.verify === true;
    for (let i = 1; ; i++) {
      try {
        if ((await streamBlob(ctx, desc, verifySource, unlessPresent)) === 'present') ctx.opts.onSkip?.(desc);
        else ctx.opts.onCopy?.(desc);
        return;
      } catch (e) {
        if (i >= attempts || ctx.signal.aborted || !isOcmError(e) || !TRANSIENT.includes(e.code)) throw e;
        // The target refused the bytes: read them verified next time, so a corrupt source is named as such.
        if (e.code === ErrorCode.DIGEST_MISMATCH) verifySource = true;
        await new Promise((r) => setTimeout(r, 200 * 2 ** (i - 1)));
        throwIfAborted(ctx.signal);
      }
    }
  });
}

/**
 * One verified stream source → target. The source's GET and the target's upload start together
 * (the target opens its upload session while the source answers), so a blob costs one round trip
 * less on each side's latency; with `unlessPresent` the source is read only once the target has
 * said it lacks the blob. Errors name the side they came from.
 */
async function streamBlob(ctx: Ctx, desc: OciDescriptor, verifySource: boolean, unlessPresent: boolean): Promise<'present' | 'pushed'> {
  const report = (n: number): void => ctx.opts.onBytes?.(desc, n);
  const what = `blob ${desc.digest}`;
  const check = new SizeCheck(desc.size, what, report);
  // The upload may not be reading yet when the source fails: the error is kept for it, not thrown.
  check.on('error', () => undefined);
  let sourceError: unknown;
  let source: Readable | undefined;
  let opened: Promise<void> | undefined;
  const open = (): Promise<void> => (opened ??= ctx.src.fetch(desc, { signal: ctx.signal, unverified: !verifySource }).then(
    (s) => {
      source = s;
      ctx.opts.onStart?.(desc);
      // pipe + explicit error wiring rather than stream.pipeline, which builds an AbortError
      // (a DOMException with a stack trace) for every blob when it finishes.
      s.on('error', (err) => {
        sourceError ??= err;
        check.destroy(err);
      });
      check.on('error', (err) => {
        sourceError ??= err; // size check: the source sent more or fewer bytes than described
        s.destroy();
      });
      s.pipe(check);
    },
    (e: unknown) => {
      sourceError = e;
      check.destroy(e instanceof Error ? e : new Error(String(e)));
    },
  ));
  let result: 'present' | 'pushed' = 'pushed';
  try {
    if (unlessPresent && isPresentOrPush(ctx.dst)) {
      // Read from the source only when the target starts reading the content (it lacks the blob).
      const lazy = (async function* () {
        await open();
        yield* check;
      })();
      result = await ctx.dst.pushUnlessPresent(desc, lazy, { signal: ctx.signal });
    } else {
      void open();
      const hints: PushOptions = { signal: ctx.signal, existenceChecked: ctx.opts.skipExisting !== false };
      await ctx.dst.push(desc, check, hints);
    }
  } catch (e) {
    await opened;
    const fromSource = sourceError; // before our own destroy below adds a premature-close error
    source?.destroy();
    check.destroy();
    if (fromSource !== undefined) throw sideError('source', `blob ${desc.digest}`, fromSource);
    throw sideError('target', `blob ${desc.digest}`, e);
  }
  await opened;
  if (sourceError !== undefined) throw sideError('source', `blob ${desc.digest}`, sourceError);
  return result;
}

/** Size enforcement and progress without hashing (the target verifies the digest). */
class SizeCheck extends Transform {
  readonly #size: number;
  readonly #what: string;
  readonly #report: (n: number) => void;
  #seen = 0;
  constructor(size: number, what: string, report: (n: number) => void) {
    super();
    this.#size = size;
    this.#what = what;
    this.#report = report;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#size) {
      cb(new OcmError(ErrorCode.DIGEST_MISMATCH, `${this.#what}: size mismatch: got more than the expected ${this.#size} bytes`));
      return;
    }
    this.#report(chunk.length);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.#seen !== this.#size) cb(new OcmError(ErrorCode.DIGEST_MISMATCH, `${this.#what}: size mismatch: got ${this.#seen} bytes, expected ${this.#size}`));
    else cb();
  }
}
