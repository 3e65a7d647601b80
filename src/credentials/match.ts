/**
 * The Go v2 consumer-identity matcher (`runtime.Identity.Match`, spec §2.4), ported literally:
 * path glob step, then URL step (`oci` ≡ `https`, default ports only through the effective
 * scheme), then exact equality of every remaining attribute (same key set, no subsets).
 */
import type { Identity } from '../runtime/identity.js';

const URL_KEYS = new Set(['scheme', 'hostname', 'port']);

/** Go's `Identity.String()`: keys sorted, `k=v` joined by `,`. Vertex IDs and exact hits use it. */
export function identityString(id: Identity): string {
  const keys = Object.keys(id).sort();
  let s = '';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    s += (i ? ',' : '') + k + '=' + id[k];
  }
  return s;
}

const globCache = new Map<string, RegExp | null>();

/** True if `pattern` contains a `path.Match` meta character (`*`, `?`, `[`, `\`). */
export function isGlob(pattern: string): boolean {
  return /[*?[\\]/.test(pattern);
}

/**
 * Compiles a Go `path.Match` pattern: `*` = any run of non-`/` characters, `?` = one non-`/`
 * character, `[...]`/`[^...]` classes with ranges, `\` escapes. Returns null for a malformed
 * pattern (Go's ErrBadPattern, which means "no match").
 */
export function compileGlob(pattern: string): RegExp | null {
  const cached = globCache.get(pattern);
  if (cached !== undefined) return cached;
  let re = '^';
  let ok = true;
  for (let i = 0; i < pattern.length && ok; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= pattern.length) ok = false;
      else re += escapeRe(pattern[++i]!);
    } else if (c === '[') {
      let j = i + 1;
      let cls = '';
      if (pattern[j] === '^') {
        cls += '^';
        j++;
      }
      let count = 0;
      for (;;) {
        if (j >= pattern.length) {
          ok = false;
          break;
        }
        let ch = pattern[j]!;
        if (ch === ']' && count > 0) break;
        if (ch === ']' || ch === '-') {
          ok = false;
          break;
        }
        if (ch === '\\') {
          if (++j >= pattern.length) {
            ok = false;
            break;
          }
          ch = pattern[j]!;
        }
        cls += escapeRe(ch);
        j++;
        if (pattern[j] === '-') {
          j++;
          let hi = pattern[j];
          if (hi === '\\') hi = pattern[++j];
          if (hi === undefined || hi === ']') {
            ok = false;
            break;
          }
          if (hi < ch) {
            ok = false;
            break;
          }
          cls += '-' + escapeRe(hi);
          j++;
        }
        count++;
      }
      if (!ok) break;
      re += `[${cls}]`;
      i = j;
    } else re += escapeRe(c);
  }
  const out = ok ? new RegExp(re + '$') : null;
  if (globCache.size > 10_000) globCache.clear();
  globCache.set(pattern, out);
  return out;
}

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

/** Go `path.Match(pattern, name)`; malformed patterns never match. */
export function pathMatch(pattern: string, name: string): boolean {
  if (!isGlob(pattern)) return pattern === name;
  const re = compileGlob(pattern);
  return re !== null && re.test(name);
}

function normScheme(s: string | undefined): string {
  return s === 'oci' ? 'https' : (s ?? '');
}

function defaultPort(scheme: string): string {
  return scheme === 'https' ? '443' : scheme === 'http' ? '80' : '';
}

/**
 * `request.Match(configured)` exactly as Go: `request` is the lookup identity OCM builds,
 * `configured` the consumer identity from `.ocmconfig` (whose `path` is the glob).
 */
export function matchIdentity(request: Identity, configured: Identity): boolean {
  // Allocation-free twin of `mismatch` (the hot path of every lookup); tests pin both to the same tables.
  const cp = configured.path;
  if (cp !== undefined && cp !== '' && !pathMatch(cp, request.path ?? '')) return false;
  const rs = normScheme(request.scheme);
  const cs = normScheme(configured.scheme);
  if (rs !== '' && cs !== '' && rs !== cs) return false;
  if ((request.hostname ?? '') !== (configured.hostname ?? '')) return false;
  const eff = rs !== '' ? rs : cs;
  if ((request.port || defaultPort(eff)) !== (configured.port || defaultPort(eff))) return false;
  let rn = 0;
  for (const k in request) {
    if (k === 'path' || k === 'scheme' || k === 'hostname' || k === 'port') continue;
    rn++;
    if (configured[k] !== request[k]) return false;
  }
  let cn = 0;
  for (const k in configured) if (k !== 'path' && k !== 'scheme' && k !== 'hostname' && k !== 'port') cn++;
  return rn === cn;
}

/**
 * Why `configured` does not match `request` (undefined when it matches). Used by `explain`;
 * the text names attributes and values of identities only, which are never secret.
 */
export function mismatch(request: Identity, configured: Identity): string | undefined {
  // Go's order is path, URL, rest; the boolean result does not depend on the order, so the
  // hostname is checked first because it is the most telling reason for `explain`.
  const rh = request.hostname ?? '';
  const ch = configured.hostname ?? '';
  if (rh !== ch) return `hostname "${rh}" differs from "${ch}"`;
  // 1. path (glob)
  const cp = configured.path;
  if (cp !== undefined && cp !== '') {
    const rp = request.path ?? '';
    if (!pathMatch(cp, rp)) {
      if (isGlob(cp) && compileGlob(cp) === null) return `path pattern "${cp}" is malformed`;
      return request.path === undefined ? `path pattern "${cp}" does not match a lookup without path` : `path "${rp}" does not match "${cp}"`;
    }
  }
  // 2. URL: scheme and port (hostname above)
  const rs = normScheme(request.scheme);
  const cs = normScheme(configured.scheme);
  if (rs !== '' && cs !== '' && rs !== cs) return `scheme "${request.scheme}" differs from "${configured.scheme}"`;
  const eff = rs !== '' ? rs : cs;
  const rport = request.port || defaultPort(eff);
  const cport = configured.port || defaultPort(eff);
  if (rport !== cport) return `port "${rport || '(none)'}" differs from "${cport || '(none)'}"`;
  // 3. the rest: exact equality with the same key set
  let rn = 0;
  for (const k in request) {
    if (k === 'path' || URL_KEYS.has(k)) continue;
    rn++;
    const cv = configured[k];
    if (cv === undefined) return `attribute "${k}" is not in the configured identity`;
    if (cv !== request[k]) return `${k} "${request[k]}" differs from "${cv}"`;
  }
  let cn = 0;
  for (const k in configured) {
    if (k === 'path' || URL_KEYS.has(k)) continue;
    cn++;
    if (request[k] === undefined) return `configured attribute "${k}" is not in the lookup identity`;
  }
  return rn === cn ? undefined : 'attribute sets differ';
}
