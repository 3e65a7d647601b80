/**
 * The same flow against a real docker-registry with htpasswd auth: a signed plugin registry and its
 * plugin, transferred from a CTF, listed and installed with credentials from .ocmconfig.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openRepository } from '../../repository/open.js';
import { runOcm } from '../../testing/cli.js';
import { repoRoot, tempDir } from '../../testing/fixtures.js';
import { registryAvailable, startRegistry } from '../../testing/registry.js';
import { addPluginComponent } from './fixture.test.js';
import { currentPlatform } from './platform.js';

test('install from a plugin registry in an htpasswd docker-registry, credentials from .ocmconfig', { skip: registryAvailable() ? false : 'docker-registry not installed (apt-get install docker-registry)' }, async (t) => {
  const tmp = await tempDir('ocm-plugin-oci-');
  t.after(() => tmp.dispose());
  const registry = await startRegistry({ auth: 'htpasswd' });
  t.after(() => registry.stop());
  const d = tmp.path;
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(d, 'key.pem')], { stdio: 'ignore' });
  execFileSync('openssl', ['pkey', '-in', join(d, 'key.pem'), '-pubout', '-out', join(d, 'pub.pem')], { stdio: 'ignore' });
  const ctf = join(d, 'ctf');
  const repo = await openRepository({ type: 'CommonTransportFormat/v1', filePath: ctf }, { create: true });
  const toolbox = await readFile(join(repoRoot, 'examples', 'plugins', 'dist', 'bundles', 'ocm-plugin-toolbox'));
  await addPluginComponent(repo, 'acme.org/plugins/toolbox', '2.0.0', [{ os: 'linux', architecture: 'amd64', content: toolbox }, { ...currentPlatform(), content: toolbox }], 'toolbox');
  await repo.close();
  const run = async (args: string[]) => {
    const r = await runOcm(['--config', config, ...args]);
    assert.equal(r.code, 0, `ocm ${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(user.password));
    return r.stdout;
  };
  const user = registry.users[0]!;
  const config = join(d, 'ocmconfig.yaml');
  const target = `${registry.url}/plugins`;
  await writeFile(
    config,
    [
      'type: generic.config.ocm.software/v1',
      'configurations:',
      '- type: plugin.config.ocm.software/v2alpha1',
      `  pluginRegistries: ["${target}//ocm.software/plugin-registry"]`,
      '- type: credentials.config.ocm.software',
      '  consumers:',
      '  - identities:',
      '    - {type: OCIRegistry, hostname: 127.0.0.1, port: "' + registry.port + '"}',
      '    credentials:',
      `    - {type: Credentials/v1, properties: {username: ${user.username}, password: ${user.password}}}`,
      '',
    ].join('\n'),
  );
  await run(['plugin', 'registry', 'add', ctf, 'acme.org/plugins/toolbox:2.0.0']);
  await run(['sign', 'cv', `${ctf}//acme.org/plugins/toolbox:2.0.0`, '--signature', 'acme', '--private-key', join(d, 'key.pem')]);
  await run(['sign', 'cv', `${ctf}//ocm.software/plugin-registry:0.1.0`, '--signature', 'acme', '--private-key', join(d, 'key.pem')]);
  await run(['transfer', 'cv', `${ctf}//ocm.software/plugin-registry:0.1.0`, target, '--recursive', '--copy-resources']);

  assert.match(await run(['plugin', 'registry', 'list']), /acme-org-plugins-toolbox\s+2\.0\.0/);
  const dir = join(d, 'plugins');
  await mkdir(dir);
  assert.match(await run(['plugin', 'install', 'toolbox', '--public-key', join(d, 'pub.pem'), '--plugin-directory', dir]), /^installed toolbox 2\.0\.0 /);
  assert.deepEqual((await readdir(dir)).sort(), ['.ocm-installed', 'toolbox']);
  const caps = JSON.parse(execFileSync(join(dir, 'toolbox'), ['capabilities'], { encoding: 'utf8' })) as { capabilities: unknown[] };
  assert.ok(caps.capabilities.length > 0);
});
