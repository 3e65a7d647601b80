/** Test helpers: build tar/tgz archives (also malicious ones) with tar-stream; snapshot directories. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

export interface TestEntry {
  name: string;
  content?: string | Buffer;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  linkname?: string;
}

export async function makeTar(entries: readonly TestEntry[], gzip = false): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = e.content === undefined ? Buffer.alloc(0) : Buffer.from(e.content);
    await new Promise<void>((res, rej) => {
      const header = { name: e.name, type, mode: type === 'file' ? 0o644 : 0o755, ...(e.linkname ? { linkname: e.linkname } : {}) };
      pack.entry(header, type === 'file' ? body : Buffer.alloc(0), (err) => (err ? rej(err) : res()));
    });
  }
  pack.finalize();
  await done;
  const buf = Buffer.concat(chunks);
  return gzip ? gzipSync(buf) : buf;
}

/** Every file below `dir` (relative path → bytes), for before/after comparisons. */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(rel: string): Promise<void> {
    const abs = join(dir, rel);
    const s = await stat(abs);
    if (s.isDirectory()) {
      for (const n of (await readdir(abs)).sort()) await walk(rel ? `${rel}/${n}` : n);
    } else {
      out.set(rel, (await readFile(abs)).toString('base64'));
    }
  }
  await walk('');
  return out;
}
