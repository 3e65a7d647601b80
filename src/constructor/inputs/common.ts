/**
 * Helpers shared by the built-in input types: field checks and gzip wrapping. Gzip is applied
 * per `open()`, so a compressed blob stays re-openable and is never held in memory.
 */
import type { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { OpenOptions, ReadOnlyBlob } from '../../blob/blob.js';
import type { TypedSpec } from '../../descriptor/types.js';
import { ValidationError } from '../../runtime/errors.js';
import { describe } from '../rules.js';
import type { InputResult } from '../types.js';

/** `consumerIdentity` of inputs that read only local data (file, dir, utf8, binary). */
export function noCredentials(): undefined {
  return undefined;
}

export function invalid(input: TypedSpec, field: string, message: string): never {
  throw new ValidationError(`input.${field}: ${message} (input type ${input.type})`, { paths: [`input.${field}`] });
}

export function optString(input: TypedSpec, field: string): string | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') invalid(input, field, `must be a non-empty string, got ${describe(v)}`);
  return v;
}

export function reqString(input: TypedSpec, field: string): string {
  const v = optString(input, field);
  if (v === undefined) invalid(input, field, 'is required');
  return v;
}

export function optBool(input: TypedSpec, field: string): boolean {
  const v = input[field];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') invalid(input, field, `must be true or false (unquoted), got ${describe(v)}`);
  return v;
}

export function optStringList(input: TypedSpec, field: string): string[] {
  const v = input[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) invalid(input, field, 'must be a list of strings');
  return v as string[];
}

/** A blob whose every `open()` gzips a fresh stream of `inner`. */
export function gzipBlob(inner: ReadOnlyBlob): ReadOnlyBlob {
  return {
    async open(options?: OpenOptions): Promise<Readable> {
      const src = await inner.open(options);
      const gz = createGzip();
      src.on('error', (e) => gz.destroy(e));
      gz.on('close', () => {
        if (!src.destroyed) src.destroy();
      });
      return src.pipe(gz);
    },
  };
}

/** Applies `compress: true`: gzip and `+gzip` on the media type. */
export function maybeCompress(result: InputResult, compress: boolean): InputResult {
  return compress ? { blob: gzipBlob(result.blob), mediaType: `${result.mediaType}+gzip` } : result;
}
