/**
 * The generic "entry" normalisation format of `jsonNormalisation/v1` (Go v1
 * `api/tech/signing/norm/entry`): every object becomes an array of single-key objects sorted by
 * key, recursively; arrays keep their order; scalars are JSON as Go's `encoding/json` writes
 * them, i.e. with HTML escaping (`<`, `>`, `&`, U+2028, U+2029 as `\uXXXX`).
 */
import { ErrorCode, OcmError } from '../../runtime/errors.js';

export function entryFormat(value: unknown): string {
  const out: string[] = [];
  write(value, out);
  return out.join('');
}

const HTML_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** A JSON string literal as Go's encoder writes it with HTML escaping on. */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => HTML_ESCAPES[c]!);
}

function write(v: unknown, out: string[]): void {
  if (v === null || v === undefined) {
    out.push('null');
    return;
  }
  switch (typeof v) {
    case 'string':
      out.push(goJsonString(v));
      return;
    case 'boolean':
      out.push(v ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(v)) throw new OcmError(ErrorCode.VALIDATION_FAILED, `cannot normalise the number ${v}`);
      // Go formats float64 like ES6 for the ranges that occur in label values.
      out.push(JSON.stringify(v));
      return;
    case 'object':
      break;
    default:
      throw new OcmError(ErrorCode.VALIDATION_FAILED, `cannot normalise a value of type ${typeof v}`);
  }
  out.push('[');
  if (Array.isArray(v)) {
    v.forEach((e, i) => {
      if (i > 0) out.push(',');
      write(e, out);
    });
  } else {
    const obj = v as Record<string, unknown>;
    // Go sorts map keys bytewise (UTF-8); for the ASCII keys of descriptors that equals JS order.
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort(compareUtf8);
    keys.forEach((k, i) => {
      if (i > 0) out.push(',');
      out.push('{', goJsonString(k), ':');
      write(obj[k], out);
      out.push('}');
    });
  }
  out.push(']');
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
