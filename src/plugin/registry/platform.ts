/**
 * Go's names for this machine (GOOS/GOARCH: what plugin resources carry as extraIdentity
 * `os`/`architecture`), and the "latest version" order registries and plugins are chosen by.
 */
import { compareVersions } from '../../transfer/cv-io.js';

const GO_OS: Readonly<Record<string, string>> = { win32: 'windows', sunos: 'solaris' };
// Node's `ppc64` is the little-endian Linux build; Go calls that ppc64le.
const GO_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', ia32: '386', ppc64: 'ppc64le', ppc: 'ppc', mipsel: 'mipsle' };

export interface Platform {
  readonly os: string;
  readonly architecture: string;
}

/** `process.platform` → GOOS (linux, darwin, windows, freebsd, ...). */
export function goOs(platform: string): string {
  return GO_OS[platform] ?? platform;
}

/** `process.arch` → GOARCH (amd64, arm64, 386, ...). */
export function goArch(arch: string): string {
  return GO_ARCH[arch] ?? arch;
}

/** This machine in Go's names. */
export function currentPlatform(): Platform {
  return { os: goOs(process.platform), architecture: goArch(process.arch) };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}`;
}

/** `linux/amd64` → Platform; undefined for anything else. */
export function parsePlatform(text: string): Platform | undefined {
  const m = /^([a-z0-9]+)\/([a-z0-9]+)$/.exec(text.trim());
  return m ? { os: m[1]!, architecture: m[2]! } : undefined;
}

// Relaxed semver as OCM versions are written: optional `v`, minor and patch optional.
const SEMVER = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function parse(v: string): [number, number, number, string | undefined] | undefined {
  const m = SEMVER.exec(v);
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0), m[4]] : undefined;
}

/** Semver order; versions that are not semver sort before every semver version, by text (the transfer engine's order). */
export { compareVersions };

/** The highest semver version; undefined when there is none (non-semver versions are never "latest"). */
export function latestVersion(versions: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const v of versions) if (parse(v) && (best === undefined || compareVersions(v, best) > 0)) best = v;
  return best;
}

/** The next minor version: 0.3.1 → 0.4.0, v1.2 → v1.3.0 (keeps a leading v). */
export function nextMinor(version: string): string {
  const p = parse(version);
  if (!p) throw new RangeError(`${version} is not a semver version`);
  return `${version.startsWith('v') ? 'v' : ''}${p[0]}.${p[1] + 1}.0`;
}
