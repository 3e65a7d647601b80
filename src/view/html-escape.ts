/**
 * Escaping for the HTML page. Component names, labels, accesses and details are user data: every
 * piece of it goes through escapeHtml, which is safe in text and in double-quoted attributes
 * (and in inline SVG, parsed by the same HTML parser). User data never enters the inline script.
 */
const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
// C0 controls other than tab/newline and the Unicode line/paragraph separators carry no meaning on the page.
const UNSAFE = /[&<>"']|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u2028\u2029]/g;

export function escapeHtml(text: string): string {
  return text.replace(UNSAFE, (c) => ENTITIES[c] ?? '\ufffd');
}

/** A label value or any other unknown: strings as they are, everything else as compact JSON. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
