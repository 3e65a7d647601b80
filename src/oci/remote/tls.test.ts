/**
 * HTTPS end to end against the real registry serving TLS with a self-signed certificate for
 * 127.0.0.1 (trusted through NODE_EXTRA_CA_CERTS, as users add a private CA): push with Basic
 * credentials from .ocmconfig, then a download whose blob GET takes the fast socket path over TLS.
 * A large resource makes that path stream many records; an untrusted certificate is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { registryAvailable, startRegistry } from '../../testing/registry.js';
import { runOcm } from '../../testing/cli.js';
import { tempDir } from '../../testing/fixtures.js';

test('push and download over HTTPS with a private CA; an untrusted certificate fails clearly', { skip: !registryAvailable() && 'docker-registry not installed' }, async (t) => {
  const reg = await startRegistry({ tls: true, auth: 'htpasswd', users: [{ username: 'tlsuser', password: 'tls-secret-1' }] });
  t.after(() => reg.stop());
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const payload = randomBytes(3 * 1024 * 1024 + 17);
  await writeFile(join(tmp.path, 'data.bin'), payload);
  await writeFile(
    join(tmp.path, 'component-constructor.yaml'),
    'components:\n- name: acme.org/tls\n  version: 1.0.0\n  provider:\n    name: acme.org\n  resources:\n  - name: data\n    type: blob\n    input:\n      type: file\n      path: data.bin\n',
  );
  const config = join(tmp.path, '.ocmconfig');
  await writeFile(
    config,
    `type: generic.config.ocm.software/v1\nconfigurations:\n- type: credentials.config.ocm.software\n  consumers:\n  - identity: {type: OCIRegistry, hostname: 127.0.0.1, port: "${reg.port}"}\n    credentials:\n    - type: Credentials/v1\n      properties: {username: tlsuser, password: tls-secret-1}\n`,
    { mode: 0o600 },
  );
  const repo = `${reg.url}/tls`;
  assert.match(repo, /^https:\/\//);
  const env = { NODE_EXTRA_CA_CERTS: reg.caFile! };
  const add = await runOcm(['--config', config, 'add', 'cv', '-r', repo, '-c', 'component-constructor.yaml'], { cwd: tmp.path, env });
  assert.equal(add.code, 0, add.stderr);
  const out = join(tmp.path, 'out.bin');
  const dl = await runOcm(['--config', config, 'download', 'resource', `${repo}//acme.org/tls:1.0.0`, '--identity', 'name=data', '-O', out], { env });
  assert.equal(dl.code, 0, dl.stderr);
  assert.deepEqual(await readFile(out), payload);

  // The blob GET above can silently fall back to undici; prove the fast socket path itself speaks TLS.
  const layerDigest = `sha256:${createHash('sha256').update(payload).digest('hex')}`;
  const fastGetJs = fileURLToPath(new URL('./fast-get.js', import.meta.url));
  const probe = `
    import { fastGet } from ${JSON.stringify(fastGetJs)};
    import { createHash } from 'node:crypto';
    const r = await fastGet(new URL(process.argv[1]), { authorization: 'Basic ' + Buffer.from('tlsuser:tls-secret-1').toString('base64') });
    if (!r) { console.log('fallback'); process.exit(0); }
    const h = createHash('sha256');
    for await (const c of r.body) h.update(c);
    console.log(r.status, 'sha256:' + h.digest('hex'));`;
  const fast = spawnSync(process.execPath, ['--input-type=module', '-e', probe, `${reg.url}/v2/tls/component-descriptors/acme.org/tls/blobs/${layerDigest}`], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  assert.equal(fast.stdout.trim(), `200 ${layerDigest}`, fast.stderr);

  // Without the CA the certificate is not trusted: a one-line error, no stack, no secret.
  const refused = await runOcm(['--config', config, 'get', 'cv', `${repo}//acme.org/tls:1.0.0`]);
  assert.notEqual(refused.code, 0);
  assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  assert.match(refused.stderr, /certificate|self.signed|TLS/i);
  assert.doesNotMatch(refused.stderr + refused.stdout, /tls-secret-1/);
});
