/**
 * Plugin logging: JSON lines on stderr with Go slog's field and level names, which the host
 * re-emits through its own logger (stdout is reserved for the readiness line).
 */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface Logger {
  debug(msg: string, attrs?: Record<string, unknown>): void;
  info(msg: string, attrs?: Record<string, unknown>): void;
  warn(msg: string, attrs?: Record<string, unknown>): void;
  error(msg: string, attrs?: Record<string, unknown>): void;
}

/** A logger writing `{"time","level","msg",...attrs}` lines to `out` (default: process.stderr). */
export function createLogger(out: { write(s: string): unknown } = process.stderr): Logger {
  const emit = (level: LogLevel, msg: string, attrs?: Record<string, unknown>) => {
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, msg };
    for (const [k, v] of Object.entries(attrs ?? {})) {
      if (!(k in line)) line[k] = v instanceof Error ? v.message : v;
    }
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({ time: line.time, level, msg });
    }
    out.write(`${text}\n`);
  };
  return {
    debug: (m, a) => emit('DEBUG', m, a),
    info: (m, a) => emit('INFO', m, a),
    warn: (m, a) => emit('WARN', m, a),
    error: (m, a) => emit('ERROR', m, a),
  };
}
