/**
 * OCI image layout writer (image-spec "image-layout"): `oci-layout`, `index.json` naming the root
 * with `org.opencontainers.image.ref.name`, and `blobs/<alg>/<hex>` for every node of the graph.
 * As a tar stream (what `ociArtifact` downloads deliver; `skopeo … oci-archive:` reads it) or as
 * a directory (`skopeo … oci:<dir>:<tag>`). Blobs are streamed from the source one by one and
 * verified by the source's `fetch`; only manifests are held in memory (bounded).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import type * as TarStream from 'tar-stream';
import { Limits, parseDigest, readAllBounded } from '../../digest/digest.js';
import { fromFsError } from '../../runtime/errors.js';
import { successors } from '../content/copy.js';
import { Annotation, MediaType, isManifestMediaType } from '../content/media-types.js';
import type { OciDescriptor, OpOptions, ReadOnlyStorage } from '../content/types.js';

export interface LayoutOptions extends OpOptions {
  /** Written as `org.opencontainers.image.ref.name` of the root (e.g. the tag). */
  refName?: string;
}

/** The layout's `index.json` for one root. */
export function layoutIndex(root: OciDescriptor, refName?: string): Buffer {
  const entry: Record<string, unknown> = { mediaType: root.mediaType, digest: root.digest, size: root.size };
  if (refName) entry.annotations = { [Annotation.refName]: refName };
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [entry] }));
}

export const OCI_LAYOUT_FILE = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));

function blobPath(digest: string): string {
  const d = parseDigest(digest);
  return `blobs/${d.algorithm}/${d.hex}`;
}

/** Visits every node of the graph below `root` once (manifests first, so children are known). */
async function walk(
  src: ReadOnlyStorage,
  root: OciDescriptor,
  visit: (desc: OciDescriptor, manifestBytes: Buffer | undefined) => Promise<void>,
  options: OpOptions,
): Promise<void> {
  const seen = new Set<string>();
  const queue: OciDescriptor[] = [root];
  while (queue.length) {
    const desc = queue.shift()!;
    if (seen.has(desc.digest)) continue;
    seen.add(desc.digest);
    if (isManifestMediaType(desc.mediaType)) {
      const bytes = await readAllBounded(await src.fetch(desc, options), Limits.manifest, `manifest ${desc.digest}`);
      await visit(desc, bytes);
      queue.push(...successors(desc, bytes));
    } else {
      await visit(desc, undefined);
    }
  }
}

/** Streams the graph below `root` as an OCI image layout tar. Errors surface on the returned stream. */
export function ociLayoutTar(src: ReadOnlyStorage, root: OciDescriptor, options: LayoutOptions = {}): Readable {
  // tar-stream is loaded when a layout tar is written, not by every command that registers the access type.
  const tar = createRequire(import.meta.url)('tar-stream') as typeof TarStream;
  const pack = tar.pack();
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  const header = (name: string, size: number) => ({ name, size, mode: 0o644, mtime: new Date(0) });
  const small = (name: string, bytes: Buffer) =>
    new Promise<void>((resolve, reject) => pack.entry(header(name, bytes.length), bytes, (err?: Error | null) => (err ? reject(err) : resolve())));
  const run = async (): Promise<void> => {
    await small('oci-layout', OCI_LAYOUT_FILE);
    await small('index.json', layoutIndex(root, options.refName));
    await walk(
      src,
      root,
      async (desc, bytes) => {
        if (bytes) await small(blobPath(desc.digest), bytes);
        else await pipeline(await src.fetch(desc, options), pack.entry(header(blobPath(desc.digest), desc.size)));
      },
      options,
    );
    pack.finalize();
  };
  pack.pipe(out);
  run().catch((e: unknown) => {
    pack.destroy(e as Error);
    out.destroy(e as Error);
  });
  return out;
}

/** Writes the graph below `root` as an OCI image layout directory (blobs written temp → rename). */
export async function writeOciLayoutDir(src: ReadOnlyStorage, root: OciDescriptor, dir: string, options: LayoutOptions = {}): Promise<void> {
  try {
    await mkdir(join(dir, 'blobs'), { recursive: true });
    await walk(
      src,
      root,
      async (desc, bytes) => {
        const path = join(dir, blobPath(desc.digest));
        await mkdir(dirname(path), { recursive: true });
        const tmp = `${path}.tmp-${process.pid}`;
        try {
          if (bytes) await writeFile(tmp, bytes);
          else await pipeline(await src.fetch(desc, options), createWriteStream(tmp));
          await rename(tmp, path);
        } catch (e) {
          await rm(tmp, { force: true });
          throw e;
        }
      },
      options,
    );
    await writeFile(join(dir, 'oci-layout'), OCI_LAYOUT_FILE);
    await writeFile(join(dir, 'index.json'), layoutIndex(root, options.refName));
  } catch (e) {
    throw fromFsError(e, dir);
  }
}
