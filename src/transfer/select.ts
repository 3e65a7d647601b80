/**
 * Which versions a versionless root stands for (Go v2 `ocm transfer cv`): all of them, with
 * `--semver-constraint` the matching ones, with `--latest` the highest (of the matching ones).
 */
import { NotFoundError } from '../runtime/errors.js';
import { compareVersions } from './cv-io.js';
import { compareSemVer, parseSemVer, parseSemverConstraint, type SemVer } from './semver-constraint.js';

export interface VersionSelection {
  readonly latest?: boolean;
  /** Masterminds/semver constraint; tags that are not semver never match it. */
  readonly semverConstraint?: string;
}

/**
 * Selects from `versions` (as listed, any order), ascending. Throws NOT_FOUND naming the
 * constraint and what was seen when nothing matches, INVALID_ARGUMENT for a bad constraint.
 */
export function selectVersions(component: string, versions: readonly string[], sel: VersionSelection, where: string): string[] {
  if (versions.length === 0) throw new NotFoundError(`component ${component} has no versions in ${where}`);
  let out: string[];
  if (sel.semverConstraint) {
    const c = parseSemverConstraint(sel.semverConstraint);
    const parsed = versions.map((v) => [v, parseSemVer(v)] as const).filter((p): p is readonly [string, SemVer] => p[1] !== undefined && c.matches(p[1]));
    out = parsed.sort((a, b) => compareSemVer(a[1], b[1]) || compareVersions(a[0], b[0])).map((p) => p[0]);
    if (out.length === 0) {
      const seen = [...versions].sort(compareVersions);
      const shown = seen.length > 20 ? `${seen.slice(0, 10).join(', ')}, … (${seen.length - 20} more), ${seen.slice(-10).join(', ')}` : seen.join(', ');
      throw new NotFoundError(`no version of ${component} in ${where} matches semver constraint "${sel.semverConstraint}" (versions seen: ${shown}); widen the constraint`, {
        details: { component, constraint: sel.semverConstraint, versions: seen },
      });
    }
  } else {
    out = [...versions].sort(compareVersions);
  }
  return sel.latest ? out.slice(-1) : out;
}

/** Validates a constraint early (before anything is opened); INVALID_ARGUMENT naming the bad part. */
export function checkSemverConstraint(text: string): void {
  parseSemverConstraint(text);
}
