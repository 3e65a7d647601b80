/**
 * The transfer spec: a saved plan that replays (`ocm transfer cv -o yaml > plan.yaml`, later
 * `ocm transfer cv --transfer-spec plan.yaml`). It names the source and target repositories, the
 * roots with exact versions (what `--latest`/`--semver-constraint` resolved to when planned) and
 * the graph-shaping flags; on replay those come from the file and the command line's are ignored,
 * as Go v2 does with its transformation graph. `versions` (and the totals) record what the planner
 * saw (per version: action, blobs and bytes to move, artifacts); they are informational, and a
 * replay plans afresh against the target as it is then.
 *
 *   kind: ocm.software/transfer-spec/v1alpha1
 *   source: {type: CommonTransportFormat/v1, filePath: ./ctf}
 *   target: {type: OCIRepository/v1, baseUrl: http://127.0.0.1:5000, subPath: mirror}
 *   roots: [{component: acme.org/app, version: 1.2.0}]
 *   flags: {recursive: true, copyResources: false, uploadAs: localBlob, referrers: true, overwrite: false}
 *   versionsToCopy: 1
 *   bytesToMove: 4096
 *   versions: [{component, version, source, action: copy|present, root, missingBlobs, missingBytes, totalBytes, references, artifacts}]
 */
import type { TypedSpec } from '../descriptor/types.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import type { TransferOptions, TransferPlan, UploadAs } from './types.js';
import { planDocument } from './progress.js';

export const TRANSFER_SPEC_KIND = 'ocm.software/transfer-spec/v1alpha1';

export interface TransferSpecFlags {
  readonly recursive: boolean;
  readonly copyResources: boolean;
  readonly uploadAs: UploadAs;
  readonly referrers: boolean;
  readonly overwrite: boolean;
}

export interface TransferSpec {
  readonly kind: typeof TRANSFER_SPEC_KIND;
  readonly source: TypedSpec;
  readonly target: TypedSpec;
  readonly roots: readonly { readonly component: string; readonly version: string }[];
  readonly flags: TransferSpecFlags;
}


/**
 * The replayable document for `plan`, made with `options` between the repositories `source` and
 * `target` (as specs). Roots are the exact versions the plan resolved (`plan.roots`).
 */
export function transferSpecDocument(plan: TransferPlan, source: TypedSpec, target: TypedSpec, options: Omit<TransferOptions, 'roots'>): Record<string, unknown> {
  const roots = plan.roots ?? [];
  const flags: TransferSpecFlags = {
    recursive: options.recursive ?? false,
    copyResources: options.copyResources ?? false,
    uploadAs: options.uploadAs ?? 'localBlob',
    referrers: options.referrers ?? true,
    overwrite: options.overwrite ?? false,
  };
  const totals = plan.versions.reduce((t, v) => ({ copy: t.copy + (v.action === 'copy' ? 1 : 0), bytes: t.bytes + v.missingBytes }), { copy: 0, bytes: 0 });
  return {
    kind: TRANSFER_SPEC_KIND,
    source: withoutSecrets(source),
    target: withoutSecrets(target),
    roots: roots.map((r) => ({ component: r.component, version: r.version })),
    flags,
    versionsToCopy: totals.copy,
    bytesToMove: totals.bytes,
    versions: planDocument(plan)['versions'],
  };
}

/** Userinfo in a URL-valued field (`https://user:pass@host`) never goes into a saved plan. */
function withoutSecrets(spec: TypedSpec): TypedSpec {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) out[k] = typeof v === 'string' ? v.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1') : v;
  return out as TypedSpec;
}

/** Validates a parsed transfer-spec document; INVALID_ARGUMENT naming `what` and the field. */
export function parseTransferSpec(doc: unknown, what: string): TransferSpec {
  const bad = (field: string, want: string): OcmError =>
    new OcmError(ErrorCode.INVALID_ARGUMENT, `${what}: ${field} ${want}; write one with ocm transfer cv <source-ref> <target> -o yaml --dry-run`);
  if (!isMap(doc)) throw bad('the document', `is not a map (expected kind: ${TRANSFER_SPEC_KIND})`);
  if (doc['kind'] !== TRANSFER_SPEC_KIND) throw bad('"kind"', `is ${JSON.stringify(doc['kind'] ?? null)}, expected ${TRANSFER_SPEC_KIND}`);
  const spec = (field: 'source' | 'target'): TypedSpec => {
    const s = doc[field];
    if (!isMap(s) || typeof s['type'] !== 'string' || s['type'].trim() === '') throw bad(`"${field}"`, 'must be a repository spec with a "type"');
    return s as TypedSpec;
  };
  const source = spec('source');
  const target = spec('target');
  const rootsIn = doc['roots'];
  if (!Array.isArray(rootsIn) || rootsIn.length === 0) throw bad('"roots"', 'must be a non-empty list of {component, version}');
  const roots = rootsIn.map((r: unknown, i) => {
    if (!isMap(r) || typeof r['component'] !== 'string' || r['component'] === '' || typeof r['version'] !== 'string' || r['version'] === '') {
      throw bad(`roots[${i}]`, 'must have a "component" and an exact "version"');
    }
    return { component: r['component'], version: r['version'] };
  });
  const f = doc['flags'] ?? {};
  if (!isMap(f)) throw bad('"flags"', 'must be a map');
  const bool = (k: keyof TransferSpecFlags, dflt: boolean): boolean => {
    const v = f[k];
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') throw bad(`flags.${k}`, 'must be true or false');
    return v;
  };
  const uploadAs = f['uploadAs'] ?? 'localBlob';
  if (uploadAs !== 'localBlob' && uploadAs !== 'ociArtifact') throw bad('flags.uploadAs', 'must be localBlob or ociArtifact');
  const flags: TransferSpecFlags = {
    recursive: bool('recursive', false),
    copyResources: bool('copyResources', false),
    uploadAs,
    referrers: bool('referrers', true),
    overwrite: bool('overwrite', false),
  };
  return { kind: TRANSFER_SPEC_KIND, source, target, roots, flags };
}

function isMap(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
