import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { proxyStateFromConfig } from './config.js';
import { createReloadingStateSource } from './reload.js';

const T = 'connectors.config.ocm.software/v1alpha1';
const doc = (address: string) => `type: ${T}\nconnectors:\n  - name: acme\n    address: ${address}\n`;

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ocm-proxy-reload-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const loader = (file: string) => async () => proxyStateFromConfig(await loadConfig({ files: [file] }));

test('reload on demand: a broken new config keeps the old state and reports the error; a good one applies', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, doc('https://one.example'));
    const errors: unknown[] = [];
    const src = await createReloadingStateSource({ load: loader(file), watch: false, onError: (e) => errors.push(e) });
    try {
      const before = src.current();
      assert.equal(before.connectors.get('acme')!.upstream.host, 'one.example');
      await writeFile(file, doc('https://one.example/with/path'));
      assert.equal(await src.reload(), false);
      assert.equal(src.current(), before, 'old snapshot kept');
      assert.match(String(errors[0]), /connectors\[0\]\.address must be an upstream root/);
      await writeFile(file, 'type: [');
      assert.equal(await src.reload(), false);
      assert.equal(src.current(), before);
      await writeFile(file, doc('https://two.example'));
      assert.equal(await src.reload(), true);
      assert.equal(src.current().connectors.get('acme')!.upstream.host, 'two.example');
      // A request that took `before` still sees its snapshot.
      assert.equal(before.connectors.get('acme')!.upstream.host, 'one.example');
    } finally {
      src.close();
    }
  });
});

test('file change (also replace-by-rename, as editors do) reloads after the debounce', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, doc('https://one.example'));
    const reloads: string[] = [];
    const errors: unknown[] = [];
    const src = await createReloadingStateSource({ load: loader(file), debounceMs: 50, onReload: (_s, cause) => reloads.push(cause), onError: (e) => errors.push(e) });
    try {
      await writeFile(file, doc('https://two.example'));
      await waitFor(() => src.current().connectors.get('acme')!.upstream.host === 'two.example');
      await writeFile(`${file}.tmp`, doc('https://three.example'));
      await rename(`${file}.tmp`, file);
      await waitFor(() => src.current().connectors.get('acme')!.upstream.host === 'three.example');
      assert.ok(reloads.every((c) => c === 'change'));
      await writeFile(file, 'connectors: [');
      await waitFor(() => errors.length > 0);
      assert.equal(src.current().connectors.get('acme')!.upstream.host, 'three.example');
    } finally {
      src.close();
    }
  });
});
