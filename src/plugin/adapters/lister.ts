/**
 * A plugin's `componentLister` as a `ComponentLister` (kind `lister`): `POST /components/list`
 * page by page, following `header.last`. Pages and their count are bounded and a cursor the
 * plugin already gave is an error, so a misbehaving plugin cannot keep us looping.
 */
import type { TypedSpec } from '../../descriptor/types.js';
import type { ComponentLister, ListContext } from '../../repository/lister.js';
import { ErrorCode, OcmError, throwIfAborted } from '../../runtime/errors.js';
import type { PluginConnection } from '../types.js';
import { identityOf, pluginError } from './wire.js';

/** Most pages one listing may take. */
export const MAX_LIST_PAGES = 10_000;
/** Most names one page may hold. */
export const MAX_PAGE_ENTRIES = 100_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function componentLister(conn: PluginConnection): ComponentLister {
  return {
    consumerIdentity: (spec) => identityOf(conn, spec),
    async *listComponents(spec: TypedSpec, ctx: ListContext): AsyncIterable<string> {
      const seenCursors = new Set<string>();
      const seen = new Set<string>();
      let last = '';
      for (let page = 0; ; page++) {
        throwIfAborted(ctx.signal);
        if (page >= MAX_LIST_PAGES) {
          throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `plugin "${conn.id}": /components/list: more than ${MAX_LIST_PAGES} pages`);
        }
        const answer = await conn.call<unknown>({
          method: 'POST',
          path: '/components/list',
          body: { repository: spec, last },
          ...(ctx.credentials ? { credentials: ctx.credentials } : {}),
          noCredentials: 'omit',
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        });
        const list = isObject(answer) ? (answer.list ?? []) : undefined;
        if (!Array.isArray(list) || list.some((n) => typeof n !== 'string')) throw pluginError(conn, '/components/list: expected {"list": [<component names>]}');
        if (list.length > MAX_PAGE_ENTRIES) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `plugin "${conn.id}": /components/list: a page holds more than ${MAX_PAGE_ENTRIES} names`);
        for (const name of list as string[]) {
          if (seen.has(name)) continue;
          seen.add(name);
          yield name;
        }
        const header = isObject(answer) && isObject(answer.header) ? answer.header : undefined;
        const next = typeof header?.last === 'string' ? header.last : '';
        if (next === '') return;
        if (seenCursors.has(next)) throw pluginError(conn, `/components/list: the cursor "${next}" repeats; the listing would not end`);
        seenCursors.add(next);
        last = next;
      }
    },
  };
}
