/**
 * Which version the controller rolls out: `semverFilter` (a regex on the version string) first,
 * then the semver constraint, then the downgrade policy against the last applied version.
 * Candidates come newest first; the reconciler takes the first that verifies. Falling back past
 * a failing candidate never goes below the version in place: that would be a silent downgrade.
 */
import { compareSemVer, parseSemVer, parseSemverConstraint, type SemVer } from '../../transfer/semver-constraint.js';
import type { DowngradePolicy } from './config.js';
import { isExactVersion } from './config.js';

export interface SelectInput {
  readonly versions: readonly string[];
  readonly semver?: string;
  readonly semverFilter?: RegExp;
  readonly downgradePolicy: DowngradePolicy;
  /** The last applied version, if any. */
  readonly current?: string;
}

export interface Rejection {
  readonly version: string;
  readonly reason: string;
}

export interface Selection {
  /** Versions to try, newest first (empty: keep what is in place). */
  readonly candidates: readonly string[];
  /** The newest allowed version is the one in place. */
  readonly upToDate: boolean;
  /** Versions newer than what is chosen or in place that were not allowed, with why. */
  readonly rejected: readonly Rejection[];
  /** Set when no version is allowed at all. */
  readonly nothingAllowed?: string;
}

type Parsed = { readonly v: string; readonly s: SemVer };
const newestFirst = (a: Parsed, b: Parsed): number => compareSemVer(b.s, a.s);

export function selectVersion(input: SelectInput): Selection {
  const constraint = input.semver !== undefined && !isExactVersion(input.semver) ? parseSemverConstraint(input.semver) : undefined;
  const exact = input.semver !== undefined && constraint === undefined ? parseSemVer(input.semver) : undefined;
  const parsed = input.versions.map((v) => ({ v, s: parseSemVer(v) })).filter((p): p is Parsed => p.s !== undefined).sort(newestFirst);
  const cur = input.current !== undefined ? parseSemVer(input.current) : undefined;

  const allowed: Parsed[] = [];
  const notAllowed: Rejection[] = [];
  const notAllowedSemver: SemVer[] = [];
  for (const p of parsed) {
    let reason: string | undefined;
    if (input.semverFilter && !input.semverFilter.test(p.v)) reason = `filtered out by semverFilter ${input.semverFilter.source}`;
    else if (constraint && !constraint.matches(p.s)) reason = `outside constraint ${constraint.text}`;
    else if (exact && compareSemVer(exact, p.s) !== 0) reason = `not the pinned version ${input.semver}`;
    if (reason === undefined) allowed.push(p);
    else {
      notAllowed.push({ version: p.v, reason });
      notAllowedSemver.push(p.s);
    }
  }
  const newest = allowed[0];
  // Only versions above what is (or would be) running are worth an event; older ones are noise.
  const floor = [newest?.s, cur].filter((s): s is SemVer => s !== undefined).sort((a, b) => compareSemVer(b, a))[0];
  const rejected = notAllowed.filter((_r, i) => floor === undefined || compareSemVer(notAllowedSemver[i]!, floor) > 0);

  if (!newest) {
    const what = [input.semverFilter ? `semverFilter ${input.semverFilter.source}` : '', input.semver ? `semver ${input.semver}` : ''].filter(Boolean).join(' and ') || 'any';
    const seen = parsed.map((p) => p.v).slice(0, 10).join(', ') || 'none';
    return { candidates: [], upToDate: false, rejected, nothingAllowed: `no version matches ${what} (newest seen: ${seen})` };
  }
  if (!cur) return { candidates: allowed.map((p) => p.v), upToDate: false, rejected };
  const order = compareSemVer(newest.s, cur);
  if (order === 0) return { candidates: [], upToDate: true, rejected };
  if (order > 0) return { candidates: allowed.filter((p) => compareSemVer(p.s, cur) > 0).map((p) => p.v), upToDate: false, rejected };
  if (input.downgradePolicy === 'Deny') {
    return { candidates: [], upToDate: false, rejected: [...rejected, { version: newest.v, reason: `downgrade from ${input.current} denied (downgradePolicy: Deny)` }] };
  }
  return { candidates: allowed.map((p) => p.v), upToDate: false, rejected };
}
