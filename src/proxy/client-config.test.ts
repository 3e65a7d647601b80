import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientConfig, type ClientConfigFormat, type ClientConfigInput } from './client-config.js';

const acme = { name: 'acme', upstream: { scheme: 'https' as const, host: 'registry.acme.example' } };
const plain: ClientConfigInput = { connector: acme, proxy: '127.0.0.1:5050', plainHttp: true };
const withToken: ClientConfigInput = { ...plain, client: 'ci', token: 'tok' };
const tls: ClientConfigInput = { connector: acme, proxy: 'proxy.example:443', plainHttp: false };
const AUTH = Buffer.from('ci:tok').toString('base64');

test('client configs: golden outputs per format, plain-HTTP settings only for a plain-HTTP proxy', () => {
  const cases: [ClientConfigFormat, ClientConfigInput, string, string, boolean][] = [
    ['docker', plain, 'config.json', '{\n  "auths": {\n    "127.0.0.1:5050": {}\n  }\n}\n', false],
    ['docker', withToken, 'config.json', `{\n  "auths": {\n    "127.0.0.1:5050": {\n      "auth": "${AUTH}"\n    }\n  }\n}\n`, true],
    ['containers-auth', withToken, 'containers-auth.json', `{\n  "auths": {\n    "127.0.0.1:5050/acme": {\n      "auth": "${AUTH}"\n    }\n  }\n}\n`, true],
    ['registries-conf', plain, 'registries.conf', '# acme: registry.acme.example through the ocm proxy\n[[registry]]\nprefix = "registry.acme.example"\nlocation = "127.0.0.1:5050/acme"\ninsecure = true\n', false],
    ['registries-conf', { ...tls, mirror: true }, 'registries.conf', '# acme: registry.acme.example through the ocm proxy\n[[registry]]\nprefix = "registry.acme.example"\nlocation = "registry.acme.example"\n\n[[registry.mirror]]\nlocation = "proxy.example:443/acme"\ninsecure = false\n', false],
    ['daemon-json', plain, 'daemon.json', '{\n  "insecure-registries": [\n    "127.0.0.1:5050"\n  ]\n}\n', false],
    ['daemon-json', tls, 'daemon.json', '{}\n', false],
    ['buildkitd', plain, 'buildkitd.toml', '[registry."127.0.0.1:5050"]\n  http = true\n', false],
    ['buildkitd', tls, 'buildkitd.toml', '[registry."proxy.example:443"]\n', false],
    [
      'containerd-hosts',
      plain,
      'hosts.toml',
      '# /etc/containerd/certs.d/registry.acme.example/hosts.toml (containerd config_path = "/etc/containerd/certs.d")\nserver = "https://registry.acme.example"\n\n[host."http://127.0.0.1:5050/v2/acme"]\n  capabilities = ["pull", "resolve"]\n  override_path = true\n',
      false,
    ],
    [
      'containerd-hosts',
      { ...withToken, dedicated: '127.0.0.1:5051' },
      'hosts.toml',
      `# /etc/containerd/certs.d/registry.acme.example/hosts.toml (containerd config_path = "/etc/containerd/certs.d")\nserver = "https://registry.acme.example"\n\n[host."http://127.0.0.1:5051"]\n  capabilities = ["pull", "resolve"]\n\n[host."http://127.0.0.1:5051".header]\n  Authorization = "Basic ${AUTH}"\n`,
      true,
    ],
  ];
  for (const [format, input, name, content, secret] of cases) {
    const f = clientConfig(format, input);
    assert.deepEqual(f, { name, content, secret }, `${format} ${JSON.stringify(input)}`);
  }
});

test('Docker Hub upstream is named docker.io for clients', () => {
  const hub = { name: 'hub', upstream: { scheme: 'https' as const, host: 'registry-1.docker.io' } };
  assert.match(clientConfig('registries-conf', { connector: hub, proxy: 'p:1', plainHttp: true }).content, /^prefix = "docker\.io"$/m);
  assert.match(clientConfig('containerd-hosts', { connector: hub, proxy: 'p:1', plainHttp: true }).content, /certs\.d\/docker\.io\/hosts\.toml[\s\S]*server = "https:\/\/registry-1\.docker\.io"/);
});

/** No TOML library in the dependencies: check the structure line by line (tables, key = value with quoted strings, bools, arrays). */
function assertTomlShape(text: string): void {
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) continue;
    assert.match(l, /^(\[\[[a-z.]+\]\]|\[[a-z]+\."[^"]+"(\.[a-z]+)?\]|[A-Za-z_-]+ = ("[^"\\]*"|true|false|\["[a-z]+"(, "[a-z]+")*\]))$/, `TOML line: ${l}`);
  }
}

test('TOML outputs have valid structure; JSON outputs parse', () => {
  for (const input of [plain, withToken, tls, { ...tls, mirror: true }, { ...withToken, dedicated: '[::1]:5051' }]) {
    for (const f of ['registries-conf', 'buildkitd', 'containerd-hosts'] as const) assertTomlShape(clientConfig(f, input).content);
    for (const f of ['docker', 'containers-auth', 'daemon-json'] as const) JSON.parse(clientConfig(f, input).content);
  }
});
