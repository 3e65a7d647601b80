import { ErrorCode, OcmError } from './errors.js';

/** Waits `ms`; an abort ends the wait at once with ABORTED (`what` names what was waiting). */
export function sleep(ms: number, signal?: AbortSignal, what = 'operation'): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new OcmError(ErrorCode.ABORTED, `${what} aborted`, { cause: signal.reason }));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new OcmError(ErrorCode.ABORTED, `${what} aborted`, { cause: signal?.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Waits `ms` or until `signal` aborts, whichever comes first; never rejects (a loop checks the signal itself). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(ms, signal).catch(() => undefined);
}
