/**
 * A plugin's `blobTransformer` as a `BlobTransformer` (kind `blob-transformer`): the input is
 * streamed into a 0600 temp file, `POST /blob/transform {location, specification}`, and the
 * returned location is streamed back (and removed once read when it lies in the plugin's temp dir).
 */
import type { TypedSpec } from '../../descriptor/types.js';
import type { BlobTransformer, TransformContext } from '../../repository/transformer.js';
import type { LocalBlobContent } from '../../repository/types.js';
import type { PluginConnection } from '../types.js';
import { identityOf, localFileOf, readLocation, writeLocation } from './wire.js';

export function pluginBlobTransformer(conn: PluginConnection): BlobTransformer {
  return {
    consumerIdentity: (spec) => identityOf(conn, spec),
    async transform(content: LocalBlobContent, spec: TypedSpec, ctx: TransformContext): Promise<LocalBlobContent> {
      const sig = ctx.signal ? { signal: ctx.signal } : {};
      const written = await writeLocation(conn, content.stream, {
        ...(content.mediaType ? { mediaType: content.mediaType } : {}),
        what: `input of transformer ${spec.type}`,
        ...sig,
      });
      let answer: unknown;
      try {
        answer = await conn.call<unknown>({
          method: 'POST',
          path: '/blob/transform',
          body: { location: written.location, specification: spec },
          ...(ctx.credentials ? { credentials: ctx.credentials } : {}),
          noCredentials: 'omit',
          ...sig,
        });
      } catch (e) {
        await written.remove();
        throw e;
      }
      let location;
      try {
        location = localFileOf(conn, typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>).location : undefined, '/blob/transform');
      } finally {
        // A plugin may transform in place: then the file is removed once the output was read.
        if (location?.value !== written.location.value) await written.remove();
      }
      return await readLocation(conn, location, { what: `output of transformer ${spec.type} (plugin "${conn.id}")`, ...sig });
    },
  };
}
