/**
 * `ociArtifactDigest/v1` of an OCI artifact in transport form (an OCM artifact set or OCI image
 * layout as tar or tgz): the digest of its main manifest. Read in one streaming pass: every blob
 * is hashed against its file name, so a flipped byte anywhere in the artifact is found, and only
 * `index.json` is buffered (bounded).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { readAllBounded } from '../digest/digest.js';
import { parseJsonBounded } from '../internal/bounded-parse.js';
import { ErrorCode, OcmError, throwIfAborted } from '../runtime/errors.js';

const INDEX_LIMIT = 4 * 1024 * 1024;

/** Media types whose blobs are OCI artifacts in transport form (model §2.2). */
export function isOciArtifactMediaType(mediaType: string | undefined): boolean {
  if (!mediaType) return false;
  return /^application\/vnd\.(oci\.image\.(manifest|index)\.v1|docker\.distribution\.manifest(\.list)?\.v2|ocm\.software\.oci\.layout\.v1)\+tar(\+gzip)?$/.test(mediaType);
}

export interface ArtifactSetDigest {
  /** `sha256:<hex>` of the main manifest. */
  readonly manifest: string;
  /** `sha256:<hex>` of the raw stream (what genericBlobDigest/v1 would be). */
  readonly blob: string;
}

/** Reads an artifact set / OCI layout tar(gz) stream and returns its main manifest digest. */
export async function artifactSetDigest(stream: Readable, what: string, options: { signal?: AbortSignal } = {}): Promise<ArtifactSetDigest> {
  const raw = createHash('sha256');
  const extract = tar.extract();
  const bad = (why: string) => new OcmError(ErrorCode.DIGEST_MISMATCH, `${what}: ${why}`);
  const it = (async function* () {
    for await (const c of stream as AsyncIterable<Buffer>) {
      raw.update(c);
      yield c;
    }
  })();
  // Decide gzip from the magic bytes instead of trusting the media type.
  const head = await it.next();
  const first = head.done ? Buffer.alloc(0) : head.value;
  const gz = first[0] === 0x1f && first[1] === 0x8b;
  const rest = Readable.from(
    (async function* () {
      if (first.length > 0) yield first;
      yield* it;
    })(),
  );
  const stages = gz ? [rest, createGunzip(), extract] : [rest, extract];
  const unpack = pipeline(stages as unknown as [Readable, NodeJS.WritableStream], options.signal ? { signal: options.signal } : {});
  unpack.catch(() => {});

  let index: unknown;
  const blobs = new Set<string>();
  try {
    await readEntries();
    await unpack;
  } catch (e) {
    extract.destroy();
    if (e instanceof OcmError) throw e;
    throw new OcmError(ErrorCode.PARSE_ERROR, `${what}: the OCI artifact is not a readable tar or tgz (${(e as Error).message})`, { cause: e });
  }
  const manifest = mainManifest(index, what);
  if (!blobs.has(manifest)) throw bad(`main manifest ${manifest} is missing from the artifact`);
  return { manifest, blob: `sha256:${raw.digest('hex')}` };

  async function readEntries(): Promise<void> {
    for await (const entry of extract) {
      throwIfAborted(options.signal);
      const name = entry.header.name.replace(/^\.\//, '');
      if (name === 'index.json' || name === 'artifact-descriptor.json') {
        const bytes = await readAllBounded(entry as unknown as Readable, INDEX_LIMIT);
        index = parseJsonBounded(bytes.toString('utf8'), { what: `${what}: ${name}`, maxBytes: INDEX_LIMIT });
        continue;
      }
      const m = /^blobs\/(sha256)[./]([a-f0-9]{64})$/.exec(name);
      if (m) {
        const h = createHash('sha256');
        for await (const chunk of entry) h.update(chunk as Buffer);
        const actual = `sha256:${h.digest('hex')}`;
        const expected = `sha256:${m[2]}`;
        if (actual !== expected) throw bad(`artifact blob ${expected} has content digest ${actual}`);
        blobs.add(expected);
        continue;
      }
      entry.resume();
    }
  }
}

function mainManifest(index: unknown, what: string): string {
  if (!index || typeof index !== 'object') throw new OcmError(ErrorCode.VALIDATION_FAILED, `${what}: no index.json in the OCI artifact`);
  const idx = index as { annotations?: Record<string, string>; manifests?: { digest?: string }[] };
  const main = idx.annotations?.['software.ocm/main'];
  if (typeof main === 'string' && main.startsWith('sha256:')) return main;
  const ms = idx.manifests ?? [];
  if (ms.length === 1 && typeof ms[0]!.digest === 'string') return ms[0]!.digest;
  throw new OcmError(ErrorCode.VALIDATION_FAILED, `${what}: cannot tell the main manifest (no software.ocm/main annotation and ${ms.length} manifests)`);
}
