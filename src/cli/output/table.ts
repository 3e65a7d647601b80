/**
 * Plain column-aligned tables (the Go CLI's `-o table` look): upper-case headers, two spaces
 * between columns, no borders, no trailing spaces, so output is stable and easy to grep/diff.
 */

/** Renders rows under headers; every cell is one line (newlines are shown as spaces). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const clean = (s: string) => s.replace(/\s*\n\s*/g, ' ');
  const all = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => headers.map((_, i) => clean(r[i] ?? '')))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => displayWidth(r[i]!))));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i]! - displayWidth(cell))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

/** Width in terminal columns: code points (box-drawing characters are one column wide). */
export function displayWidth(s: string): number {
  return [...s].length;
}
