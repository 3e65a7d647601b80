import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { repoRoot } from '../../testing/fixtures.js';
import { main, NOT_FOUND } from './main.js';

async function run(env: NodeJS.ProcessEnv, input: string): Promise<{ code: number; stdout: string }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const out: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stdin.end(input);
  const code = await main(['get'], { stdin, stdout, stderr: new PassThrough(), env, cwd: env.HOME! });
  return { code, stdout: Buffer.concat(out).toString('utf8') };
}

async function setup(dockerConfig: object): Promise<{ home: string; bin: string; env: NodeJS.ProcessEnv }> {
  const home = await mkdtemp(join(tmpdir(), 'docker-credential-ocm-rec-'));
  const bin = join(home, 'bin');
  await mkdir(join(home, 'docker'), { recursive: true });
  await mkdir(bin);
  await writeFile(join(home, 'docker', 'config.json'), JSON.stringify(dockerConfig));
  // No .ocmconfig: the graph falls back to the docker config (Go's auto-configuration).
  return { home, bin, env: { HOME: home, DOCKER_CONFIG: join(home, 'docker'), PATH: `${bin}:${process.env.PATH}` } };
}

test('the docker config fallback never runs docker-credential-ocm itself (credHelpers or credsStore naming ocm)', async () => {
  for (const cfg of [{ credHelpers: { '127.0.0.1:5999': 'ocm' } }, { credsStore: 'ocm' }]) {
    const { home, bin, env } = await setup(cfg);
    try {
      const marker = join(home, 'called');
      await writeFile(join(bin, 'docker-credential-ocm'), `#!/bin/sh\necho called >> '${marker}'\necho '{"Username":"x","Secret":"y"}'\n`);
      await chmod(join(bin, 'docker-credential-ocm'), 0o755);
      assert.deepEqual(await run(env, '127.0.0.1:5999'), { code: 1, stdout: `${NOT_FOUND}\n` });
      await assert.rejects(readFile(marker), { code: 'ENOENT' });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }
});

test('docker-credential-ocm under another name in credHelpers stops after OCM_CREDENTIAL_HELPER_DEPTH levels instead of looping', async () => {
  const { home, bin, env } = await setup({ credHelpers: { '127.0.0.1:5999': 'ocm2' } });
  try {
    const log = join(home, 'depths');
    await writeFile(
      join(bin, 'docker-credential-ocm2'),
      `#!/bin/sh\necho "$OCM_CREDENTIAL_HELPER_DEPTH" >> '${log}'\nexec '${process.execPath}' '${join(repoRoot, 'dist', 'bin', 'docker-credential-ocm.js')}' "$@"\n`,
    );
    await chmod(join(bin, 'docker-credential-ocm2'), 0o755);
    const started = Date.now();
    const r = await run(env, '127.0.0.1:5999');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^credential helper docker-credential-ocm2 failed for 127\.0\.0\.1:5999: exit 1/);
    assert.ok(Date.now() - started < 20_000);
    assert.deepEqual((await readFile(log, 'utf8')).trim().split('\n'), ['1', '2']);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
