/**
 * Wire helpers shared by every endpoint: errors as Go's `http.Error` writes them, bounded JSON
 * bodies, the `Authorization` credential header, base64 query parameters.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Throw from a handler to answer with a specific status; any other error becomes a 500.
 * The message is the plain-text body (plus `\n`), exactly as Go's `http.Error` writes it.
 */
export class PluginError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
    this.name = 'PluginError';
  }
}

/** Go `http.Error`: plain-text body with a trailing newline. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${message.replace(/\r?\n/g, ' ')}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** 200 with a JSON body (`undefined` → empty body, as Go's handlers that only write the status). */
export function sendJson(res: ServerResponse, value: unknown): void {
  if (value === undefined) {
    res.writeHead(200, { 'Content-Length': 0 });
    res.end();
    return;
  }
  const body = JSON.stringify(value);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Default bound on a request body; locations carry large data, bodies only specs and descriptors. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Reads and parses a JSON request body; 413 when over `limit`, 400 when not JSON. */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new PluginError(413, `request body exceeds ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new PluginError(413, `request body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new PluginError(400, 'failed to decode request body: empty body');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new PluginError(400, `failed to decode request body: ${(e as Error).message}`);
  }
}

/** A JSON object or a 400 naming `what`. */
export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PluginError(400, `invalid request: ${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * The `Authorization` header as credentials: the typed form `{"type":..., "properties":{...}}`
 * (properties flattened), a flat string map, or `{}`/absent (→ undefined). Unparsable JSON → 401.
 */
export function credentialsFromHeader(header: string | undefined): Record<string, string> | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(header);
  } catch (e) {
    throw new PluginError(401, `incorrect authentication header format: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PluginError(401, 'incorrect authentication header format: not a JSON object');
  }
  const obj = parsed as Record<string, unknown>;
  const props = typeof obj.properties === 'object' && obj.properties !== null && !Array.isArray(obj.properties)
    ? (obj.properties as Record<string, unknown>)
    : Object.fromEntries(Object.entries(obj).filter(([k]) => k !== 'type'));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return Object.keys(out).length ? out : undefined;
}

/** The typed credential JSON the host expects from `/resolve`. */
export function typedCredentials(properties: Readonly<Record<string, string>>): { type: string; properties: Record<string, string> } {
  const sorted = Object.fromEntries(Object.entries(properties).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { type: 'Credentials/v1', properties: sorted };
}

/** Decodes a query parameter holding base64 (standard or URL alphabet) JSON; 400 on garbage. */
export function decodeBase64Json(value: string, what: string): unknown {
  try {
    const b64 = value.replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
  } catch (e) {
    throw new PluginError(400, `invalid ${what} parameter: ${(e as Error).message}`);
  }
}
