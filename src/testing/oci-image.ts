/** Test kit: a tiny, valid single-layer OCI image as an OCI layout directory (what skopeo copies from `oci:`). */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { readAllBounded } from '../digest/digest.js';

export const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function tarOf(files: Record<string, Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, data] of Object.entries(files)) pack.entry({ name, size: data.length, mtime: new Date(0) }, data);
  pack.finalize();
  return readAllBounded(pack as unknown as NodeJS.ReadableStream & AsyncIterable<Uint8Array>, 1 << 24);
}

/**
 * Writes a one-layer image (random file content, gzip level 0 so skopeo keeps the layer digest,
 * correct `diff_ids`) into `dir` as an OCI layout tagged `tag`; returns the manifest digest.
 */
export async function writeTinyImageLayout(dir: string, tag = 'v1'): Promise<string> {
  const layerTar = await tarOf({ 'hello.txt': randomBytes(20_000) });
  const layer = gzipSync(layerTar, { level: 0 });
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] }, config: {} }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
    }),
  );
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const b of [layer, config, manifest]) await writeFile(join(dir, 'blobs', 'sha256', sha256(b).slice(7)), b);
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
  return sha256(manifest);
}
