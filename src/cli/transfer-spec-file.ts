/**
 * `ocm transfer cv --transfer-spec <file|->`: reads a saved plan (YAML or JSON, bounded) and
 * validates it (transfer/spec.ts). Imported lazily, only when the flag is given.
 */
import { readFile } from 'node:fs/promises';
import { parseYamlBounded } from '../internal/bounded-parse.js';
import { ErrorCode, OcmError, fromFsError } from '../runtime/errors.js';
import { parseTransferSpec, type TransferSpec } from '../transfer/spec.js';

/** A plan lists every version it moves: allow far more than a repository spec file. */
export const MAX_TRANSFER_SPEC_BYTES = 16 * 1024 * 1024;

/** Reads `file` (`-`: stdin); `positional` are the arguments a replay must not also be given. */
export async function readTransferSpec(file: string, positional: readonly (string | undefined)[]): Promise<TransferSpec> {
  if (positional.some((p) => p !== undefined)) {
    throw new OcmError(
      ErrorCode.INVALID_ARGUMENT,
      '--transfer-spec names the source, target and versions itself: drop <source-ref>, <target-repository>, --repository-spec and --target-repository-spec',
    );
  }
  const what = `--transfer-spec ${file}`;
  let bytes: Buffer;
  try {
    bytes = file === '-' ? await readStdin(what) : await readFile(file);
  } catch (e) {
    throw e instanceof OcmError ? e : fromFsError(e, what);
  }
  return parseTransferSpec(parseYamlBounded(bytes, { what, code: ErrorCode.PARSE_ERROR, maxBytes: MAX_TRANSFER_SPEC_BYTES }), what);
}

async function readStdin(what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of process.stdin as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_TRANSFER_SPEC_BYTES) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `${what}: more than ${MAX_TRANSFER_SPEC_BYTES} bytes on stdin`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
