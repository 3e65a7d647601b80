/**
 * `localFile` locations: large data travels between host and plugin as temp files (spec §3.5).
 * Files the plugin hands out are created 0600 in a private 0700 directory that is removed when the
 * plugin stops.
 */
import { createReadStream, createWriteStream, mkdtempSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Location } from './contracts.js';
import { PluginError } from './wire.js';

/** Directories created by `writeLocation`; the server removes them at stop. */
export const pluginTempDirs = new Set<string>();
let dir: string | undefined;
let counter = 0;

function privateDir(): string {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'ocm-plugin-data-'));
    pluginTempDirs.add(dir);
  }
  return dir;
}

/**
 * Streams `data` into a new 0600 file in the plugin's private temp directory and returns its
 * `localFile` location. Never buffers: pass a stream for large content.
 */
export async function writeLocation(
  data: Readable | AsyncIterable<Uint8Array> | Uint8Array | string,
  options: { mediaType?: string; name?: string; signal?: AbortSignal } = {},
): Promise<Location> {
  const path = join(privateDir(), `${++counter}-${(options.name ?? 'blob').replace(/[^A-Za-z0-9._-]/g, '_')}`);
  const out = createWriteStream(path, { mode: 0o600, flags: 'wx' });
  const source = typeof data === 'string' || data instanceof Uint8Array ? [typeof data === 'string' ? Buffer.from(data) : data] : data;
  await pipeline(source as AsyncIterable<Uint8Array>, out, options.signal ? { signal: options.signal } : {});
  return { type: 'localFile', value: path, ...(options.mediaType ? { mediaType: options.mediaType } : {}) };
}

/** Opens a location the host handed over; only `localFile` is supported (as in Go), else 400. */
export async function openLocation(location: Location, options: { signal?: AbortSignal } = {}): Promise<Readable> {
  if (location.type !== 'localFile') throw new PluginError(400, `unsupported location type ${JSON.stringify(location.type)}: only localFile is supported`);
  const info = await stat(location.value).catch(() => undefined);
  if (!info?.isFile()) throw new PluginError(400, `location ${location.value} is not a readable file`);
  return createReadStream(location.value, options.signal ? { signal: options.signal } : {});
}
