/**
 * RFC 8785 JSON Canonicalisation Scheme for the value shapes a normalised descriptor holds
 * (objects, arrays, strings, numbers, booleans, null). Object keys sort by UTF-16 code units,
 * which is JavaScript's default string order; scalars use `JSON.stringify` (ES6 number format,
 * minimal escaping), exactly what RFC 8785 prescribes. No whitespace, no trailing newline.
 */
import { ErrorCode, OcmError } from '../../runtime/errors.js';

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [k: string]: JsonValue };

export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts);
  return parts.join('');
}

function write(v: unknown, out: string[]): void {
  if (v === null) {
    out.push('null');
    return;
  }
  switch (typeof v) {
    case 'string':
    case 'boolean':
      out.push(JSON.stringify(v));
      return;
    case 'number':
      if (!Number.isFinite(v)) throw new OcmError(ErrorCode.VALIDATION_FAILED, `cannot canonicalise the number ${v}: JSON has no NaN or Infinity`);
      out.push(JSON.stringify(v));
      return;
    case 'object':
      break;
    default:
      throw new OcmError(ErrorCode.VALIDATION_FAILED, `cannot canonicalise a value of type ${typeof v}`);
  }
  if (Array.isArray(v)) {
    out.push('[');
    v.forEach((e, i) => {
      if (i > 0) out.push(',');
      write(e === undefined ? null : e, out);
    });
    out.push(']');
    return;
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  out.push('{');
  keys.forEach((k, i) => {
    if (i > 0) out.push(',');
    out.push(JSON.stringify(k), ':');
    write(obj[k], out);
  });
  out.push('}');
}
