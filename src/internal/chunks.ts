/**
 * Chunk-by-chunk iteration of a Readable. `for await` over a Readable calls `read()` in paused
 * mode, which concatenates everything buffered into one new Buffer — a copy of every byte when a
 * fast producer is ahead of the consumer. This iterator hands over the producer's own chunks.
 */
import { Readable } from 'node:stream';

const HIGH_WATER = 2;

/** Iterates `source` chunk by chunk; for a Readable without copying, with bounded buffering. */
export function chunksOf(source: Readable | AsyncIterable<Uint8Array>): AsyncIterator<Uint8Array> {
  if (!(source instanceof Readable) || source.readableObjectMode) return (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const queue: Uint8Array[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (c: Uint8Array) => {
    queue.push(c);
    if (queue.length >= HIGH_WATER) source.pause();
    signal();
  };
  const onEnd = () => {
    ended = true;
    signal();
  };
  const onError = (e: unknown) => {
    failure = e;
    signal();
  };
  const onClose = () => {
    // closed without 'end' (destroyed): report it, unless the end or an error came first
    if (!ended && failure === undefined) failure = Object.assign(new Error('stream closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    signal();
  };
  const detach = () => {
    source.off('data', onData);
    source.off('end', onEnd);
    source.off('error', onError);
    source.off('close', onClose);
  };
  if (source.readableEnded) ended = true;
  else if (source.destroyed) failure = source.errored ?? Object.assign(new Error('stream destroyed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
  source.on('data', onData);
  source.once('end', onEnd);
  source.on('error', onError);
  source.once('close', onClose);
  return {
    async next(): Promise<IteratorResult<Uint8Array>> {
      for (;;) {
        const c = queue.shift();
        if (c) {
          if (queue.length < HIGH_WATER && source.isPaused() && !ended) source.resume();
          return { value: c, done: false };
        }
        if (failure !== undefined) {
          detach();
          throw failure;
        }
        if (ended) {
          detach();
          return { value: undefined, done: true };
        }
        if (source.isPaused()) source.resume();
        await new Promise<void>((r) => (wake = r));
      }
    },
    async return(): Promise<IteratorResult<Uint8Array>> {
      detach();
      if (!ended) source.destroy();
      return { value: undefined, done: true };
    },
  };
}
