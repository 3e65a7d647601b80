/**
 * Wire helpers shared by the adapters: query encodings, `/identity` calls, and `localFile`
 * locations (large data travels through 0600 temp files in the plugin's private temp dir,
 * written and read as streams, removed once read).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { realpath, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DigestSpec, TypedSpec } from '../../descriptor/types.js';
import { verifying } from '../../digest/digest.js';
import type { LocalBlobContent } from '../../repository/types.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { Identity } from '../../runtime/identity.js';
import type { PluginConnection, PluginLocation } from '../types.js';

/** `identity=` of the local-resource/local-source GET endpoints: base64 (standard, as Go) of the JSON map. */
export function identityQuery(identity: Identity): string {
  return Buffer.from(JSON.stringify(identity)).toString('base64');
}

/** Our gap fix: `repository=<base64url(JSON spec)>` on the componentVersionRepository GET endpoints. */
export function repositoryQuery(spec: TypedSpec): string {
  return Buffer.from(JSON.stringify(spec)).toString('base64url');
}

export function pluginError(conn: PluginConnection, message: string): OcmError {
  return new OcmError(ErrorCode.PLUGIN_ERROR, `plugin "${conn.id}": ${message}`, { details: { plugin: conn.id } });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string map from a plugin's answer (identities); anything else is a PLUGIN_ERROR naming the endpoint. */
export function stringMap(conn: PluginConnection, value: unknown, what: string): Identity {
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw pluginError(conn, `${what}: expected a map of strings`);
  }
  return value as Identity;
}

/** `POST /identity {"type": spec}` → `{"identity": {...}}`; an empty identity means none is needed. */
export async function identityOf(conn: PluginConnection, spec: TypedSpec, signal?: AbortSignal): Promise<Identity | undefined> {
  const answer = await conn.call<{ identity?: unknown }>({ method: 'POST', path: '/identity', body: { type: spec }, ...(signal ? { signal } : {}) });
  if (answer === undefined || answer === null || (isObject(answer) && (answer.identity === undefined || answer.identity === null))) return undefined;
  if (!isObject(answer)) throw pluginError(conn, '/identity: expected {"identity": {...}}');
  const id = stringMap(conn, answer.identity, '/identity');
  return Object.keys(id).length > 0 ? id : undefined;
}

/** The object field `field` of a plugin answer, or a PLUGIN_ERROR naming the endpoint. */
export function field(conn: PluginConnection, answer: unknown, name: string, endpoint: string): Record<string, unknown> {
  const v = isObject(answer) ? answer[name] : undefined;
  if (!isObject(v)) throw pluginError(conn, `${endpoint}: the answer has no "${name}" object`);
  return v;
}

/** A `Location` from a plugin answer: only absolute `localFile` paths are supported (as in Go). */
export function localFileOf(conn: PluginConnection, value: unknown, endpoint: string): PluginLocation & { type: 'localFile' } {
  if (!isObject(value) || typeof value.type !== 'string' || typeof value.value !== 'string') {
    throw pluginError(conn, `${endpoint}: the answer has no valid "location" ({type, value})`);
  }
  if (value.type !== 'localFile') throw new OcmError(ErrorCode.UNSUPPORTED, `plugin "${conn.id}": ${endpoint}: location type "${value.type}" is not supported (only localFile)`);
  if (!isAbsolute(value.value)) throw pluginError(conn, `${endpoint}: location "${value.value}" is not an absolute path`);
  return { type: 'localFile', value: value.value, ...(typeof value.mediaType === 'string' ? { mediaType: value.mediaType } : {}) };
}

export interface WrittenLocation {
  readonly location: PluginLocation;
  /** `sha256:<hex>` computed while writing. */
  readonly digest: string;
  readonly size: number;
  /** Removes the file (idempotent, never throws). */
  remove(): Promise<void>;
}

/**
 * Streams `source` into a new 0600 file in the plugin's temp dir, computing digest and size
 * (and checking `expect` when given). Nothing is left behind when writing fails.
 */
export async function writeLocation(
  conn: PluginConnection,
  source: Readable,
  options: { mediaType?: string; digest?: string; size?: number; what?: string; signal?: AbortSignal } = {},
): Promise<WrittenLocation> {
  const path = join(await conn.tempDir(), `blob-${randomBytes(8).toString('hex')}`);
  const remove = () => rm(path, { force: true }).catch(() => undefined);
  const check = verifying({
    ...(options.digest ? { digest: options.digest } : {}),
    ...(options.size !== undefined ? { size: options.size } : {}),
    what: options.what ?? 'blob for the plugin',
  });
  try {
    await pipeline(source, check, createWriteStream(path, { mode: 0o600, flags: 'wx' }), options.signal ? { signal: options.signal } : {});
  } catch (e) {
    await remove();
    throw e;
  }
  return {
    location: { type: 'localFile', value: path, ...(options.mediaType ? { mediaType: options.mediaType } : {}) },
    digest: check.digest,
    size: check.size,
    remove,
  };
}

/** True when `path` lies inside the plugin's temp dir (then we own it and remove it after reading). */
async function insideTempDir(conn: PluginConnection, path: string): Promise<boolean> {
  try {
    const [dir, file] = await Promise.all([realpath(await conn.tempDir()), realpath(path)]);
    return file.startsWith(dir + sep);
  } catch {
    return false;
  }
}

/**
 * Opens a location a plugin returned as one stream, verifying digest and size when known. A file
 * in the plugin's temp dir is removed when the stream closes (read, failed or abandoned).
 */
export async function readLocation(
  conn: PluginConnection,
  location: PluginLocation & { type: 'localFile' },
  options: { digest?: string; size?: number; what: string; keep?: boolean; signal?: AbortSignal },
): Promise<LocalBlobContent> {
  const path = location.value;
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw pluginError(conn, `${options.what}: location "${path}" is not a regular file`);
    size = s.size;
  } catch (e) {
    if (e instanceof OcmError) throw e;
    throw pluginError(conn, `${options.what}: location "${path}" cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const owned = !options.keep && (await insideTempDir(conn, path));
  const file = createReadStream(path, { highWaterMark: 1024 * 1024, ...(options.signal ? { signal: options.signal } : {}) });
  const checks = options.digest !== undefined || options.size !== undefined;
  const out: Readable = checks
    ? file.pipe(verifying({ ...(options.digest ? { digest: options.digest } : {}), ...(options.size !== undefined ? { size: options.size } : {}), what: options.what }))
    : file.pipe(new PassThrough());
  file.once('error', (e) => out.destroy(e));
  out.once('close', () => {
    file.destroy();
    if (owned) void rm(path, { force: true }).catch(() => undefined);
  });
  return {
    stream: out,
    size: options.size ?? size,
    ...(location.mediaType ? { mediaType: location.mediaType } : {}),
    ...(options.digest ? { digest: options.digest } : {}),
  };
}

/** `sha256:<hex>` for a plain SHA-256 blob digest spec (the only kind that is a hash of the bytes), else undefined. */
export function blobDigestOf(d: DigestSpec | undefined): string | undefined {
  if (!d || d.normalisationAlgorithm !== 'genericBlobDigest/v1' || !/^sha-?256$/i.test(d.hashAlgorithm) || !/^[0-9a-f]{64}$/i.test(d.value)) return undefined;
  return `sha256:${d.value.toLowerCase()}`;
}
