/**
 * The FAKE API server's `/status` PATCH (see kube-fake.ts): the new `.status` from a JSON patch
 * (add/replace of `/status` or one member of it, enough for a status writer) or a merge patch.
 */
type Obj = Record<string, any>;

const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7386: null deletes, objects merge, anything else replaces. */
function mergePatch(base: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function patchedStatus(current: unknown, contentType: string | undefined, body: string): { status: unknown } | { error: { code: number; reason: string; message: string } } {
  const type = (contentType ?? '').split(';')[0];
  let patch: unknown;
  try {
    patch = JSON.parse(body);
  } catch (e) {
    return { error: { code: 400, reason: 'BadRequest', message: `error decoding patch: ${(e as Error).message}` } };
  }
  if (type === 'application/json-patch+json') {
    let next: unknown = clone(current ?? {});
    for (const op of Array.isArray(patch) ? (patch as Obj[]) : []) {
      if (!['add', 'replace'].includes(op.op) || typeof op.path !== 'string' || !/^\/status(\/[^/]+)?$/.test(op.path)) {
        return { error: { code: 422, reason: 'Invalid', message: `the fake supports only add/replace of /status or /status/<field>, not ${op.op} ${op.path}` } };
      }
      if (op.path === '/status') next = clone(op.value);
      else (next as Obj)[op.path.slice('/status/'.length)] = clone(op.value);
    }
    return { status: next };
  }
  if (type === 'application/merge-patch+json') {
    return { status: isObj(patch) && 'status' in patch ? mergePatch(current, patch['status']) : current };
  }
  return { error: { code: 415, reason: 'UnsupportedMediaType', message: `the fake's status subresource supports JSON patch and merge patch, not ${type}` } };
}
