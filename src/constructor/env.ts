/**
 * `${VAR}` / `$VAR` expansion over the raw constructor text, before YAML parsing (as `ocm add cv`
 * documents). Unlike Go's os.ExpandEnv an undefined variable is an error, because silently
 * inserting "" produces a valid-looking but wrong component. `$$` is a literal `$`.
 *
 * Full-line YAML comments are left alone: editor hints such as
 * `# yaml-language-server: $schema=...` must not fail on an undefined `$schema`.
 */
import { ErrorCode, OcmError } from '../runtime/errors.js';

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

export function expandEnv(text: string, env: Readonly<Record<string, string | undefined>>, source: string): string {
  const lines = text.split(/(?<=\n)/);
  return lines.map((line, i) => (/^\s*#/.test(line) ? line : expandLine(line, env, source, i + 1))).join('');
}

function expandLine(line: string, env: Readonly<Record<string, string | undefined>>, source: string, lineNo: number): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    const dollar = line.indexOf('$', i);
    if (dollar < 0) {
      out += line.slice(i);
      break;
    }
    out += line.slice(i, dollar);
    const next = line[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    let name: string | undefined;
    let end: number;
    if (next === '{') {
      const close = line.indexOf('}', dollar + 2);
      const inner = close < 0 ? '' : line.slice(dollar + 2, close);
      if (close < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(inner)) {
        throw new OcmError(
          ErrorCode.INVALID_ARGUMENT,
          `${source}:${lineNo}: malformed variable reference "${line.slice(dollar, close < 0 ? undefined : close + 1).trim()}": use \${NAME} with letters, digits and "_" (write $$ for a literal $)`,
        );
      }
      name = inner;
      end = close + 1;
    } else {
      NAME.lastIndex = dollar + 1;
      const m = NAME.exec(line);
      if (!m) {
        // A lone `$` (e.g. in a regex or a price) stays literal.
        out += '$';
        i = dollar + 1;
        continue;
      }
      name = m[0];
      end = dollar + 1 + name.length;
    }
    const value = env[name];
    if (value === undefined) {
      throw new OcmError(
        ErrorCode.INVALID_ARGUMENT,
        `${source}:${lineNo}: environment variable "${name}" is not set: export it or write $$ for a literal $`,
        { details: { variable: name, source } },
      );
    }
    out += value;
    i = end;
  }
  return out;
}
