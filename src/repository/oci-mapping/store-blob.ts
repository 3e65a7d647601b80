/**
 * Storing one local blob into a Target without ever holding it in memory: a known digest is
 * verified while pushing; an unknown one is computed while streaming (target `ingest`, a second
 * pass over a re-openable blob, or a spool file as the last resort).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type ReadOnlyBlob, isDigestAware, isSizeAware } from '../../blob/blob.js';
import { digestStream, parseDigest, verifying } from '../../digest/digest.js';
import type { OciDescriptor, OpOptions, Target } from '../../oci/content/types.js';
import { streamToFileAtomic } from '../../internal/atomic.js';
import { DigestMismatchError } from '../../runtime/errors.js';
import type { LocalBlobInput } from '../types.js';
import { isBlobIngester } from './capabilities.js';

function isReadOnlyBlob(x: unknown): x is ReadOnlyBlob {
  return !(x instanceof Readable) && typeof (x as ReadOnlyBlob | undefined)?.open === 'function';
}

/** Stores `blob` in `target` and returns its descriptor (without annotations). */
export async function storeBlob(target: Target, blob: LocalBlobInput, options: OpOptions = {}): Promise<OciDescriptor> {
  const content = blob.content;
  // Metadata capabilities belong to ReadOnlyBlobs; a stream's own `digest`/`size` (e.g. a
  // DigestingStream's) describe what it has seen so far, not the content.
  const meta = isReadOnlyBlob(content) ? content : undefined;
  const digest = blob.digest ?? (isDigestAware(meta) ? meta.digest : undefined);
  const size = blob.size ?? (isSizeAware(meta) ? meta.size : undefined);
  const mediaType = blob.mediaType;
  if (digest !== undefined) parseDigest(digest);
  const open = async (): Promise<Readable> => (isReadOnlyBlob(content) ? content.open(options) : content);
  const discard = (): void => {
    if (content instanceof Readable) content.destroy();
  };

  if (digest !== undefined && size !== undefined) {
    const desc = { mediaType, digest, size };
    if (await target.exists(desc, options)) {
      discard();
      return desc;
    }
    await target.push(desc, await open(), options);
    return desc;
  }

  if (isBlobIngester(target)) {
    const desc = await target.ingest(await open(), { mediaType, ...(size !== undefined ? { size } : {}), ...options });
    if (digest !== undefined && desc.digest !== digest) throw new DigestMismatchError(`local blob (${mediaType})`, digest, desc.digest);
    return { mediaType, digest: desc.digest, size: desc.size };
  }

  if (isReadOnlyBlob(content)) {
    const computed = await digestStream(await content.open(options), options);
    if (digest !== undefined && computed.digest !== digest) throw new DigestMismatchError(`local blob (${mediaType})`, digest, computed.digest);
    const desc = { mediaType, ...computed };
    if (!(await target.exists(desc, options))) await target.push(desc, await content.open(options), options);
    return desc;
  }

  // A one-shot stream and a target that needs the digest up front: spool once, then push from disk.
  const dir = await mkdtemp(join(tmpdir(), 'ocm-spool-'));
  try {
    const file = join(dir, 'blob');
    const v = verifying({ ...(digest !== undefined ? { digest } : {}), ...(size !== undefined ? { size } : {}), what: `local blob (${mediaType})` });
    await streamToFileAtomic(file, content, [v], options);
    const desc = { mediaType, digest: v.digest, size: v.size };
    if (!(await target.exists(desc, options))) await target.push(desc, createReadStream(file), options);
    return desc;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
