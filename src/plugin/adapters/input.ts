/**
 * A plugin's `inputRepository` as an `InputMethod` (kind `input`): the whole constructor element
 * goes to `POST /resource/process` (or `/source/process`); the answer's `location` becomes a
 * re-openable blob over the file (kept in the plugin's temp dir until the CLI ends), or, when the
 * plugin stored the content elsewhere, the element gets the access the plugin answered with.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileBlob } from '../../blob/blob.js';
import type { DigestSpec, TypedSpec } from '../../descriptor/types.js';
import type { InputContext, InputMethod, InputResult } from '../../constructor/types.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { PluginConnection } from '../types.js';
import { identityOf, localFileOf, pluginError } from './wire.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const DEFAULT_MEDIA_TYPE = 'application/octet-stream';

/**
 * A relative `input.path` means "beside the constructor file", as for the built-in file and dir
 * inputs; a plugin runs in its own working directory and cannot know that one, so the host makes
 * the path absolute before sending. (The input spec is not stored in the descriptor.)
 */
function withBasePath(element: Record<string, unknown>, baseDir: string | undefined): Record<string, unknown> {
  const input = element.input;
  if (!baseDir || !isObject(input) || typeof input.path !== 'string' || input.path === '' || isAbsolute(input.path)) return element;
  return { ...element, input: { ...input, path: resolve(baseDir, input.path) } };
}

export function pluginInputMethod(conn: PluginConnection): InputMethod {
  return {
    consumerIdentity: (input) => identityOf(conn, input),
    async process(input: TypedSpec, ctx: InputContext): Promise<InputResult> {
      const kind = ctx.element?.kind ?? 'resource';
      const element = withBasePath(ctx.element?.spec ?? { input }, ctx.baseDir);
      const endpoint = kind === 'resource' ? '/resource/process' : '/source/process';
      const answer = await conn.call<unknown>({
        method: 'POST',
        path: endpoint,
        body: { [kind]: element },
        ...(ctx.credentials ? { credentials: ctx.credentials } : {}),
        noCredentials: 'omit',
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      if (!isObject(answer)) throw pluginError(conn, `${endpoint}: expected {"${kind}": ..., "location": ...}`);
      const processed = isObject(answer[kind]) ? answer[kind] : undefined;
      const access = isObject(processed?.access) && typeof processed.access.type === 'string' ? (processed.access as TypedSpec) : undefined;
      const accessMediaType = typeof access?.mediaType === 'string' ? access.mediaType : undefined;
      if (answer.location !== undefined && answer.location !== null) {
        const location = localFileOf(conn, answer.location, endpoint);
        const mediaType = location.mediaType ?? accessMediaType ?? DEFAULT_MEDIA_TYPE;
        return { blob: await fileBlob(location.value, mediaType), mediaType };
      }
      if (access && !/^localblob(\/v1)?$/i.test(access.type)) {
        const d = isObject(processed?.digest) ? (processed.digest as unknown as DigestSpec) : undefined;
        return {
          blob: {
            async open() {
              throw new OcmError(ErrorCode.UNSUPPORTED, `plugin "${conn.id}": ${endpoint}: the content was stored elsewhere (access ${access.type}); there is no local copy`);
            },
          },
          mediaType: accessMediaType ?? DEFAULT_MEDIA_TYPE,
          access,
          ...(d ? { digest: d } : {}),
        };
      }
      throw pluginError(conn, `${endpoint}: the answer has neither a location nor a non-local access`);
    },
  };
}
