// Test-only: an in-process PluginConnection that records every call (a *.test.ts so it never ships).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import type { PluginCall, PluginConnection } from '../types.js';

export type FakeHandler = (call: PluginCall) => unknown | Promise<unknown>;

export interface FakeConnection extends PluginConnection {
  /** Every call, in order (bodies, credentials, noCredentials as the adapter passed them). */
  readonly calls: PluginCall[];
  /** The calls to one endpoint. */
  callsTo(path: string): PluginCall[];
}

/** A plugin answering `handlers[path]`; `pluginError(status, text)` from a handler is a non-200 answer; unknown paths are 404. */
export function fakeConnection(id: string, handlers: Readonly<Record<string, FakeHandler>>): FakeConnection {
  const calls: PluginCall[] = [];
  return {
    id,
    calls,
    callsTo: (path) => calls.filter((c) => c.path === path),
    async call<T>(call: PluginCall): Promise<T> {
      calls.push(call);
      const h = handlers[call.path];
      if (!h) throw pluginError(id, 404, '404 page not found');
      // Wire fidelity: the body the host would send is JSON.
      return (await h({ ...call, body: call.body === undefined ? undefined : JSON.parse(JSON.stringify(call.body)) })) as T;
    },
    async tempDir() {
      throw new OcmError(ErrorCode.INTERNAL, 'the fake connection has no temp dir');
    },
  };
}

/** What the host makes of a plugin's plain-text error answer. */
export function pluginError(id: string, status: number, text: string): OcmError {
  return new OcmError(ErrorCode.PLUGIN_ERROR, `plugin "${id}" returned status ${status}: ${text}`, { details: { plugin: id, status } });
}

test('the fake connection records calls and answers 404 for unknown endpoints', async () => {
  const c = fakeConnection('p', { '/x': (call) => ({ got: call.body }) });
  assert.deepEqual(await c.call({ method: 'POST', path: '/x', body: { a: 1 } }), { got: { a: 1 } });
  await assert.rejects(c.call({ method: 'GET', path: '/y' }), /status 404/);
  assert.deepEqual(c.calls.map((x) => x.path), ['/x', '/y']);
});
