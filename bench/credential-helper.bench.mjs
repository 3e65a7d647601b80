// `ocm-credential-helper get` per call (issue 12): a cache hit (agent warm) and a miss (standalone,
// resolving against the real htpasswd registry and the token-auth registry of the test kit), next to
// bare `node -e ''`, the Go helper `docker-credential-pass get` (Debian golang-docker-credential-helpers
// + pass, throw-away GNUPGHOME/PASSWORD_STORE_DIR with a passphrase-less key) and `docker-credential-ocm
// get`. All cases interleaved, BENCH_RUNS (default 30) each; wall time of spawn → exit, stdin piped.
// Goal: a cache hit within 1.2× bare node start-up. Needs `npm run build`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, machine, writeSection, fmt } from './lib.mjs';

const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 30));
// The package's bin: the CommonJS bundle of the start-up path (scripts/bundle-helper.mjs).
const helperBin = join(repoRoot, 'dist', 'bin', 'ocm-credential-helper.cjs');
const dockerOcmBin = join(repoRoot, 'dist', 'bin', 'docker-credential-ocm.js');
const hasDockerOcm = existsSync(dockerOcmBin) && !readFileSync(dockerOcmBin, 'utf8').includes('not built yet');
if (!existsSync(helperBin)) throw new Error(`${helperBin} is missing: run "npm run build" first`);
const { startRegistry } = await import(join(repoRoot, 'dist', 'testing', 'registry.js'));

const load0 = loadavg()[0];
const work = mkdtempSync(join(tmpdir(), 'ocm-bench-ch-'));
const cleanups = [];
const cleanup = async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  rmSync(work, { recursive: true, force: true });
};
const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

/** Spawns and waits; wall ms from spawn to exit. Fails the bench on a non-zero exit. */
function timed(label, cmd, args, input, env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, cwd: home, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      code === 0 ? resolve({ ms, out }) : reject(new Error(`${label}: exit ${code}: ${err.trim()}`));
    });
  });
}

const home = join(work, 'home');
const runtime = join(work, 'run');
mkdirSync(home, { recursive: true });
mkdirSync(runtime, { mode: 0o700 });
const baseEnv = { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: runtime, DOCKER_CONFIG: join(home, '.docker') };

let result;
try {
  const basic = await startRegistry({ auth: 'htpasswd', users: [{ username: 'bench', password: 'bench-basic-pw' }] });
  cleanups.push(() => basic.stop());
  const token = await startRegistry({ auth: 'token', users: [{ username: 'bench', password: 'bench-token-pw', actions: ['pull'] }] });
  cleanups.push(() => token.stop());
  const consumer = (reg, pw) => `  - identity: {type: OCIRegistry, hostname: 127.0.0.1, port: "${reg.port}"}
    credentials:
    - type: Credentials/v1
      properties: {username: bench, password: "${pw}"}
`;
  writeFileSync(join(home, '.ocmconfig'), `type: generic.config.ocm.software/v1
configurations:
- type: credentials.config.ocm.software
  consumers:
${consumer(basic, 'bench-basic-pw')}${consumer(token, 'bench-token-pw')}`, { mode: 0o600 });
  const blob = (reg, n) => JSON.stringify({ uri: `${reg.url}/v2/bench/app/blobs/sha256:${String(n % 10).repeat(64)}` });
  const standalone = { ...baseEnv, CREDENTIAL_HELPER_STANDALONE: '1' };

  // The agent: started by the first get, shut down (by protocol, then by PID) at the end.
  cleanups.push(async () => {
    spawnSync(process.execPath, [helperBin, 'agent-shutdown'], { env: baseEnv, stdio: 'ignore' });
    const pidFile = join(runtime, 'ocm', 'credential-helper', 'agent.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
    if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  });
  const warm = await timed('warm-up', process.execPath, [helperBin, 'get'], blob(token, 0), baseEnv);
  if (!JSON.parse(warm.out).headers?.Authorization?.[0]?.startsWith('Bearer ')) throw new Error('warm-up did not answer with a Bearer token');

  // docker-credential-pass with a throw-away keyring and store.
  let passEnv;
  const gnupg = join(work, 'gnupg');
  if (spawnSync('docker-credential-pass', ['version']).status === 0 && spawnSync('pass', ['version']).status === 0) {
    mkdirSync(gnupg, { mode: 0o700 });
    passEnv = { ...baseEnv, GNUPGHOME: gnupg, PASSWORD_STORE_DIR: join(work, 'pass') };
    cleanups.push(async () => void spawnSync('gpgconf', ['--kill', 'all'], { env: passEnv, stdio: 'ignore' }));
    const sh = (cmd, args, input) => {
      const r = spawnSync(cmd, args, { env: passEnv, input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    sh('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'bench@example.invalid', 'default', 'default', 'never']);
    const fpr = /^fpr:+([0-9A-F]+):/m.exec(sh('gpg', ['--with-colons', '--list-keys']))[1];
    sh('pass', ['init', fpr]);
    sh('docker-credential-pass', ['store'], JSON.stringify({ ServerURL: basic.host, Username: 'bench', Secret: 'bench-basic-pw' }));
  }

  const cases = [
    ['bare `node -e \'\'` (reference)', process.execPath, ['-e', ''], '', baseEnv],
    ['**ocm-credential-helper get, cache hit** (agent warm)', process.execPath, [helperBin, 'get'], (i) => blob(token, i), baseEnv],
    ['ocm-credential-helper get, miss: htpasswd registry (standalone)', process.execPath, [helperBin, 'get'], (i) => blob(basic, i), standalone],
    ['ocm-credential-helper get, miss: token registry, token exchange (standalone)', process.execPath, [helperBin, 'get'], (i) => blob(token, i), standalone],
    ...(passEnv ? [['docker-credential-pass get (Go, gpg decrypt)', 'docker-credential-pass', ['get'], basic.host, passEnv]] : []),
    ...(hasDockerOcm ? [['docker-credential-ocm get (htpasswd registry host)', process.execPath, [dockerOcmBin, 'get'], basic.host, baseEnv]] : []),
  ];
  const samples = cases.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [k, [label, cmd, args, input, env]] of cases.entries()) {
      const r = await timed(label, cmd, args, typeof input === 'function' ? input(i) : input, env);
      // A hit must be a hit: the warm-up's answer, byte for byte.
      if (k === 1 && r.out !== warm.out) throw new Error('cache hit case did not answer from the cache');
      samples[k].push(r.ms);
    }
  }
  result = cases.map(([label], k) => ({ label, median: q(samples[k], 0.5), p90: q(samples[k], 0.9) }));
  if (!passEnv) result.push({ label: 'docker-credential-pass get', median: NaN, p90: NaN });
  if (!hasDockerOcm) result.push({ label: 'docker-credential-ocm get', median: NaN, p90: NaN });
} finally {
  await cleanup();
}

const bare = result[0];
const hit = result[1];
const rows = result.map((r) => `| ${r.label} | ${fmt(r.median, 1)} | ${fmt(r.p90, 1)} | ${fmt(r.median / bare.median)}× |`).join('\n');
const pass = result.find((r) => r.label.startsWith('docker-credential-pass'));
writeSection('credential-helper', `## Credential helpers (\`bench/credential-helper.bench.mjs\`)

${new Date().toISOString().slice(0, 10)}, ${machine()}. 1-min load average ${load0.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end.
Goal (issue 12): \`ocm-credential-helper get\` on a cache hit within 1.2× bare node start-up.

**Per call** (${RUNS} interleaved runs each; wall time spawn → exit, request piped on stdin), ms:

| call | median | p90 | × bare node |
|---|---|---|---|
${rows}

Cache hit / bare node: **${fmt(hit.median / bare.median)}×** (median); cache hit / docker-credential-pass: ${pass && !Number.isNaN(pass.median) ? `${fmt(hit.median / pass.median)}×` : 'n/a'}.

The \`ocm-credential-helper\` bin is one CommonJS bundle of the start-up path
(\`dist/bin/ocm-credential-helper.cjs\`, scripts/bundle-helper.mjs): a hit loads that file and node builtins
only, no ES module of ours (pinned by \`main.test.ts\`), so it skips the ES module loader's start-up (an
empty \`.mjs\` costs ~6–8 ms over \`node -e ''\` here) and per-module resolution. It reads stdin and writes
stdout by file descriptor (creating the \`process.stdin\`/\`stdout\` streams cost ~5 ms), hashes the
fingerprint without \`node:crypto\` (loading it cost 7–10 ms), starts connecting to the agent before reading
the request, and makes one round trip. With the four ES modules instead of the bundle a hit was 1.26× on an
idle machine (hyperfine: 121 vs 96 ms) and 1.42–1.56× in this bench at load 1.5–4; the rest is the
\`node:fs\`/\`node:net\` facades and the agent round trip, which needs a second process scheduled and so
suffers most when the 2 shared cores are busy. Measured and rejected: a V8 startup snapshot
(\`--build-snapshot\` with \`node:net\`/\`node:fs\` preloaded: 138 ms vs 105 ms for bare node — deserialising the
4 MB blob costs more than it saves, and it needs a node flag that an npm \`bin\` shebang cannot pass portably). A miss
costs the session, config and credential graph loads plus the registry round trips (probe, and for the token registry the token GET).
`);
console.log(readFileSync(join(repoRoot, 'bench', 'results', 'credential-helper.md'), 'utf8'));
