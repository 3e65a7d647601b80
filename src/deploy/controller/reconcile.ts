/**
 * One reconcile of one controller entry: list (or pin) versions → select → verify every listed
 * signature and digest → render → apply as an ApplySet with pruning → record status. A candidate
 * that fails verification is rejected (recorded, remembered) and never applied; anything else
 * that fails (network, API server) is an error the loop retries with backoff.
 */
import { readFile } from 'node:fs/promises';
import type { ComponentVersionRepository } from '../../repository/types.js';
import type { CredentialResolver } from '../../runtime/credentials-types.js';
import { ErrorCode, OcmError, fromFsError, isOcmError } from '../../runtime/errors.js';
import type { TypeRegistry } from '../../runtime/type-registry.js';
import type { ControllerEntry } from './config.js';
import { selectVersion } from './select.js';
import { addEvent, setCondition, type EntryStatus } from './status.js';

export interface ControllerDeps {
  /** Opens the entry's repository reference (the CLI passes its own opener: config, credentials, plugins). */
  open(repository: string, options: { signal?: AbortSignal }): Promise<ComponentVersionRepository>;
  readonly types?: TypeRegistry;
  readonly credentials?: CredentialResolver;
  readonly plainHttp?: boolean;
  /** Clock for status times (tests). */
  readonly now?: () => Date;
}

/** Per entry, across reconciles: the status plus the tag list cache. */
export interface EntryState {
  readonly status: EntryStatus;
  listCache?: { readonly versions: readonly string[]; readonly until: number };
}

export interface ReconcileResult {
  /** False when the entry has nothing applied it could stand on, or an error happened. */
  readonly ok: boolean;
  /** An error (not a rejection): retry sooner, with backoff. */
  readonly error?: OcmError;
  readonly applied?: string;
}

/** Verification outcomes that reject a version (as opposed to errors worth a retry). */
const REJECTING: readonly string[] = [ErrorCode.VERIFICATION_FAILED, ErrorCode.DIGEST_MISMATCH, ErrorCode.KEY_ERROR, ErrorCode.NOT_FOUND, ErrorCode.VALIDATION_FAILED];

export async function reconcileEntry(entry: ControllerEntry, state: EntryState, deps: ControllerDeps, options: { signal?: AbortSignal } = {}): Promise<ReconcileResult> {
  const now = (): Date => (deps.now ? deps.now() : new Date());
  const s = state.status;
  const signal = options.signal;
  const op = signal ? { signal } : {};
  s.reconciles++;
  s.lastAttemptTime = now().toISOString();
  const event = (type: 'Normal' | 'Warning', message: string, once = false): void => {
    // Rejections by policy repeat every poll: record each once, not every interval.
    if (once && s.events.some((e) => e.message === message)) return;
    addEvent(s, type, message, now());
  };
  let repo: ComponentVersionRepository | undefined;
  const open = async (): Promise<ComponentVersionRepository> => (repo ??= await deps.open(entry.repository, op));
  try {
    const versions = await listVersions(entry, state, open, op);
    const sel = selectVersion({
      versions,
      downgradePolicy: entry.downgradePolicy,
      ...(entry.semver !== undefined ? { semver: entry.semver } : {}),
      ...(entry.semverFilter ? { semverFilter: entry.semverFilter } : {}),
      ...(s.lastAppliedVersion !== undefined ? { current: s.lastAppliedVersion } : {}),
    });
    for (const r of sel.rejected) event('Normal', `rejected ${r.version}: ${r.reason}`, true);
    const current = s.lastAppliedVersion;
    if (sel.nothingAllowed) {
      event('Warning', sel.nothingAllowed, true);
      if (!current) {
        setCondition(s, 'Ready', 'False', 'NoVersionAllowed', sel.nothingAllowed, now());
        return { ok: false };
      }
    }
    let applied: string | undefined;
    for (const version of sel.candidates) {
      const known = s.rejected?.[version];
      if (known !== undefined) continue; // rejected before: verification reads every blob again, skip it
      const verified = await verifyCandidate(entry, await open(), version, deps, op);
      if ('rejected' in verified) {
        s.rejected = { ...(s.rejected ?? {}), [version]: verified.rejected };
        setCondition(s, 'Verified', 'False', 'VerificationFailed', `${version}: ${verified.rejected}`, now());
        event('Warning', `rejected ${version}: ${verified.rejected}`);
        continue;
      }
      setCondition(s, 'Verified', 'True', 'Verified', `${version}: signature(s) ${entry.verify.map((v) => v.signature).join(', ')} and every digest verified`, now());
      let report: Awaited<ReturnType<typeof renderAndApply>>;
      try {
        report = await renderAndApply(entry, await open(), version, deps, op);
      } catch (e) {
        if (!signal?.aborted) setCondition(s, 'Applied', 'False', 'ApplyFailed', `${version}: ${(e as Error).message}`, now());
        throw e;
      }
      s.lastAppliedVersion = version;
      s.lastAppliedDigest = report.resourceDigest;
      s.lastAppliedComponentDigest = verified.digest;
      const summary = `${report.created} created, ${report.configured} configured, ${report.unchanged} unchanged, ${report.pruned.length} pruned${report.pruned.length ? ` (${report.pruned.join(', ')})` : ''}`;
      setCondition(s, 'Applied', 'True', 'Applied', `${version} applied to namespace ${entry.target.namespace}: ${summary}`, now());
      event('Normal', `applied ${version}${current ? ` (was ${current})` : ''}: ${summary}`);
      applied = version;
      break;
    }
    const inPlace = s.lastAppliedVersion;
    if (!inPlace) {
      setCondition(s, 'Ready', 'False', 'NoVerifiedVersion', 'no allowed version passed verification; nothing applied', now());
      return { ok: false };
    }
    const why = applied ? 'Applied' : sel.upToDate ? 'UpToDate' : 'KeptCurrent';
    setCondition(s, 'Ready', 'True', why, applied ? `${inPlace} applied` : sel.upToDate ? `${inPlace} is the newest allowed version` : `${inPlace} kept: no newer allowed version passed verification`, now());
    s.lastSuccessTime = now().toISOString();
    return { ok: true, ...(applied ? { applied } : {}) };
  } catch (e) {
    const err = isOcmError(e) ? e : new OcmError(ErrorCode.INTERNAL, (e as Error).message ?? String(e), { cause: e });
    if (signal?.aborted) return { ok: false, error: err };
    s.errors++;
    state.listCache = undefined;
    setCondition(s, 'Ready', 'False', 'ReconcileFailed', err.message, now());
    event('Warning', `reconcile failed: ${err.message}`);
    return { ok: false, error: err };
  } finally {
    await repo?.close().catch(() => undefined);
  }
}

/**
 * A pinned version needs no listing. Otherwise the list is cached for the interval: retries after
 * an error come sooner than the interval and should not cost the registry another listing.
 * No conditional request: distribution 2.8 sends no ETag on tags/list and ignores If-None-Match
 * (list-etag.test.ts checks this against the real registry).
 */
async function listVersions(entry: ControllerEntry, state: EntryState, open: () => Promise<ComponentVersionRepository>, op: { signal?: AbortSignal }): Promise<readonly string[]> {
  if (entry.semver !== undefined && /^v?\d+\.\d+\.\d+([-+].*)?$/.test(entry.semver.trim())) return [entry.semver.trim()];
  if (state.listCache && state.listCache.until > Date.now()) return state.listCache.versions;
  const versions = await (await open()).listComponentVersions(entry.component, op);
  state.listCache = { versions, until: Date.now() + entry.intervalMs - 50 };
  return versions;
}

async function verifyCandidate(
  entry: ControllerEntry,
  repo: ComponentVersionRepository,
  version: string,
  deps: ControllerDeps,
  op: { signal?: AbortSignal },
): Promise<{ digest: string } | { rejected: string }> {
  const signing = await import('../../signing/index.js');
  let digest = '';
  for (const v of entry.verify) {
    let pem = v.pem;
    try {
      pem ??= await readFile(v.publicKey, 'utf8');
    } catch (e) {
      throw fromFsError(e, `entry ${entry.name}: public key`);
    }
    const publicKey = signing.parsePublicKey(pem, v.publicKey);
    try {
      const r = await signing.verifyComponentVersion({
        repository: repo,
        component: entry.component,
        version,
        signature: v.signature,
        publicKey,
        recursive: true,
        ...(deps.types ? { registry: deps.types } : {}),
        ...(deps.credentials ? { credentials: deps.credentials } : {}),
        ...(deps.plainHttp ? { plainHttp: true } : {}),
        ...op,
      });
      digest ||= r.verified[0]?.digest ?? '';
    } catch (e) {
      if (op.signal?.aborted || !isOcmError(e) || !REJECTING.includes(e.code)) throw e;
      return { rejected: `signature ${v.signature} failed: ${e.message}` };
    }
  }
  return { digest };
}

async function renderAndApply(entry: ControllerEntry, repo: ComponentVersionRepository, version: string, deps: ControllerDeps, op: { signal?: AbortSignal }) {
  let rules;
  if (entry.rules !== undefined) {
    const { parseRules } = await import('../rules.js');
    let text: Buffer;
    try {
      text = await readFile(entry.rules);
    } catch (e) {
      throw fromFsError(e, `entry ${entry.name}: rules file`);
    }
    rules = parseRules(text, entry.rules);
  }
  const descriptor = await repo.getComponentVersion(entry.component, version, op);
  const { render } = await import('../render.js');
  const rendered = await render(
    { repository: repo, descriptor, ...(deps.types ? { types: deps.types } : {}), ...(deps.credentials ? { credentials: deps.credentials } : {}), ...(deps.plainHttp ? { plainHttp: true } : {}) },
    entry.resource,
    { ...(rules ? { rules } : {}), ...op },
  );
  if (rendered.objects.length === 0) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `entry ${entry.name}: resource ${rendered.resource?.['name'] ?? entry.resource['name']} of ${entry.component}:${version} renders no Kubernetes objects (${rendered.kind})`);
  }
  const { applyRendered } = await import('../kube/index.js');
  const report = await applyRendered(rendered.objects, {
    applySetName: entry.name,
    namespace: entry.target.namespace,
    ...(entry.target.kubeconfig !== undefined ? { kubeconfig: entry.target.kubeconfig } : {}),
    ...(entry.target.context !== undefined ? { context: entry.target.context } : {}),
    prune: true,
    ...op,
  });
  return { created: report.created.length, configured: report.configured.length, unchanged: report.unchanged.length, pruned: report.pruned, resourceDigest: rendered.resourceDigest ?? '' };
}
