/**
 * `<plugin> capabilities`: running it (deadline, bounded stdout) and parsing Go's capabilities JSON
 * exactly (spec §3.3; fixtures `plugin-capabilities-*.json`).
 */
import { spawn } from 'node:child_process';
import type { JsonSchema } from '../runtime/type-registry.js';
import { CAPABILITY_LIST_FIELDS, type Capability, type CapabilityType, type DeclaredType, type PluginCapabilities } from './types.js';
import { LineTail, oneLine, redactText } from './stderr-log.js';

export const CAPABILITIES_TIMEOUT_MS = 10_000;
export const MAX_CAPABILITIES_BYTES = 4 * 1024 * 1024;

/** A one-line reason why a plugin's capabilities are unusable. */
export class CapabilitiesError extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function declaredType(cap: string, field: string, v: unknown, i: number): DeclaredType {
  const at = `capability ${cap}: ${field}[${i}]`;
  if (!isRecord(v) || typeof v.type !== 'string' || v.type === '') throw new CapabilitiesError(`${at} has no "type"`);
  const aliases = v.aliases ?? [];
  if (!Array.isArray(aliases) || aliases.some((a) => typeof a !== 'string')) throw new CapabilitiesError(`${at} (${v.type}): "aliases" must be a list of strings or null`);
  if (v.jsonSchema === undefined || v.jsonSchema === null || v.jsonSchema === '') return { type: v.type, aliases };
  // Go marshals the schema as []byte, i.e. standard base64.
  if (typeof v.jsonSchema !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v.jsonSchema) || v.jsonSchema.length % 4 !== 0) {
    throw new CapabilitiesError(`${at} (${v.type}): "jsonSchema" is not base64`);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(Buffer.from(v.jsonSchema, 'base64').toString('utf8'));
  } catch {
    throw new CapabilitiesError(`${at} (${v.type}): "jsonSchema" does not decode to JSON`);
  }
  if (!isRecord(schema) && typeof schema !== 'boolean') throw new CapabilitiesError(`${at} (${v.type}): "jsonSchema" is not a JSON schema object`);
  return { type: v.type, aliases, schema: schema as JsonSchema };
}

/** Parses the capabilities JSON; throws CapabilitiesError with a one-line reason. */
export function parseCapabilities(text: string): PluginCapabilities {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new CapabilitiesError(`capabilities output is not JSON: ${oneLine(text, 80) || '(empty)'}`);
  }
  if (!isRecord(doc)) throw new CapabilitiesError('capabilities output is not a JSON object');
  if (!Array.isArray(doc.capabilities) || doc.capabilities.length === 0) throw new CapabilitiesError('capabilities output declares no capabilities');
  const seen = new Set<string>();
  const capabilities: Capability[] = doc.capabilities.map((c: unknown, i: number) => {
    if (!isRecord(c) || typeof c.type !== 'string') throw new CapabilitiesError(`capabilities[${i}] has no "type"`);
    if (!Object.hasOwn(CAPABILITY_LIST_FIELDS, c.type)) {
      throw new CapabilitiesError(`unknown capability type ${JSON.stringify(c.type)} (known: ${Object.keys(CAPABILITY_LIST_FIELDS).join(', ')})`);
    }
    const type = c.type as CapabilityType;
    if (seen.has(type)) throw new CapabilitiesError(`capability type ${type} is declared twice`);
    seen.add(type);
    const types: Record<string, DeclaredType[]> = {};
    for (const field of CAPABILITY_LIST_FIELDS[type]) {
      const list = c[field];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) throw new CapabilitiesError(`capability ${type}: ${field} must be a list`);
      types[field] = list.map((x: unknown, j: number) => declaredType(type, field, x, j));
    }
    return { type, types };
  });
  const cfg = doc.supportedConfigTypes ?? [];
  if (!Array.isArray(cfg) || cfg.some((x) => typeof x !== 'string')) throw new CapabilitiesError('"supportedConfigTypes" must be a list of strings');
  return { capabilities, supportedConfigTypes: cfg as string[] };
}

export interface RunCapabilitiesOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Runs `<path> capabilities` and returns its stdout. Throws CapabilitiesError (one line, with the
 * last stderr lines) on a non-zero exit, a timeout or oversized output; the process never outlives the call.
 */
export function runCapabilities(path: string, options: RunCapabilitiesOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? CAPABILITIES_TIMEOUT_MS;
  return new Promise((resolvePromise, reject) => {
    if (options.signal?.aborted) return reject(options.signal.reason);
    const child = spawn(path, ['capabilities'], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    const chunks: Buffer[] = [];
    let size = 0;
    let failure: Error | undefined;
    const tail = new LineTail(5);
    const fail = (e: Error) => {
      failure ??= e;
      child.kill('SIGKILL');
      // A grandchild holding the pipes must not keep us waiting for 'close'.
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const timer = setTimeout(() => fail(new CapabilitiesError(`"capabilities" did not finish within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => fail(options.signal!.reason instanceof Error ? options.signal!.reason : new Error('aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_CAPABILITIES_BYTES) return fail(new CapabilitiesError(`"capabilities" printed more than ${MAX_CAPABILITIES_BYTES} bytes`));
      chunks.push(b);
    });
    child.stderr.on('data', (b: Buffer) => tail.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(new CapabilitiesError(`cannot run "capabilities": ${e.code ?? e.message}`));
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      tail.flush();
      const stderr = tail.lines().length ? `; last stderr: ${tail.lines().map((l) => redactText(l)).join(' | ')}` : '';
      if (failure) return reject(failure instanceof CapabilitiesError ? new CapabilitiesError(failure.message + stderr) : failure);
      if (code !== 0) return reject(new CapabilitiesError(`"capabilities" exited with ${code === null ? `signal ${sig}` : `code ${code}`}${stderr}`));
      resolvePromise(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
