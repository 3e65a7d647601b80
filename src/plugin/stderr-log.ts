/**
 * A plugin's stderr: JSON log lines (`{level, msg, ...}`, Go slog names) are re-emitted through our
 * logger with the plugin id and secrets redacted; other lines go to debug. The last lines are kept
 * (redacted) for error messages, because a plugin that fails to start usually says why there.
 */
import { REDACTED } from '../credentials/redact.js';
import type { Logger } from '../runtime/logger.js';

/** A longer line is cut: a plugin must not make us hold unbounded text. */
const MAX_LINE = 8 * 1024;

const SECRET_KEY_RE = /pass|secret|token|auth|private|credential|key|pem|pgp|cookie|session/i;
/** `password=x`, `"token": "x"`, `Authorization: x` inside free text. */
const SECRET_TEXT_RE = /((?:pass(?:word)?|secret|token|authorization|api[-_]?key|private[-_]?key|credentials?)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|\{[^}]*\}|[^\s,;&]+)/gi;

/** Replaces values that follow secret-looking keys in free text. */
export function redactText(text: string): string {
  return text.replace(SECRET_TEXT_RE, (_m, k: string) => `${k}${REDACTED}`);
}

/** A copy with values under secret-looking keys replaced (recursively); strings redacted as free text. */
export function redactFields(v: unknown, secret = false): unknown {
  if (Array.isArray(v)) return v.map((x) => redactFields(x, secret));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = redactFields(x, secret || SECRET_KEY_RE.test(k));
    return out;
  }
  if (secret && v !== null && v !== undefined && v !== '') return REDACTED;
  return typeof v === 'string' ? redactText(v) : v;
}

/** Trimmed, control characters escaped, at most `max` characters: safe inside a one-line error. */
export function oneLine(text: string, max = 500): string {
  // eslint-disable-next-line no-control-regex
  const s = text.trim().replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? ' ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Splits a byte stream into lines (each bounded), keeps the last `keep`, hands each to `onLine`. */
export class LineTail {
  readonly #keep: number;
  readonly #onLine: ((line: string) => void) | undefined;
  readonly #tail: string[] = [];
  #partial = '';

  constructor(keep: number, onLine?: (line: string) => void) {
    this.#keep = keep;
    this.#onLine = onLine;
  }

  push(chunk: Buffer | string): void {
    const parts = (this.#partial + chunk.toString()).split('\n');
    this.#partial = parts.pop()!;
    if (this.#partial.length > MAX_LINE) this.#partial = this.#partial.slice(0, MAX_LINE);
    for (const p of parts) this.#line(p);
  }

  flush(): void {
    if (this.#partial !== '') this.#line(this.#partial);
    this.#partial = '';
  }

  lines(): readonly string[] {
    return this.#tail;
  }

  #line(raw: string): void {
    const line = raw.replace(/\r$/, '').slice(0, MAX_LINE);
    if (line.trim() === '') return;
    this.#tail.push(line);
    if (this.#tail.length > this.#keep) this.#tail.shift();
    this.#onLine?.(line);
  }
}

const LEVELS: Readonly<Record<string, 'debug' | 'info' | 'warn'>> = { DEBUG: 'debug', INFO: 'info', WARN: 'warn', WARNING: 'warn', ERROR: 'warn' };

/** Forwards one stderr line of plugin `id` to the logger; returns the redacted text kept for errors. */
export function forwardLine(id: string, line: string, logger: Logger): string {
  if (line.startsWith('{')) {
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      rec = undefined;
    }
    if (typeof rec === 'object' && rec !== null && !Array.isArray(rec)) {
      const { level, msg, time: _time, ...rest } = rec as Record<string, unknown>;
      const lvl = LEVELS[String(level ?? 'INFO').toUpperCase()] ?? 'info';
      const text = redactText(typeof msg === 'string' ? msg : JSON.stringify(msg ?? ''));
      const fields = redactFields(rest) as Record<string, unknown>;
      logger[lvl](text, { ...fields, plugin: id });
      return text;
    }
  }
  const text = redactText(line);
  logger.debug(text, { plugin: id, stream: 'stderr' });
  return text;
}

/** A LineTail for a plugin process's stderr: forwards through the logger, keeps the last 20 redacted lines. */
export function pluginStderr(id: string, logger: Logger): { push(chunk: Buffer): void; flush(): void; lines(): readonly string[] } {
  const kept = new LineTail(20);
  const tail = new LineTail(0, (line) => kept.push(`${forwardLine(id, line, logger)}\n`));
  return { push: (c) => tail.push(c), flush: () => tail.flush(), lines: () => kept.lines() };
}
