/**
 * `store` / `erase` of docker-credential-ocm: edit the user's own `.ocmconfig` (`$OCM_CONFIG`, else
 * `~/.ocmconfig`) through the yaml Document API, so every other entry and every comment survives.
 * One consumer per registry `{type: OCIRegistry, hostname, port?}` (the identity `get` looks up
 * first); the file is replaced atomically (temp + rename) with mode 0600 because it holds secrets.
 */
import { mkdir, open, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { isMap, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { ErrorCode, OcmError } from '../../runtime/errors.js';
import { writeFileAtomic } from '../../internal/atomic.js';
import type { ServerAddress } from './server-url.js';
import { TOKEN_USERNAME } from './resolve.js';

const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const GENERIC = 'generic.config.ocm.software/v1';
const CREDENTIALS = 'credentials.config.ocm.software';

/** The file store/erase edit: `$OCM_CONFIG` when set, else `~/.ocmconfig`. */
export function storeTarget(env: NodeJS.ProcessEnv): string {
  return env.OCM_CONFIG || join(env.HOME || homedir(), '.ocmconfig');
}

function identityFor(a: ServerAddress): Record<string, string> {
  // Hub is stored under docker.io: the name `get` tries first and what OCM users write.
  const hostname = a.hub ? 'docker.io' : a.hostname;
  return a.port ? { type: 'OCIRegistry', hostname, port: a.port } : { type: 'OCIRegistry', hostname };
}

const isCredentialsType = (t: unknown) => typeof t === 'string' && (t === CREDENTIALS || t === `${CREDENTIALS}/v1`);

async function readText(path: string): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${path} is not a regular file`);
    if (st.size > MAX_CONFIG_BYTES) throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `config file ${path} is larger than ${MAX_CONFIG_BYTES} bytes`);
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

function load(text: string | undefined, path: string): Document {
  if (text === undefined || text.trim() === '') return parseDocument(`type: ${GENERIC}\nconfigurations: []\n`);
  const doc = parseDocument(text, { uniqueKeys: true });
  // Parser messages may quote the file (secrets): name the file only.
  if (doc.errors.length > 0) throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${path} is not valid YAML; fix it before storing credentials`);
  if (!isMap(doc.contents)) throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${path} is not a YAML mapping; fix it before storing credentials`);
  return doc;
}

/** The credentials configuration to edit (the first one), created inside a generic config when missing. */
function credentialsMap(doc: Document, path: string, create: boolean): YAMLMap | undefined {
  const root = doc.contents as YAMLMap;
  const type = root.get('type');
  if (isCredentialsType(type)) return root;
  if (type !== GENERIC) throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${path} has type ${JSON.stringify(type)}; store needs a ${GENERIC} or ${CREDENTIALS} document`);
  let configs = root.get('configurations', true);
  if (configs === undefined || configs === null) {
    if (!create) return undefined;
    root.set('configurations', doc.createNode([]));
    configs = root.get('configurations', true);
  }
  if (!isSeq(configs)) throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${path}: configurations must be a list`);
  for (const item of (configs as YAMLSeq).items) if (isMap(item) && isCredentialsType(item.get('type'))) return item;
  if (!create) return undefined;
  const node = doc.createNode({ type: CREDENTIALS, consumers: [] }) as YAMLMap;
  (configs as YAMLSeq).add(node);
  return node;
}

function sameIdentity(node: unknown, want: Record<string, string>): boolean {
  if (!isMap(node)) return false;
  const got: Record<string, string> = {};
  for (const pair of node.items) {
    const k = (pair.key as { value?: unknown })?.value ?? pair.key;
    const v = (pair.value as { value?: unknown })?.value ?? pair.value;
    if (typeof k !== 'string' || (typeof v !== 'string' && typeof v !== 'number')) return false;
    got[k] = String(v);
  }
  const keys = Object.keys(want);
  return Object.keys(got).length === keys.length && keys.every((k) => (k === 'type' ? /^OCIRegistry(\/v1)?$/.test(got.type ?? '') : got[k] === want[k]));
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, text, { mode: 0o600 });
}

/** A symlinked config is edited where it points (renaming over the link would replace it). */
async function resolveTarget(path: string): Promise<string> {
  try {
    await stat(path);
    return await realpath(path);
  } catch {
    return path;
  }
}

/** Adds or replaces the consumer for `address`. */
export async function storeCredentials(address: ServerAddress, username: string, secret: string, env: NodeJS.ProcessEnv): Promise<string> {
  const path = await resolveTarget(storeTarget(env));
  const doc = load(await readText(path), path);
  const creds = credentialsMap(doc, path, true)!;
  let consumers = creds.get('consumers', true);
  if (consumers === undefined || consumers === null) {
    creds.set('consumers', doc.createNode([]));
    consumers = creds.get('consumers', true);
  }
  if (!isSeq(consumers)) throw new OcmError(ErrorCode.CONFIG_ERROR, `config file ${path}: consumers must be a list`);
  const identity = identityFor(address);
  const properties = username === TOKEN_USERNAME ? { refreshToken: secret } : { username, password: secret };
  const credentials = doc.createNode([{ type: 'Credentials/v1', properties }]);
  const existing = (consumers as YAMLSeq).items.find((c) => isMap(c) && sameIdentity(c.get('identity', true), identity));
  if (existing) (existing as YAMLMap).set('credentials', credentials);
  else (consumers as YAMLSeq).add(doc.createNode({ identity, credentials }));
  await writeAtomic(path, doc.toString());
  return path;
}

/** Removes the consumer for `address`; false when there was none (nothing is written then). */
export async function eraseCredentials(address: ServerAddress, env: NodeJS.ProcessEnv): Promise<boolean> {
  const path = await resolveTarget(storeTarget(env));
  const text = await readText(path);
  if (text === undefined) return false;
  const doc = load(text, path);
  const creds = credentialsMap(doc, path, false);
  const consumers = creds?.get('consumers', true);
  if (!isSeq(consumers)) return false;
  const identity = identityFor(address);
  const before = consumers.items.length;
  consumers.items = consumers.items.filter((c) => !(isMap(c) && sameIdentity(c.get('identity', true), identity)));
  if (consumers.items.length === before) return false;
  await writeAtomic(path, doc.toString());
  return true;
}
