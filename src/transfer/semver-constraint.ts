/**
 * Version constraints as Go v2's `--semver-constraint` reads them: github.com/Masterminds/semver/v3
 * (v3.4, constraints.go / version.go), ported rule for rule rather than mapped onto npm's semver,
 * whose ranges differ (npm scopes prereleases to one major.minor.patch; Masterminds lets a
 * prerelease in any constraint of an AND group admit prereleases for the whole group).
 *
 * Syntax: `||` separates OR groups; within a group constraints are separated by spaces or commas
 * (AND). Operators `=`, `!=`, `>`, `<`, `>=`/`=>`, `<=`/`=<`, `~`/`~>`, `^`, none (= or, with a
 * wildcard, `~`); `x`/`X`/`*` wildcards and missing parts (`1.2` = `1.2.x`); `a - b` ranges
 * (`>= a, <= b`); an optional `v` prefix.
 */
import { ErrorCode, OcmError } from '../runtime/errors.js';

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Without the `-`; empty for a release. */
  readonly pre: string;
  readonly original: string;
}

// The regular expressions of constraints.go, verbatim (JS alternation is leftmost-first like Go's, so matches agree).
const CV = String.raw`v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?`;
const OPS = String.raw`=||!=|>|<|>=|=>|<=|=<|~|~>|\^`;
const CONSTRAINT = new RegExp(String.raw`^\s*(${OPS})\s*(${CV})\s*$`);
const RANGE = new RegExp(String.raw`\s*(${CV})\s+-\s+(${CV})\s*`, 'g');
const FIND = new RegExp(String.raw`(${OPS})\s*(${CV})`, 'g');
const VALID = new RegExp(String.raw`^(\s*(${OPS})\s*(${CV})\s*)((?:\s+|,\s*)(${OPS})\s*(${CV})\s*)*$`);
const VERSION = /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;

/** Parses a version as Masterminds' `NewVersion` does (`v` prefix, `1` and `1.2` coerced); undefined if it is not one. */
export function parseSemVer(text: string): SemVer | undefined {
  const m = VERSION.exec(text);
  if (!m) return undefined;
  const pre = m[5] ?? '';
  // numeric prerelease identifiers must not have leading zeros (validatePrerelease)
  if (pre && pre.split('.').some((p) => /^0\d+$/.test(p))) return undefined;
  const num = (s: string | undefined): number => (s ? Number(s.replace(/^\./, '')) : 0);
  const v = { major: num(m[1]), minor: num(m[2]), patch: num(m[3]), pre, original: text };
  return Number.isSafeInteger(v.major) && Number.isSafeInteger(v.minor) && Number.isSafeInteger(v.patch) ? v : undefined;
}

function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === '') return -1;
  if (o === '') return 1;
  const sn = /^\d+$/.test(s);
  const on = /^\d+$/.test(o);
  if (!sn && !on) return s > o ? 1 : -1;
  if (!on) return -1; // numbers sort before identifiers
  if (!sn) return 1;
  return Number(s) > Number(o) ? 1 : -1;
}

/** Semver precedence (build metadata ignored; a prerelease sorts before its release). */
export function compareSemVer(a: SemVer, b: SemVer): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  if (a.pre === b.pre) return 0;
  if (a.pre === '') return 1;
  if (b.pre === '') return -1;
  const x = a.pre.split('.');
  const y = b.pre.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = comparePrePart(x[i] ?? '', y[i] ?? '');
    if (d !== 0) return d;
  }
  return 0;
}

interface Single {
  readonly op: string;
  readonly con: SemVer;
  readonly dirty: boolean;
  readonly minorDirty: boolean;
  readonly patchDirty: boolean;
}

export interface SemverConstraint {
  readonly text: string;
  /** Whether `version` (a tag; non-semver never matches) satisfies the constraint. */
  matches(version: string | SemVer): boolean;
}

const isX = (s: string | undefined): boolean => s === 'x' || s === 'X' || s === '*';

function parseSingle(text: string, whole: string): Single {
  const m = CONSTRAINT.exec(text);
  if (!m) throw improper(whole, text);
  const op = m[1]!;
  const pre = m[6] ?? '';
  let ver = m[2]!;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(m[3]) || !m[3]) {
    ver = `0.0.0${pre}`;
    dirty = true;
  } else if (isX(m[4]?.slice(1)) || !m[4]) {
    [ver, dirty, minorDirty] = [`${m[3]}.0.0${pre}`, true, true];
  } else if (isX(m[5]?.slice(1)) || !m[5]) {
    [ver, dirty, patchDirty] = [`${m[3]}${m[4]}.0${pre}`, true, true];
  }
  const con = parseSemVer(ver);
  if (!con) throw improper(whole, text);
  return { op, con, dirty, minorDirty, patchDirty };
}

function improper(whole: string, part: string): OcmError {
  return new OcmError(
    ErrorCode.INVALID_ARGUMENT,
    `semver constraint "${whole}": improper constraint "${part.trim()}"; use e.g. ">=1.2.0, <2.0.0", "~1.2", "^1", "1.x" or "1.0 - 2.0", OR groups separated by "||"`,
  );
}

/** Parses a constraint (Masterminds `NewConstraint`); INVALID_ARGUMENT naming the bad part. */
export function parseSemverConstraint(text: string): SemverConstraint {
  const rewritten = text.replace(RANGE, (_all, a: string, ...rest: unknown[]) => `>= ${a}, <= ${rest[9] as string}`);
  const groups = rewritten.split('||').map((g) => {
    if (!VALID.test(g)) throw improper(text, g);
    const parts = g.match(FIND) ?? [g];
    const singles = parts.map((p) => parseSingle(p, text));
    // a prerelease anywhere in an AND group admits prereleases for the whole group (v3.4)
    return { singles, includePre: singles.some((s) => s.con.pre !== '') };
  });
  return {
    text,
    matches(version) {
      const v = typeof version === 'string' ? parseSemVer(version) : version;
      if (!v) return false;
      return groups.some((g) => g.singles.every((c) => check(v, c, g.includePre)));
    },
  };
}

function check(v: SemVer, c: Single, includePre: boolean): boolean {
  if (v.pre !== '' && !includePre) return false;
  const cmp = compareSemVer(v, c.con);
  const { con } = c;
  switch (c.op) {
    case '':
    case '=':
      return c.dirty ? tilde(v, c, cmp) : cmp === 0;
    case '!=':
      if (c.dirty) {
        if (con.major !== v.major) return true;
        if (con.minor !== v.minor && !c.minorDirty) return true;
        if (c.minorDirty) return false;
        if (con.patch !== v.patch && !c.patchDirty) return true;
        if (c.patchDirty) return (v.pre !== '' || con.pre !== '') && compareSemVer({ ...v, major: 0, minor: 0, patch: 0 }, { ...con, major: 0, minor: 0, patch: 0 }) !== 0;
      }
      return cmp !== 0;
    case '>':
      if (!c.dirty) return cmp > 0;
      if (v.major !== con.major) return v.major > con.major;
      if (c.minorDirty) return false;
      if (c.patchDirty) return v.minor > con.minor;
      return cmp > 0;
    case '<':
      return cmp < 0;
    case '>=':
    case '=>':
      return cmp >= 0;
    case '<=':
    case '=<':
      if (!c.dirty) return cmp <= 0;
      if (v.major > con.major) return false;
      return !(v.major === con.major && v.minor > con.minor && !c.minorDirty);
    case '~':
    case '~>':
      return tilde(v, c, cmp);
    case '^':
      if (cmp < 0) return false;
      if (con.major > 0 || c.minorDirty) return v.major === con.major;
      if (v.major > 0) return false;
      if (con.minor > 0 || c.patchDirty) return v.minor === con.minor;
      if (v.minor > 0) return false;
      return v.patch === con.patch;
    default:
      return false;
  }
}

function tilde(v: SemVer, c: Single, cmp: number): boolean {
  if (cmp < 0) return false;
  // ~0.0.0 accepts everything (>= 0.0.0)
  if (c.con.major === 0 && c.con.minor === 0 && c.con.patch === 0 && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== c.con.major) return false;
  return v.minor === c.con.minor || c.minorDirty;
}
