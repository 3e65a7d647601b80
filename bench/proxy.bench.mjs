// The auth-injecting registry proxy (`ocm proxy serve`, issue 13) against direct access to the same
// token-auth docker-registry, in one run, with the same client (skopeo) both ways, plus
// distribution's own pull-through cache (docker-registry in proxy mode, cold cache) as the peer.
// Each run pushes a fresh random 256 MiB single-layer image directly and another one through the
// proxy (fresh digests: no blob-info-cache or existence short-cuts), then pulls each back to a
// `dir:`; a raw Node GET of the blob (no hash) shows the data path without skopeo's CPU cost.
// Proxy peak RSS (VmHWM) is read after the 256 MiB runs and after one 64 MiB push+pull on a
// fresh proxy. Env: BENCH_SIZE_MB (default 256), BENCH_RUNS (default 3). Needs `npm run build`.
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, machine, measureWithTime, repoRoot, writeSection } from './lib.mjs';

const dist = (p) => join(repoRoot, 'dist', 'testing', p);
if (!existsSync(dist('proxy-e2e.js'))) throw new Error('dist/ is missing: run "npm run build" first');
const { startRegistry, freePort, registryBinary } = await import(dist('registry.js'));
const { makeClient, proxyConfigYaml, startProxyCli, procStats, basic } = await import(dist('proxy-e2e.js'));
const { writeOciLayout } = await import(dist('image-fixture.js'));

const SIZE_MB = Number(process.env.BENCH_SIZE_MB ?? 256);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const MiB = 1024 * 1024;
const work = mkdtempSync(join(tmpdir(), 'ocm-bench-proxy-'));
const stops = [];
const cleanup = async () => {
  for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
};
const load0 = loadavg()[0];

// --- peers ------------------------------------------------------------------------------------
const upstream = await startRegistry({ auth: 'token', users: [{ username: 'alice', password: `bench-${Date.now()}` }] });
stops.push(() => upstream.stop());
const alice = upstream.users[0];
const ci = makeClient('ci');
const config = join(work, '.ocmconfig');
writeFileSync(config, proxyConfigYaml([{ name: 'up', address: upstream.url, upstream: alice, access: [{ clients: ['ci'], repositories: ['**'], actions: ['pull', 'push'] }] }], [ci]), { mode: 0o600 });
async function startProxy() {
  const p = await startProxyCli({ config, dir: work });
  stops.push(() => p.stop());
  return p;
}
// Auth files for skopeo: direct = alice at the registry; proxy = the client token at the proxy.
function authFile(name, host, user, password) {
  const f = join(work, name);
  writeFileSync(f, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }), { mode: 0o600 });
  return f;
}
const directAuth = authFile('direct-auth.json', upstream.host, alice.username, alice.password);

/** distribution in proxy mode in front of the token registry, with a fresh (cold) cache. */
async function startPullThrough() {
  const dir = mkdtempSync(join(work, 'ptc-'));
  const port = await freePort();
  const yml = join(dir, 'config.yml');
  writeFileSync(yml, [
    'version: 0.1', 'log:', '  level: error', '  accesslog:', '    disabled: true', 'storage:', '  filesystem:', `    rootdirectory: ${JSON.stringify(join(dir, 'data'))}`,
    'http:', `  addr: 127.0.0.1:${port}`, 'proxy:', `  remoteurl: ${upstream.url}`, `  username: ${alice.username}`, `  password: ${JSON.stringify(alice.password)}`, '',
  ].join('\n'), { mode: 0o600 });
  const child = spawn(registryBinary(), ['serve', yml], { stdio: 'ignore' });
  const stop = () => new Promise((resolve) => { if (child.exitCode !== null || child.signalCode !== null) return resolve(); child.once('exit', resolve); child.kill('SIGTERM'); });
  stops.push(stop);
  for (let i = 0; i < 100; i++) {
    const ok = await get(`http://127.0.0.1:${port}/v2/`).then((r) => r.status === 200, () => false);
    if (ok) return { host: `127.0.0.1:${port}`, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('pull-through cache did not start');
}

/** GET, counting (not keeping) the body. */
function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request(url, { headers, agent: false }, (res) => {
      let bytes = 0;
      const chunks = [];
      res.on('data', (c) => { bytes += c.length; if (bytes < 65536) chunks.push(c); });
      res.on('end', () => resolve({ status: res.statusCode, bytes, ms: Number(process.hrtime.bigint() - t0) / 1e6, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
async function bearerFor(repo, actions = 'pull') {
  const ts = upstream.tokenServer;
  const r = await get(`${ts.realm}?service=${encodeURIComponent(ts.service)}&scope=${encodeURIComponent(`repository:${repo}:${actions}`)}`, { authorization: basic(alice.username, alice.password) });
  return `Bearer ${JSON.parse(r.body).token}`;
}
/** Monolithic upload (POST, then one PUT streaming the file with Content-Length); resolves the PUT's duration. */
async function rawPush(repoUrl, authorization, file, digest, size) {
  const start = await new Promise((resolve, reject) => {
    const req = request(`${repoUrl}/blobs/uploads/`, { method: 'POST', headers: { authorization, 'content-length': '0' }, agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res)); });
    req.on('error', reject);
    req.end();
  });
  if (start.statusCode !== 202) throw new Error(`raw push POST: ${start.statusCode}`);
  const loc = new URL(start.headers.location, repoUrl);
  loc.searchParams.set('digest', digest);
  const t0 = process.hrtime.bigint();
  const status = await new Promise((resolve, reject) => {
    const req = request(loc, { method: 'PUT', headers: { authorization, 'content-type': 'application/octet-stream', 'content-length': String(size) }, agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
  if (status !== 201) throw new Error(`raw push PUT: ${status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

// --- measurements -----------------------------------------------------------------------------
const results = {};
let layerBytes = 0;
function record(name, ms, bytes) {
  (results[name] ??= []).push(bytes / 1e6 / (ms / 1000));
  console.log(`${name}: ${fmt(ms / 1000)} s, ${fmt(bytes / 1e6 / (ms / 1000), 0)} MB/s`);
}
async function skopeo(name, args, bytes) {
  const r = await measureWithTime('skopeo', ['copy', '-q', ...args], { env: { ...process.env, HOME: work } });
  if (r.code !== 0) throw new Error(`${name} failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  record(name, r.ms, bytes);
}
async function image(tag, sizeMb = SIZE_MB) {
  const dir = join(work, `img-${tag}`);
  const l = await writeOciLayout(dir, { single: true, layerSizes: [sizeMb * MiB], tag });
  const idx = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(join(dir, 'blobs', 'sha256', l.root.digest.slice(7)), 'utf8')));
  return { dir, tag, layer: idx.layers[0] };
}
const outDir = (n) => { const d = join(work, `out-${n}`); rmSync(d, { recursive: true, force: true }); return d; };

let proxy;
let rss64;
let rss256;
try {
  proxy = await startProxy();
  const proxyAuth = authFile('proxy-auth.json', proxy.host, ci.name, ci.token);
  for (let run = 0; run < RUNS; run++) {
    console.log(`--- run ${run + 1}/${RUNS}`);
    const d = await image(`d${run}`);
    const p = await image(`p${run}`);
    layerBytes = d.layer.size;
    // Interleaved: direct, then proxy, for each step (same load for both).
    await skopeo('push direct', ['--dest-tls-verify=false', '--dest-authfile', directAuth, `oci:${d.dir}:${d.tag}`, `docker://${upstream.host}/bench/d${run}:${d.tag}`], d.layer.size);
    await skopeo('push proxy', ['--dest-tls-verify=false', '--dest-authfile', proxyAuth, `oci:${p.dir}:${p.tag}`, `docker://${proxy.host}/up/bench/p${run}:${p.tag}`], p.layer.size);
    await skopeo('pull direct', ['--src-tls-verify=false', '--src-authfile', directAuth, `docker://${upstream.host}/bench/d${run}:${d.tag}`, `dir:${outDir('d')}`], d.layer.size);
    await skopeo('pull proxy', ['--src-tls-verify=false', '--src-authfile', proxyAuth, `docker://${proxy.host}/up/bench/p${run}:${p.tag}`, `dir:${outDir('p')}`], p.layer.size);
    const ptc = await startPullThrough();
    await skopeo('pull pull-through cache (cold)', ['--src-tls-verify=false', `docker://${ptc.host}/bench/d${run}:${d.tag}`, `dir:${outDir('c')}`], d.layer.size);
    await ptc.stop();
    const rawD = await get(`${upstream.url}/v2/bench/d${run}/blobs/${d.layer.digest}`, { authorization: await bearerFor(`bench/d${run}`) });
    const rawP = await get(`${proxy.url}/v2/up/bench/p${run}/blobs/${p.layer.digest}`, { authorization: basic(ci.name, ci.token) });
    if (rawD.status !== 200 || rawP.status !== 200 || rawD.bytes !== d.layer.size || rawP.bytes !== p.layer.size) throw new Error(`raw GET: ${rawD.status}/${rawP.status}`);
    record('pull raw GET direct', rawD.ms, rawD.bytes);
    record('pull raw GET proxy', rawP.ms, rawP.bytes);
    const layerFile = (img) => join(img.dir, 'blobs', 'sha256', img.layer.digest.slice(7));
    record('push raw PUT direct', await rawPush(`${upstream.url}/v2/bench/rd${run}`, await bearerFor(`bench/rd${run}`, 'pull,push'), layerFile(d), d.layer.digest, d.layer.size), d.layer.size);
    record('push raw PUT proxy', await rawPush(`${proxy.url}/v2/up/bench/rp${run}`, basic(ci.name, ci.token), layerFile(p), p.layer.digest, p.layer.size), p.layer.size);
    for (const n of ['d', 'p', 'c']) rmSync(join(work, `out-${n}`), { recursive: true, force: true });
    rmSync(d.dir, { recursive: true, force: true });
    rmSync(p.dir, { recursive: true, force: true });
  }
  rss256 = procStats(proxy.pid).hwmKiB / 1024;
  await proxy.stop();
  // Same traffic shape with a 64 MiB image on a fresh proxy: peak RSS must not scale with the blob.
  const small = await startProxy();
  const smallAuth = authFile('proxy-auth-64.json', small.host, ci.name, ci.token);
  const s = await image('s64', 64);
  await skopeo('push proxy 64 MiB', ['--dest-tls-verify=false', '--dest-authfile', smallAuth, `oci:${s.dir}:${s.tag}`, `docker://${small.host}/up/bench/s64:${s.tag}`], s.layer.size);
  await skopeo('pull proxy 64 MiB', ['--src-tls-verify=false', '--src-authfile', smallAuth, `docker://${small.host}/up/bench/s64:${s.tag}`, `dir:${outDir('s')}`], s.layer.size);
  const rawS = await get(`${small.url}/v2/up/bench/s64/blobs/${s.layer.digest}`, { authorization: basic(ci.name, ci.token) });
  if (rawS.status !== 200) throw new Error(`raw GET 64: ${rawS.status}`);
  rss64 = procStats(small.pid).hwmKiB / 1024;
  await small.stop();
} finally {
  await cleanup();
}

// --- report -----------------------------------------------------------------------------------
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const m = (k) => median(results[k] ?? [NaN]);
const range = (k) => `${fmt(Math.min(...results[k]), 0)}–${fmt(Math.max(...results[k]), 0)}`;
const rows = ['push direct', 'push proxy', 'pull direct', 'pull proxy', 'pull pull-through cache (cold)', 'pull raw GET direct', 'pull raw GET proxy', 'push raw PUT direct', 'push raw PUT proxy']
  .map((k) => `| ${k} | ${fmt(m(k), 0)} | ${range(k)} |`);
const ratio = (a, b) => fmt(m(a) / m(b));
const perRun = (a, b) => results[a].map((x, i) => fmt(x / results[b][i])).join(', ');
const pushOk = m('push proxy') / m('push direct') >= 0.9;
const pullOk = m('pull proxy') / m('pull direct') >= 0.9;
writeSection('proxy', `
## Registry proxy: \`ocm proxy serve\` vs direct vs distribution's pull-through cache (\`bench/proxy.bench.mjs\`)

${new Date().toISOString().slice(0, 10)}, ${machine()}. 1-min load average ${fmt(load0, 1)} at start, ${fmt(loadavg()[0], 1)} at end.
Upstream: docker-registry 2.8.2 with token auth (project token server) on 127.0.0.1. Client: skopeo 1.9.3 both ways
(\`copy oci:→docker://\` to push, \`docker://→dir:\` to pull), auth files only. Each run pushes a fresh random
${SIZE_MB} MiB single-layer image (layer ${layerBytes} bytes) directly and another through the proxy, then pulls each back;
the pull-through cache (docker-registry \`proxy: remoteurl\` with alice's username/password, pull only) is started
cold per run and pulls the directly pushed image. "raw GET" = one Node \`http.get\` of the blob, body counted, not hashed.
Median of ${RUNS} run(s) (min–max), MB/s of the layer; MB = 10^6 bytes.

| what | MB/s (median) | min–max |
|---|---|---|
${rows.join('\n')}

Ratios (goal ≥ 0.9 both ways):
- push proxy / direct = **${ratio('push proxy', 'push direct')}**${pushOk ? '' : ' (below goal)'} (per run ${perRun('push proxy', 'push direct')})
- pull proxy / direct = **${ratio('pull proxy', 'pull direct')}**${pullOk ? '' : ' (below goal)'} (per run ${perRun('pull proxy', 'pull direct')})
- pull-through cache (cold) / direct = ${ratio('pull pull-through cache (cold)', 'pull direct')}; proxy / pull-through cache = ${ratio('pull proxy', 'pull pull-through cache (cold)')}
- raw GET proxy / direct = ${ratio('pull raw GET proxy', 'pull raw GET direct')}, raw PUT proxy / direct = ${ratio('push raw PUT proxy', 'push raw PUT direct')} (the data path without skopeo's CPU cost)
- median of the per-run ratios: push ${fmt(median(results['push proxy'].map((x, i) => x / results['push direct'][i])))}, pull ${fmt(median(results['pull proxy'].map((x, i) => x / results['pull direct'][i])))}

Proxy peak RSS (VmHWM of the \`ocm proxy serve\` process): **${fmt(rss64, 0)} MiB** after a 64 MiB push + pull,
**${fmt(rss256, 0)} MiB** after ${RUNS} × ${SIZE_MB} MiB push + pull + raw GET (a fresh proxy each): flat in blob size means
bodies are streamed, never buffered. Numbers vary ±30 % between runs on this shared 2-core machine.
`);
console.log('wrote bench/results/proxy.md');
