/**
 * Robustness of `ocm proxy serve` under load and faults (issue 13 "Robustness"): the real CLI as a
 * child process, its memory and file descriptors read from /proc; real registries upstream.
 * The proxy runs in loopback open mode (no clients) so the numbers measure the data path.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { httpCall, procStats, proxyWorld, pushBlobRaw, settleFds, type ProxyProcess, type ProxyWorld } from '../../testing/proxy-e2e.js';
import { registryAvailable } from '../../testing/registry.js';

const skip = registryAvailable() ? false : 'docker-registry is not installed';
const MiB = 1024 * 1024;
const CONCURRENT = Number(process.env.OCM_TEST_PROXY_CONCURRENCY ?? 200);

let world: ProxyWorld;
let proxy: ProxyProcess;
let blob: { digest: string; size: number; url: string };

before(async () => {
  if (skip) return;
  world = await proxyWorld();
  const config = await world.writeConfig([world.connectorA(), world.connectorB()], []);
  proxy = await world.startProxy(config);
  const data = randomBytes(64 * MiB);
  const digest = await pushBlobRaw(`${proxy.url}/v2/conn-a/big/blob`, {}, data);
  blob = { digest, size: data.length, url: `${proxy.url}/v2/conn-a/big/blob/blobs/${digest}` };
  await pushBlobRaw(`${proxy.url}/v2/conn-b/small/blob`, {}, Buffer.from('hello b'));
});

after(async () => {
  await world?.dispose();
});

/** Socket inodes of `pid`'s established TCP connections to `port` (its fds matched in /proc/net/tcp{,6}). */
function connectionsTo(pid: number, port: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  const found = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const remPort = parseInt(f[2]!.split(':')[1]!, 16);
      if (remPort === port && f[3] === '01' && inodes.has(f[9]!)) found.add(f[9]!);
    }
  }
  return found;
}

test(`${CONCURRENT} concurrent pulls of a 64 MiB blob complete with bounded memory and no fd growth`, { skip, timeout: 120_000 }, async () => {
  // Warm up (token exchange, connection pool), then take the baseline after a settle.
  const warm = await httpCall(blob.url, { keepBytes: 0 });
  assert.equal(warm.status, 200);
  await new Promise((r) => setTimeout(r, 500));
  const base = procStats(proxy.pid);
  const started = Date.now();
  // Sampled while the pulls run: shows they really were concurrent (one client socket each).
  let maxFds = 0;
  const sampler = setInterval(() => {
    maxFds = Math.max(maxFds, procStats(proxy.pid).fds);
  }, 250);
  let hashed = '';
  const results = await Promise.all(
    Array.from({ length: CONCURRENT }, (_, i) =>
      new Promise<{ status: number; bytes: number }>((resolve, reject) => {
        const req = request(blob.url, { agent: false }, (res) => {
          const hash = i === 0 ? createHash('sha256') : undefined;
          let bytes = 0;
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            hash?.update(c);
          });
          res.on('end', () => {
            if (hash) hashed = `sha256:${hash.digest('hex')}`;
            resolve({ status: res.statusCode ?? 0, bytes });
          });
          res.on('error', reject);
        });
        req.setTimeout(110_000, () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      }),
    ),
  );
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  const peak = procStats(proxy.pid);
  assert.deepEqual(
    results.filter((r) => r.status !== 200 || r.bytes !== blob.size),
    [],
    'every pull got the whole blob',
  );
  assert.equal(hashed, blob.digest, 'the bytes are the blob');
  const fdsAfter = await settleFds(proxy.pid, base.fds + 4, 15_000);
  console.error(
    `# ${CONCURRENT} x 64 MiB through the proxy: ${seconds.toFixed(1)} s, ${((CONCURRENT * blob.size) / 1e6 / seconds).toFixed(0)} MB/s; ` +
      `proxy VmHWM ${(peak.hwmKiB / 1024).toFixed(0)} MiB (before ${(base.hwmKiB / 1024).toFixed(0)} MiB); fds ${base.fds} before, ${maxFds} at most during, ${fdsAfter} after`,
  );
  assert.ok(peak.hwmKiB < 300 * 1024, `proxy peak RSS ${peak.hwmKiB} KiB >= 300 MiB`);
  assert.ok(maxFds >= CONCURRENT, `only ${maxFds} fds during ${CONCURRENT} pulls: were they concurrent?`);
  assert.ok(fdsAfter <= base.fds + 4, `proxy fds grew: ${base.fds} -> ${fdsAfter}`);
});

test('a client that disconnects mid-blob frees everything: fds back, upstream connection closed, no buffering meanwhile', { skip, timeout: 60_000 }, async () => {
  await new Promise((r) => setTimeout(r, 200));
  const base = procStats(proxy.pid);
  let rssWhilePaused = 0;
  let upstreamWhilePaused = new Set<string>();
  await new Promise<void>((resolve, reject) => {
    const req = request(blob.url, { agent: false }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      let got = 0;
      res.on('data', (c: Buffer) => {
        got += c.length;
        if (got >= MiB && !res.isPaused()) {
          // A slow client: stop reading for a while; the proxy must not buffer the rest meanwhile.
          res.pause();
          setTimeout(() => {
            rssWhilePaused = procStats(proxy.pid).rssKiB;
            upstreamWhilePaused = connectionsTo(proxy.pid, world.a.port);
            req.destroy();
            resolve();
          }, 1500);
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', () => undefined);
    req.end();
  });
  assert.ok(upstreamWhilePaused.size >= 1, 'the upstream transfer was open while the client paused');
  assert.ok(rssWhilePaused - base.rssKiB < 40 * 1024, `proxy RSS grew by ${rssWhilePaused - base.rssKiB} KiB while the client paused (buffering?)`);
  const fdsAfter = await settleFds(proxy.pid, base.fds + 1, 10_000);
  assert.ok(fdsAfter <= base.fds + 1, `fds ${base.fds} -> ${fdsAfter}`);
  // The upstream connection that carried the transfer is closed (not drained into the pool).
  const deadline = Date.now() + 10_000;
  const survivors = () => [...connectionsTo(proxy.pid, world.a.port)].filter((i) => upstreamWhilePaused.has(i));
  while (survivors().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(survivors(), [], 'upstream connections of the aborted transfer still open');
  // Still serving.
  const again = await httpCall(blob.url, { keepBytes: 0 });
  assert.equal(again.status, 200);
  assert.equal(again.bytes, blob.size);
});

test('upstream B down: 502/503 with a distribution error body, while connector A keeps serving', { skip, timeout: 60_000 }, async () => {
  const okB = await httpCall(`${proxy.url}/v2/conn-b/small/blob/blobs/sha256:${createHash('sha256').update('hello b').digest('hex')}`);
  assert.equal(okB.status, 200);
  await world.b.stop();
  const down = await httpCall(`${proxy.url}/v2/conn-b/small/blob/manifests/v1`, { timeoutMs: 45_000 });
  assert.ok(down.status === 502 || down.status === 503, `${down.status} ${down.body.toString()}`);
  const body = JSON.parse(down.body.toString()) as { errors: { code: string; message: string }[] };
  assert.ok(body.errors.length > 0 && typeof body.errors[0]!.code === 'string', down.body.toString());
  const a = await httpCall(blob.url, { keepBytes: 0 });
  assert.equal(a.status, 200);
  assert.equal(a.bytes, blob.size);
  const health = await httpCall(`${proxy.url}/healthz`);
  assert.equal(health.status, 200);
});

test('SIGTERM during a blob pull: the transfer in flight completes, then the proxy exits 0', { skip, timeout: 60_000 }, async () => {
  const config = await world.writeConfig([world.connectorA()], [], 'graceful.ocmconfig');
  const p = await world.startProxy(config);
  const url = `${p.url}/v2/conn-a/big/blob/blobs/${blob.digest}`;
  const hash = createHash('sha256');
  let signalled = false;
  const bytes = await new Promise<number>((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => {
        n += c.length;
        hash.update(c);
        if (!signalled && n >= MiB) {
          signalled = true;
          process.kill(p.pid, 'SIGTERM');
        }
      });
      res.on('end', () => resolve(n));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  assert.ok(signalled);
  assert.equal(bytes, blob.size);
  assert.equal(`sha256:${hash.digest('hex')}`, blob.digest);
  const exit = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
  assert.deepEqual(exit, { code: 0, signal: null }, p.stderr());
  // New connections are refused once it has stopped.
  await assert.rejects(httpCall(`${p.url}/healthz`, { timeoutMs: 2000 }));
});
