/**
 * `File/v1` (aliases `File`, `file`, `file/v1`): one file, relative to the constructor's
 * directory, optionally gzipped. The file is streamed, never read into memory.
 */
import { stat } from 'node:fs/promises';
import { fileBlob } from '../../blob/blob.js';
import type { TypedSpec } from '../../descriptor/types.js';
import { ErrorCode, OcmError, fromFsError } from '../../runtime/errors.js';
import { resolveInside } from '../paths.js';
import type { InputContext, InputMethod, InputResult } from '../types.js';
import { maybeCompress, optBool, optString, reqString, noCredentials } from './common.js';

const DEFAULT_MEDIA_TYPE = 'application/octet-stream';

async function resolveFile(input: TypedSpec, ctx: InputContext): Promise<string> {
  const path = reqString(input, 'path');
  const real = await resolveInside(ctx.baseDir, path);
  let s;
  try {
    s = await stat(real);
  } catch (e) {
    throw fromFsError(e, `input path "${path}"`);
  }
  if (!s.isFile()) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `input path "${path}" is not a regular file${s.isDirectory() ? ': use input type dir for directories' : ''}`);
  return real;
}

export const fileInput: InputMethod = {
  consumerIdentity: noCredentials,
  async check(input, ctx) {
    optString(input, 'mediaType');
    optBool(input, 'compress');
    await resolveFile(input, ctx);
  },
  async process(input, ctx): Promise<InputResult> {
    const mediaType = optString(input, 'mediaType') ?? DEFAULT_MEDIA_TYPE;
    const compress = optBool(input, 'compress');
    const real = await resolveFile(input, ctx);
    return maybeCompress({ blob: await fileBlob(real, mediaType), mediaType }, compress);
  },
};
