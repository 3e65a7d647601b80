/**
 * The descriptor layer: v1's byte-exact single-entry tar (so our manifests hash like Go's) and
 * the reader for every descriptor layer media type the Go tools accept (§4.4, trap 20).
 */
import { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type * as TarStream from 'tar-stream';
import { Limits, readAllBounded } from '../../digest/digest.js';
import { MediaType } from '../../oci/content/media-types.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';

export const DESCRIPTOR_FILE = 'component-descriptor.yaml';
/** 2022-01-01T00:00:00Z, v1's fixed mtime. */
const MTIME = 1640995200;

const TAR_TYPES: readonly string[] = [MediaType.componentDescriptorYamlTar, MediaType.legacyDescriptorYamlTar, MediaType.legacyDescriptorYamlTar2];
const TEXT_TYPES: readonly string[] = [
  MediaType.componentDescriptorJson,
  MediaType.componentDescriptorYaml,
  MediaType.legacyDescriptorJson,
  MediaType.legacyDescriptorYaml,
];

export const DescriptorLayerMediaTypes: readonly string[] = [...TAR_TYPES, ...TEXT_TYPES];

/** Go's archive/tar octal field: zero-padded digits then NUL. */
function octal(buf: Buffer, off: number, len: number, value: number): void {
  buf.write(value.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
}

/**
 * One ustar header (`component-descriptor.yaml`, mode 0, uid/gid 0, empty uname/gname, mtime
 * 2022-01-01), the content padded to 512, then two zero blocks and nothing else — exactly what v1 writes.
 */
export function descriptorTar(yaml: Uint8Array | string): Buffer {
  const body = typeof yaml === 'string' ? Buffer.from(yaml, 'utf8') : Buffer.from(yaml);
  const h = Buffer.alloc(512);
  h.write(DESCRIPTOR_FILE, 0, 100, 'latin1');
  octal(h, 100, 8, 0); // mode
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, body.length);
  octal(h, 136, 12, MTIME);
  h.write('0', 156, 1, 'latin1'); // typeflag: regular file
  h.write('ustar\u000000', 257, 8, 'latin1');
  octal(h, 329, 8, 0); // devmajor
  octal(h, 337, 8, 0); // devminor
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  const padded = Math.ceil(body.length / 512) * 512;
  const out = Buffer.alloc(512 + padded + 1024);
  h.copy(out, 0);
  body.copy(out, 512);
  return out;
}

function octalField(buf: Buffer, off: number, len: number): number | undefined {
  const text = buf.toString('latin1', off, off + len).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  return /^[0-7]{1,12}$/.test(text) ? parseInt(text, 8) : undefined;
}

/**
 * @internal The text of regular file `name` in a plain ustar archive held in memory (what v1 and we write),
 * or undefined when the archive has anything else (pax/GNU extensions, prefixes, base-256 sizes,
 * bad checksums, a missing file): the tar-stream path then reads it or reports the problem.
 */
export function plainTarFile(bytes: Buffer, name: string): string | undefined {
  for (let off = 0; off + 512 <= bytes.length; ) {
    if (bytes[off] === 0) return undefined; // end of archive (or an empty name): not found here
    let sum = 0;
    for (let i = off; i < off + 512; i++) sum += i >= off + 148 && i < off + 156 ? 0x20 : bytes[i]!;
    const magic = bytes.toString('latin1', off + 257, off + 263);
    const size = octalField(bytes, off + 124, 12);
    if (octalField(bytes, off + 148, 8) !== sum || (magic !== 'ustar\u0000' && magic !== 'ustar ') || size === undefined || bytes[off + 345] !== 0) return undefined;
    const type = bytes[off + 156];
    const file = type === 0x30 || type === 0;
    if (!file && type !== 0x35) return undefined;
    const end = off + 512 + size;
    if (end > bytes.length) return undefined;
    const entry = bytes.toString('utf8', off, off + 100).replace(/\0.*$/s, '').replace(/^(\.?\/)+/, '');
    if (file && entry === name) return size > Limits.descriptor ? undefined : bytes.toString('utf8', off + 512, end);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/** Extracts the descriptor text from a descriptor layer, by its media type. */
export async function readDescriptorLayer(bytes: Buffer, mediaType: string, what: string): Promise<string> {
  if (TEXT_TYPES.includes(mediaType)) return bytes.toString('utf8');
  if (!TAR_TYPES.includes(mediaType)) {
    throw new OcmError(ErrorCode.UNSUPPORTED, `${what}: unsupported descriptor layer media type "${mediaType}"`, { details: { mediaType } });
  }
  return plainTarFile(bytes, DESCRIPTOR_FILE) ?? extractWithTarStream(bytes, what);
}

/** @internal The general tar reader (pax, GNU, any layout); the reference for `plainTarFile`. */
export async function extractWithTarStream(bytes: Buffer, what: string): Promise<string> {
  // tar-stream only for archives the in-memory ustar reader declines (pax, GNU, odd layouts, errors).
  const extract = (createRequire(import.meta.url)('tar-stream') as typeof TarStream).extract();
  const feed = new Promise<void>((res, rej) => {
    extract.on('error', rej);
    extract.on('finish', res);
  });
  feed.catch(() => {});
  Readable.from([bytes]).pipe(extract as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^(\.?\/)+/, '');
      if (name === DESCRIPTOR_FILE && (entry.header.type ?? 'file') === 'file') {
        const text = (await readAllBounded(entry as unknown as Readable, Limits.descriptor, `${what}: ${DESCRIPTOR_FILE}`)).toString('utf8');
        extract.destroy();
        return text;
      }
      entry.resume();
    }
  } catch (e) {
    if (e instanceof OcmError) throw e;
    throw new OcmError(ErrorCode.PARSE_ERROR, `${what}: descriptor layer is not a valid tar archive (${(e as Error).message})`, { cause: e });
  }
  throw new OcmError(ErrorCode.NOT_FOUND, `${what}: descriptor layer has no ${DESCRIPTOR_FILE}`);
}
