/**
 * The slow path of `ocm-credential-helper get` (spec §A): request URI → headers from the central
 * credentials. `route.ts` decides which flow may answer (and refuses unknown hosts), `oci.ts`
 * answers registries (token exchange), `http-uri.ts` other downloads. The bin and the caching
 * agent call `resolveCredentials`; `setup-uri` calls `explainUri` (explain.ts).
 */
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { CredentialHelperRequest, Resolution, ResolveOptions } from './types.js';
import { parseHelperUri } from './uri.js';
import { routeUri } from './route.js';
import { resolveOci } from './oci.js';
import { resolveHttp } from './http-uri.js';

export { explainUri } from './explain.js';

export async function resolveCredentials(req: CredentialHelperRequest, opts: ResolveOptions): Promise<Resolution> {
  if (req === null || typeof req !== 'object' || typeof req.uri !== 'string') {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, 'credential request must be a JSON object with a string "uri", e.g. {"uri": "https://ghcr.io/v2/org/img/blobs/sha256:..."}');
  }
  const u = parseHelperUri(req.uri);
  const { route } = await routeUri(u, opts);
  switch (route.kind) {
    case 'null':
      return { response: { headers: {} }, cacheScope: 'none' };
    case 'http':
      return resolveHttp(u, opts);
    case 'oci':
      return resolveOci({ uri: u, repository: route.repository, allowedBy: route.allowedBy, ...(route.config ? { config: route.config } : {}) }, route.actions, opts);
  }
}
