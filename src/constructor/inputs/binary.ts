/** `Binary/v1` (alias `binary`): inline base64 `data`, for small payloads written into the constructor. */
import { bytesBlob } from '../../blob/blob.js';
import type { TypedSpec } from '../../descriptor/types.js';
import type { InputMethod, InputResult } from '../types.js';
import { invalid, maybeCompress, optBool, optString, noCredentials } from './common.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decode(input: TypedSpec): Buffer {
  const data = input.data;
  if (typeof data !== 'string') invalid(input, 'data', 'is required: base64-encoded bytes');
  const compact = data.replace(/\s+/g, '');
  if (!BASE64.test(compact)) invalid(input, 'data', 'is not valid base64');
  return Buffer.from(compact, 'base64');
}

export const binaryInput: InputMethod = {
  consumerIdentity: noCredentials,
  async check(input) {
    decode(input);
    optString(input, 'mediaType');
    optBool(input, 'compress');
  },
  async process(input): Promise<InputResult> {
    const mediaType = optString(input, 'mediaType') ?? 'application/octet-stream';
    return maybeCompress({ blob: bytesBlob(decode(input), mediaType), mediaType }, optBool(input, 'compress'));
  },
};
