/** Runs at most `max` tasks at a time, the rest in call order: the one concurrency bound of the code base. */
import { ErrorCode, OcmError } from '../runtime/errors.js';

export class Limiter {
  readonly #max: number;
  #active = 0;
  readonly #queue: (() => void)[] = [];

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid concurrency ${max}: use an integer >= 1`);
    this.#max = max;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#max) await new Promise<void>((r) => this.#queue.push(r));
    this.#active++;
    try {
      return await fn();
    } finally {
      this.#active--;
      this.#queue.shift()?.();
    }
  }
}
