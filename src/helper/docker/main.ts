/**
 * `docker-credential-ocm`: the docker credential-helper protocol (spec auth §B.1) answered from the
 * central credentials (.ocmconfig consumers, then docker config). Exactly one action argument;
 * every failure is one line on **stdout** with exit 1 (docker reads stdout, not stderr), and "not
 * found" is exactly `credentials not found in native keychain`. Secrets appear only on stdout of
 * `get`. `store`/`erase` edit the user's .ocmconfig only after an explicit opt-in.
 *
 * This module stays light: the credential graph and the yaml editor load only for the actions
 * that need them.
 */
import { VERSION } from '../../version.js';

export interface HelperIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal?: AbortSignal;
}

export const NAME = 'docker-credential-ocm';
export const NOT_FOUND = 'credentials not found in native keychain';
export const USAGE = `Usage: ${NAME} <store|get|erase|list|version>`;
/** Opt-in for store/erase (besides the `--allow-store` argument a wrapper may pass). */
export const ALLOW_STORE_ENV = 'OCM_CREDENTIAL_HELPER_ALLOW_STORE';
export const refusedText = (action: 'store' | 'erase') =>
  `error ${action === 'store' ? 'storing' : 'erasing'} credentials: not supported by ${NAME} (enable with ${ALLOW_STORE_ENV}=1)`;

const MAX_URL_INPUT = 64 * 1024;
const MAX_STORE_INPUT = 1024 * 1024;
const TRUE_VALUES = new Set(['1', 'true', 'TRUE', 'True', 'yes']);

/** A protocol answer printed as is (docker's own texts). */
class Answer extends Error {
  readonly text: string;
  constructor(text: string) {
    super(text);
    this.text = text;
  }
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    // Resolves also on error: a closed pipe (client gone) is not ours to report.
    stream.write(text, () => resolve());
  });
}

/** Reads stdin up to `max` bytes; more is an error (a server URL is short). */
async function readInput(stdin: NodeJS.ReadableStream, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stdin as AsyncIterable<Buffer | string>) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    size += b.length;
    if (size > max) throw new Answer(`input on stdin is larger than ${max} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One line, no terminal control characters (a message may quote input). */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function allowStore(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes('--allow-store') || TRUE_VALUES.has(env[ALLOW_STORE_ENV] ?? '');
}

/** Runs one helper invocation; returns the exit code (0 or 1, as docker-credential-helpers). */
export async function main(argv: readonly string[], io: HelperIo): Promise<number> {
  const args = argv.filter((a) => a !== '--allow-store');
  const first = args[0];
  if (first === '-v' || first === '--version') {
    await write(io.stdout, `${NAME} (ocm-ts) ${VERSION}\n`);
    return 0;
  }
  if (first === '-h' || first === '--help') {
    await write(io.stdout, `${USAGE}\n`);
    return 0;
  }
  if (args.length !== 1) {
    await write(io.stdout, `${USAGE}\n`);
    return 1;
  }
  try {
    const text = await run(args[0]!, argv, io);
    if (text !== undefined) await write(io.stdout, text);
    return 0;
  } catch (e) {
    await write(io.stdout, `${oneLine(messageOf(e))}\n`);
    return 1;
  }
}

function messageOf(e: unknown): string {
  if (e instanceof Answer) return e.text;
  const err = e as { message?: unknown; code?: unknown; name?: unknown };
  // OcmErrors are built without secrets; their code tells scripts what kind of failure it was.
  if (e instanceof Error && typeof err.code === 'string' && /^[A-Z_]+$/.test(err.code)) return `${e.message} [${err.code}]`;
  return `${NAME}: unexpected failure: ${e instanceof Error ? e.message : String(e)}`;
}

async function run(action: string, argv: readonly string[], io: HelperIo): Promise<string | undefined> {
  const ctx = { env: io.env, cwd: io.cwd, ...(io.signal ? { signal: io.signal } : {}) };
  switch (action) {
    case 'version':
      return `${NAME} (ocm-ts) ${VERSION}\n`;
    case 'get': {
      const url = (await readInput(io.stdin, MAX_URL_INPUT)).trim();
      if (url === '') throw new Answer('no credentials server URL');
      const { getCredentials } = await import('./resolve.js');
      const found = await getCredentials(url, ctx);
      if (!found) throw new Answer(NOT_FOUND);
      return `${JSON.stringify(found)}\n`;
    }
    case 'list': {
      // stdin is unused by the protocol (the reference client sends "unused"): not read.
      const { listCredentials } = await import('./resolve.js');
      return `${JSON.stringify(await listCredentials(ctx))}\n`;
    }
    case 'store': {
      if (!allowStore(argv, io.env)) throw new Answer(refusedText('store'));
      const raw = await readInput(io.stdin, MAX_STORE_INPUT);
      let input: unknown;
      try {
        input = JSON.parse(raw);
      } catch {
        // Never quote the input: it holds the secret.
        throw new Answer('error storing credentials: stdin is not JSON {"ServerURL","Username","Secret"}');
      }
      const rec = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
      const str = (v: unknown) => (typeof v === 'string' ? v : '');
      const serverUrl = str(rec.ServerURL).trim();
      if (serverUrl === '') throw new Answer('no credentials server URL');
      if (str(rec.Username) === '') throw new Answer('no credentials username');
      if (str(rec.Secret) === '') throw new Answer('error storing credentials: no secret given');
      const [{ parseServerUrl }, { storeCredentials }] = await Promise.all([import('./server-url.js'), import('./store.js')]);
      await storeCredentials(parseServerUrl(serverUrl), str(rec.Username), str(rec.Secret), io.env);
      return undefined;
    }
    case 'erase': {
      if (!allowStore(argv, io.env)) throw new Answer(refusedText('erase'));
      const url = (await readInput(io.stdin, MAX_URL_INPUT)).trim();
      if (url === '') throw new Answer('no credentials server URL');
      const [{ parseServerUrl }, { eraseCredentials }] = await Promise.all([import('./server-url.js'), import('./store.js')]);
      if (!(await eraseCredentials(parseServerUrl(url), io.env))) throw new Answer(NOT_FOUND);
      return undefined;
    }
    default:
      throw new Answer(`${NAME}: unknown action: ${action.slice(0, 100)}`);
  }
}
