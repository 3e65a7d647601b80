/**
 * The chart archive as `helm package` writes it (pkg/chart/v2/util/save.go): a tar of regular files
 * only (no directory entries), mode 0644, uid/gid 0, inside a gzip stream whose header carries helm's
 * marker (extra field "+aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=", comment "Helm", OS 255).
 * Reproducible: every mtime is SOURCE_DATE_EPOCH (helm ≥ 3.19/4 honours it too) or else 0, and the
 * gzip header has no time, so the same chart gives the same bytes. Streams end to end.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, crc32, createDeflateRaw } from 'node:zlib';
import { pack } from 'tar-stream';
import { streamOf, type PackageEntry } from './chart.js';

const HELM_EXTRA = Buffer.from('+aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=');
const HELM_COMMENT = Buffer.from('Helm\0');

/** The mtime of every entry: SOURCE_DATE_EPOCH (seconds) when set and valid, else the Unix epoch. */
export function entryTime(env: NodeJS.ProcessEnv = process.env): Date {
  const v = env.SOURCE_DATE_EPOCH;
  return v && /^[0-9]+$/.test(v) ? new Date(Number(v) * 1000) : new Date(0);
}

function gzipHeader(): Buffer {
  const fixed = Buffer.from([0x1f, 0x8b, 8, 0x04 | 0x10, 0, 0, 0, 0, 0, 255]);
  const xlen = Buffer.alloc(2);
  xlen.writeUInt16LE(HELM_EXTRA.length);
  return Buffer.concat([fixed, xlen, HELM_EXTRA, HELM_COMMENT]);
}

/** The tar stream of the entries, each file streamed in turn. */
function tarStream(entries: readonly PackageEntry[], mtime: Date, signal?: AbortSignal): Readable {
  const p = pack();
  void (async () => {
    for (const e of entries) {
      signal?.throwIfAborted();
      const header = { name: e.name, mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime, type: 'file' as const };
      if ('text' in e) {
        const body = Buffer.from(e.text);
        await new Promise<void>((resolve, reject) => p.entry({ ...header, size: body.length }, body, (err) => (err ? reject(err) : resolve())));
        continue;
      }
      const body = streamOf(e.file, signal);
      if (Buffer.isBuffer(body)) {
        await new Promise<void>((resolve, reject) => p.entry({ ...header, size: body.length }, body, (err) => (err ? reject(err) : resolve())));
      } else {
        const sink = p.entry({ ...header, size: e.file.size });
        await pipeline(body, sink);
      }
    }
    p.finalize();
  })().catch((err: unknown) => p.destroy(err instanceof Error ? err : new Error(String(err))));
  return p as unknown as Readable;
}

/** The gzip'd chart archive as a byte stream (gzip framed by hand for helm's header, deflate by zlib). */
export async function* chartArchive(entries: readonly PackageEntry[], options: { mtime?: Date; signal?: AbortSignal } = {}): AsyncGenerator<Buffer> {
  const tar = tarStream(entries, options.mtime ?? entryTime(), options.signal);
  let crc = 0;
  let size = 0;
  tar.on('data', (c: Buffer) => {
    crc = crc32(c, crc);
    size = (size + c.length) >>> 0;
  });
  const deflate = createDeflateRaw({ level: constants.Z_DEFAULT_COMPRESSION });
  tar.on('error', (e) => deflate.destroy(e));
  tar.pipe(deflate);
  yield gzipHeader();
  for await (const chunk of deflate) yield chunk as Buffer;
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size, 4);
  yield trailer;
}
