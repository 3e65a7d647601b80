/**
 * `UTF8/v1` (aliases `UTF8`, `utf8`, `utf8/v1`): exactly one of `text`, `json`, `formattedJson`,
 * `yaml`. Structured values are written as the Go tool does: object keys sorted (its YAML→JSON
 * step goes through maps), `<`, `>`, `&` escaped in JSON, two-space indentation.
 */
import { stringify } from 'yaml';
import { bytesBlob } from '../../blob/blob.js';
import type { TypedSpec } from '../../descriptor/types.js';
import type { InputMethod, InputResult } from '../types.js';
import { invalid, maybeCompress, optBool, optString, noCredentials } from './common.js';

const FIELDS = ['text', 'json', 'formattedJson', 'yaml'] as const;

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

// Go's encoding/json escapes these even inside strings; they only ever occur inside strings.
function goJsonEscape(s: string): string {
  return s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function render(input: TypedSpec): { bytes: string; mediaType: string } {
  const present = FIELDS.filter((f) => input[f] !== undefined && input[f] !== null);
  if (present.length !== 1) {
    invalid(input, present.length ? present.join('/') : 'text', `exactly one of ${FIELDS.map((f) => `"${f}"`).join(', ')} is required${present.length ? `, got ${present.join(' and ')}` : ''}`);
  }
  const field = present[0]!;
  const v = input[field];
  switch (field) {
    case 'text':
      if (typeof v !== 'string') invalid(input, 'text', 'must be a string (quote numbers and booleans)');
      return { bytes: v, mediaType: 'text/plain' };
    case 'json':
      return { bytes: goJsonEscape(JSON.stringify(sortKeys(v))), mediaType: 'application/json' };
    case 'formattedJson':
      return { bytes: goJsonEscape(JSON.stringify(sortKeys(v), null, 2)), mediaType: 'application/json' };
    case 'yaml':
      return { bytes: stringify(sortKeys(v), { indentSeq: false, lineWidth: 0 }), mediaType: 'application/x-yaml' };
  }
}

export const utf8Input: InputMethod = {
  consumerIdentity: noCredentials,
  async check(input) {
    render(input);
    optString(input, 'mediaType');
    optBool(input, 'compress');
  },
  async process(input): Promise<InputResult> {
    const { bytes, mediaType: natural } = render(input);
    const mediaType = optString(input, 'mediaType') ?? natural;
    return maybeCompress({ blob: bytesBlob(bytes, mediaType), mediaType }, optBool(input, 'compress'));
  },
};
