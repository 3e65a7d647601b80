/**
 * `--delta-against <have>`: what the far side holds, from an inventory file (`ocm get inventory -o
 * json|yaml`), a CTF (e.g. the previous export) or a registry reference the source side can reach.
 * Imported lazily by the transfer command.
 */
import { readFile, stat } from 'node:fs/promises';
import { repositoryKindOf } from '../repository/reference.js';
import { ErrorCode, OcmError, fromFsError } from '../runtime/errors.js';
import { inventoryToDeltaBase, parseInventory, takeInventory } from '../transfer/inventory.js';
import { openEndpoint, type OpenLocationOptions } from '../transfer/open.js';
import type { DeltaBase } from '../transfer/types.js';
import { repositorySpecFor } from './session.js';

/** Inventory files are small; a CTF or registry is inventoried starting from `components` (registries cannot list). */
export async function resolveDeltaBase(value: string, components: readonly string[], open: OpenLocationOptions): Promise<DeltaBase> {
  const st = await stat(value).catch(() => undefined);
  if (st?.isFile() && /\.(json|ya?ml)$/i.test(value)) {
    let text: string;
    try {
      text = await readFile(value, 'utf8');
    } catch (e) {
      throw fromFsError(e, `--delta-against ${value}`);
    }
    let doc: unknown;
    try {
      doc = /\.json$/i.test(value) ? JSON.parse(text) : (await import('yaml')).parse(text);
    } catch (e) {
      throw new OcmError(ErrorCode.PARSE_ERROR, `--delta-against ${value}: not valid ${/\.json$/i.test(value) ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
    }
    return inventoryToDeltaBase(parseInventory(doc, `--delta-against ${value}`));
  }
  const spec = repositorySpecFor(value);
  const ctf = repositoryKindOf(spec.type) === 'ctf';
  if (ctf && !st) throw new OcmError(ErrorCode.NOT_FOUND, `--delta-against ${value}: no such inventory file or CTF; give have.json (ocm get inventory), a CTF or a registry`);
  const repo = await openEndpoint(spec, { ...open, readOnly: true });
  try {
    // a CTF lists its components; a registry is followed from the transferred components' references
    return inventoryToDeltaBase(await takeInventory(repo, { ...(ctf ? {} : { components }), ...(open.signal ? { signal: open.signal } : {}) }));
  } finally {
    await repo.close();
  }
}
