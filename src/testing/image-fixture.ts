/**
 * Test and benchmark fixture: writes an OCI image layout (one image per platform under one image
 * index) whose layers are real tar+gzip streams of pseudo-random bytes (gzip level 0: valid, no
 * compression CPU), generated and hashed while streaming so 1 GiB layers need no memory.
 * skopeo pushes such layouts unchanged (shared/spec/test-peers.md §7.1, §8).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { MediaType } from '../oci/content/media-types.js';
import type { OciDescriptor } from '../oci/content/types.js';

export interface LayoutOptions {
  readonly tag?: string;
  /** Platforms (default amd64 only); each gets its own layers. */
  readonly platforms?: readonly string[];
  /** Sizes of the random file inside each layer (default one of 4 KiB). */
  readonly layerSizes?: readonly number[];
  /** Write a single manifest instead of an index (one platform only). */
  readonly single?: boolean;
}

export interface Layout {
  readonly dir: string;
  readonly tag: string;
  /** The index (or single manifest) digest: what a tag resolves to after `skopeo copy --all --preserve-digests`. */
  readonly root: OciDescriptor;
}

function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  const oct = (v: number, len: number) => v.toString(8).padStart(len - 1, '0') + '\0';
  h.write(oct(0o644, 8), 100);
  h.write(oct(0, 8), 108);
  h.write(oct(0, 8), 116);
  h.write(oct(size, 12), 124);
  h.write(oct(1640995200, 12), 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/** Streams a tar with one random file: header, data, padding, two end blocks. */
function* tarChunks(size: number, seed: string): Generator<Buffer> {
  yield tarHeader(`data-${seed}.bin`, size);
  const chunk = 1024 * 1024;
  for (let left = size; left > 0; left -= chunk) yield randomBytes(Math.min(chunk, left));
  const pad = (512 - (size % 512)) % 512;
  yield Buffer.alloc(pad + 1024);
}

class Hasher extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(c: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(c);
    this.size += c.length;
    cb(null, c);
  }
}

async function writeBlob(dir: string, bytes: Buffer, mediaType: string): Promise<OciDescriptor> {
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(join(dir, 'blobs', 'sha256', hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

async function writeLayer(dir: string, size: number, seed: string): Promise<{ desc: OciDescriptor; diffId: string }> {
  const tmp = join(dir, 'blobs', 'sha256', `tmp-${seed}`);
  const raw = new Hasher();
  const gz = new Hasher();
  await pipeline(Readable.from(tarChunks(size, seed)), raw, createGzip({ level: 0 }), gz, createWriteStream(tmp));
  const hex = gz.hash.digest('hex');
  await rename(tmp, join(dir, 'blobs', 'sha256', hex));
  return { desc: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${hex}`, size: gz.size }, diffId: `sha256:${raw.hash.digest('hex')}` };
}

export async function writeOciLayout(dir: string, options: LayoutOptions = {}): Promise<Layout> {
  const tag = options.tag ?? '1.0';
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const platforms = options.platforms ?? ['amd64'];
  const manifests: OciDescriptor[] = [];
  for (const arch of platforms) {
    const layers: OciDescriptor[] = [];
    const diffIds: string[] = [];
    for (const [i, size] of (options.layerSizes ?? [4096]).entries()) {
      const l = await writeLayer(dir, size, `${arch}-${i}`);
      layers.push(l.desc);
      diffIds.push(l.diffId);
    }
    const config = await writeBlob(
      dir,
      Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, config: {} })),
      'application/vnd.oci.image.config.v1+json',
    );
    const m = await writeBlob(dir, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers })), MediaType.ociManifest);
    manifests.push({ ...m, platform: { architecture: arch, os: 'linux' } });
  }
  const root =
    options.single && manifests.length === 1
      ? { mediaType: manifests[0]!.mediaType, digest: manifests[0]!.digest, size: manifests[0]!.size }
      : await writeBlob(dir, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests })), MediaType.ociIndex);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...root, annotations: { 'org.opencontainers.image.ref.name': tag } }] }));
  return { dir, tag, root };
}
