/** scripts/check-layers.mjs on small source trees: layer direction, test-kit use, fixtures outside testing/, import cycles. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, tempDir } from './fixtures.js';

const run = promisify(execFile);
const script = join(repoRoot, 'scripts', 'check-layers.mjs');

async function check(src?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, src === undefined ? [script] : [script, src]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const { code, stdout, stderr } = e as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

const cases: { name: string; files: Record<string, string>; problems: string[] }[] = [
  {
    name: 'imports pointing downwards pass',
    files: { 'runtime/a.ts': 'export const a = 1;\n', 'cli/b.ts': "import { a } from '../runtime/a.js';\nexport const b = a;\n" },
    problems: [],
  },
  {
    name: 'an import pointing upwards fails',
    files: { 'runtime/a.ts': "import { b } from '../cli/b.js';\nexport const a = b;\n", 'cli/b.ts': 'export const b = 1;\n' },
    problems: ['runtime/a.ts (layer runtime) imports ../cli/b.js (layer cli): imports must point downwards'],
  },
  {
    name: 'library code importing the test kit fails',
    files: { 'ctf/a.ts': "import { t } from '../testing/t.js';\nexport const a = t;\n", 'testing/t.ts': 'export const t = 1;\n' },
    problems: ['ctf/a.ts imports test kit ../testing/t.js'],
  },
  {
    name: 'a library file only tests import, directly or through another such file, fails (a fixture outside testing/)',
    files: {
      'transfer/graph.ts': 'export const g = 1;\n',
      'transfer/pair.ts': "import { g } from './graph.js';\nexport const p = g;\n",
      'transfer/x.test.ts': "import { p } from './pair.js';\nvoid p;\n",
    },
    problems: [
      'transfer/pair.ts is imported only by tests (transfer/x.test.ts): move it to src/testing/ so it is not shipped',
      'transfer/graph.ts is imported only by tests (transfer/pair.ts): move it to src/testing/ so it is not shipped',
    ],
  },
  {
    name: 'a run-time import cycle fails with its file chain',
    files: {
      'runtime/c.ts': "import { a } from './a.js';\nexport const c = () => a;\n",
      'runtime/a.ts': "import {\n  b,\n} from './b.js';\nexport const a = () => b;\n",
      'runtime/b.ts': "export { c as b } from './c.js';\n",
      'runtime/index.ts': "export * from './a.js';\n",
    },
    problems: ['import cycle: runtime/a.ts -> runtime/b.ts -> runtime/c.ts -> runtime/a.ts: move the shared part into a module both import'],
  },
  {
    name: 'a cycle through a type-only import or a lazy import() passes (neither runs at module evaluation)',
    files: {
      'oci/remote/client.ts': "import { Repo } from './repository.js';\nexport class Client { repo = new Repo(); }\n",
      'oci/remote/repository.ts': "import type { Client } from './client.js';\nexport class Repo { client?: Client; up = () => import('./upload.js'); }\n",
      'oci/remote/upload.ts': "import { Repo } from './repository.js';\nexport const u = Repo;\n",
      'oci/remote/index.ts': "export * from './client.js';\n",
    },
    problems: [],
  },
];

for (const c of cases) {
  test(`layer check: ${c.name}`, async (t) => {
    const dir = await tempDir('ocm-ts-layers-');
    t.after(dir.dispose);
    for (const [rel, text] of Object.entries(c.files)) {
      await mkdir(dirname(join(dir.path, rel)), { recursive: true });
      await writeFile(join(dir.path, rel), text);
    }
    const r = await check(dir.path);
    if (c.problems.length === 0) {
      assert.equal(r.code, 0, r.stderr);
    } else {
      assert.equal(r.code, 1);
      assert.deepEqual(r.stderr.trim().split('\n').slice(1).map((l) => l.trim()).sort(), [...c.problems].sort());
    }
  });
}

test('layer check: the src/ tree passes (no upward import, no fixture outside testing/, no import cycle)', async () => {
  const r = await check();
  assert.equal(r.code, 0, r.stderr);
});
