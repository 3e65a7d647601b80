/**
 * `transfer.config.ocm.software/v1alpha1` (shared/spec/credentials-config-plugins-cli.md §2):
 * defaults for `ocm transfer`; command-line flags override them.
 */
import { ErrorCode, OcmError } from '../runtime/errors.js';
import type { UploadAs } from './types.js';

export const TRANSFER_CONFIG_TYPE = 'transfer.config.ocm.software/v1alpha1';

export interface TransferConfig {
  recursive?: boolean;
  copyResources?: boolean;
  uploadAs?: UploadAs;
  concurrency?: number;
}

/** Merges config entries (later wins) into defaults. Unknown values are CONFIG_ERROR naming the field. */
export function transferConfigFrom(entries: readonly Record<string, unknown>[]): TransferConfig {
  const out: TransferConfig = {};
  for (const e of entries) {
    const bad = (field: string, v: unknown, want: string): OcmError =>
      new OcmError(ErrorCode.CONFIG_ERROR, `${TRANSFER_CONFIG_TYPE}: ${field} ${JSON.stringify(v)} is invalid: use ${want}`);
    if (e['recursive'] !== undefined) {
      const r = e['recursive'];
      if (r === -1 || r === true) out.recursive = true;
      else if (r === 0 || r === false) out.recursive = false;
      else throw bad('recursive', r, '-1 (all levels) or 0');
    }
    if (e['copyMode'] !== undefined) {
      const m = e['copyMode'];
      if (m === 'allResources') out.copyResources = true;
      else if (m === 'localBlob') out.copyResources = false;
      else throw bad('copyMode', m, 'localBlob or allResources');
    }
    if (e['uploadType'] !== undefined) {
      const u = e['uploadType'];
      if (u !== 'localBlob' && u !== 'ociArtifact') throw bad('uploadType', u, 'localBlob or ociArtifact');
      out.uploadAs = u;
    }
    if (e['concurrency'] !== undefined) {
      const c = e['concurrency'];
      if (!Number.isInteger(c) || (c as number) < 1) throw bad('concurrency', c, 'an integer >= 1');
      out.concurrency = c as number;
    }
  }
  return out;
}
