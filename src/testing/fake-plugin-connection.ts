/**
 * An in-process `PluginConnection` for protocol tests of the adapters: records every call
 * (method, path, query, body, credentials, noCredentials) and answers from a handler table.
 * The end-to-end tests with real plugin processes live with the plugin host.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import type { Capability, CapabilityType, DeclaredType, LoadedPlugin, PluginCall, PluginConnection } from '../plugin/types.js';
import { CAPABILITY_LIST_FIELDS } from '../plugin/types.js';

export type Handler = (call: PluginCall) => unknown | Promise<unknown>;

export class FakeConnection implements PluginConnection {
  readonly calls: PluginCall[] = [];
  readonly handlers: Record<string, Handler>;
  #dir: string | undefined;

  readonly id: string;

  constructor(id: string, handlers: Record<string, Handler> = {}) {
    this.id = id;
    this.handlers = handlers;
  }

  async call<T = unknown>(call: PluginCall): Promise<T> {
    this.calls.push(call);
    const h = this.handlers[`${call.method} ${call.path}`];
    if (!h) throw new OcmError(ErrorCode.PLUGIN_ERROR, `plugin "${this.id}": 404 ${call.path}`);
    return (await h(call)) as T;
  }

  async tempDir(): Promise<string> {
    this.#dir ??= await mkdtemp(join(tmpdir(), `fake-plugin-${this.id}-`));
    return this.#dir;
  }

  /** Calls to one endpoint. */
  to(path: string): PluginCall[] {
    return this.calls.filter((c) => c.path === path);
  }

  async dispose(): Promise<void> {
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}

/** A LoadedPlugin over a fake connection, with the given capabilities (`{capability: [types]}`). */
export function fakePlugin(conn: FakeConnection, caps: Partial<Record<CapabilityType, DeclaredType[]>>): LoadedPlugin {
  const capabilities: Capability[] = Object.entries(caps).map(([type, types]) => ({
    type: type as CapabilityType,
    types: { [CAPABILITY_LIST_FIELDS[type as CapabilityType][0]]: types! },
  }));
  return {
    info: { id: conn.id, path: `/plugins/${conn.id}`, capabilities: { capabilities, supportedConfigTypes: [] } },
    connection: conn,
  };
}

export const declared = (type: string, schema?: Record<string, unknown>, aliases: string[] = []): DeclaredType => ({
  type,
  aliases,
  ...(schema ? { schema } : {}),
});
