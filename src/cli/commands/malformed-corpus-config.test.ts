/**
 * The malformed-input corpus, configuration and references: `.ocmconfig` files given with
 * --config (errors are fatal there), docker `config.json` and credential helpers, and component
 * and repository references on the command line. Same contract as malformed-corpus.test.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { aliasBombLines, corpus, type CorpusCase } from '../../testing/malformed-corpus.js';

const SECRET = 'corpus-canary-5b1e7c';
const LOOKUP = ['get', 'credentials', '--identity', 'type=OCIRegistry,hostname=ghcr.io'];

const generic = (body: string) => `type: generic.config.ocm.software/v1\nconfigurations:\n${body}`;
const consumers = (body: string) => generic(`- type: credentials.config.ocm.software\n  consumers:\n${body}`);

/** `--config cfg.yaml` (mode 600) with `text`, then a credential lookup (or `args`). */
const config = (name: string, text: string | Buffer, code: CorpusCase['code'], extra: Partial<CorpusCase> & { args?: string[] } = {}): CorpusCase => ({
  name: `.ocmconfig: ${name}`,
  setup: async (s) => {
    await s.file('cfg.yaml', text, 0o600);
    return ['--config', 'cfg.yaml', ...(extra.args ?? LOOKUP)];
  },
  code,
  secret: SECRET,
  ...extra,
});

const bomb = [
  ...aliasBombLines(6),
  'type: generic.config.ocm.software/v1',
  'configurations: [*f]',
].join('\n');


const configCases: CorpusCase[] = [
  config('tab-indented YAML', `type: generic.config.ocm.software/v1\nconfigurations:\n\t- type: x\n`, 'CONFIG_ERROR', { message: /cfg\.yaml/ }),
  config('malformed JSON', `{"type": "generic.config.ocm.software/v1", "configurations": [{"type": "x", "password": "${SECRET}"`, 'CONFIG_ERROR', { message: /cfg\.yaml/ }),
  config('binary garbage', Buffer.from([0x00, 0xff, 0xfe, 0x01, 0x02, 0x1b, 0x5b, 0x32, 0x4a]), 'CONFIG_ERROR', { message: /cfg\.yaml/ }),
  config('a scalar document', 'hello\n', 'CONFIG_ERROR', { message: /cfg\.yaml/ }),
  config('a document without a type', 'configurations: []\n', 'CONFIG_ERROR', { message: /cfg\.yaml|type/ }),
  config('configurations is a mapping', generic('  type: credentials.config.ocm.software\n'), 'CONFIG_ERROR', { message: /configurations/ }),
  config('a configuration entry is a string', generic('- credentials.config.ocm.software\n'), 'CONFIG_ERROR', { message: /cfg\.yaml/ }),
  config('consumers is a mapping', generic(`- type: credentials.config.ocm.software\n  consumers: {identity: {type: OCIRegistry}}\n`), 'CONFIG_ERROR', { message: /consumers/ }),
  config('a consumer identity is a list', consumers(`  - identity: [OCIRegistry, ghcr.io]\n    credentials: [{type: Credentials/v1, properties: {password: ${SECRET}}}]\n`), 'CONFIG_ERROR', { message: /identity/ }),
  config('credentials is a mapping', consumers(`  - identity: {type: OCIRegistry, hostname: ghcr.io}\n    credentials: {type: Credentials/v1, properties: {password: ${SECRET}}}\n`), 'CONFIG_ERROR', {
    message: /credentials/,
  }),
  config('a credential property is a number', consumers(`  - identity: {type: OCIRegistry, hostname: ghcr.io}\n    credentials: [{type: Credentials/v1, properties: {username: u, password: 12345}}]\n`), 'CONFIG_ERROR', {
    message: /password|properties/,
    args: ['get', 'config'],
  }),
  config('properties is a list', consumers(`  - identity: {type: OCIRegistry, hostname: ghcr.io}\n    credentials: [{type: Credentials/v1, properties: [${SECRET}]}]\n`), 'CONFIG_ERROR', {
    message: /properties/,
    args: ['get', 'config'],
  }),
  config('a credential entry without a type', consumers(`  - identity: {type: OCIRegistry, hostname: ghcr.io}\n    credentials: [{properties: {password: ${SECRET}}}]\n`), 'CONFIG_ERROR', { message: /type/ }),
  config('a repository without a type', generic(`- type: credentials.config.ocm.software\n  repositories:\n  - repository: {dockerConfigFile: "~/.docker/config.json"}\n`), 'CONFIG_ERROR', { message: /type|repositor/ }),
  config('an inline docker config that is not JSON', generic(`- type: credentials.config.ocm.software\n  repositories:\n  - repository: {type: DockerConfig/v1, dockerConfig: "{not json ${SECRET}"}\n`), 'CONFIG_ERROR', {
    message: /docker config/,
  }),
  config(
    'a cycle in the credential graph',
    consumers(
      `  - identity: {type: RecursionTest, path: a}\n    credentials: [{type: RecursionTest, path: b}]\n  - identity: {type: RecursionTest, path: b}\n    credentials: [{type: RecursionTest, path: a}]\n`,
    ),
    'CONFIG_ERROR',
    { message: /cycle|unknown credential type/ },
  ),
  config('YAML alias bomb', bomb, ['CONFIG_ERROR', 'LIMIT_EXCEEDED'], { message: /cfg\.yaml/ }),
  config('5,000 nested flow mappings', `type: generic.config.ocm.software/v1\nconfigurations: ${'{a: '.repeat(5_000)}x${'}'.repeat(5_000)}\n`, ['CONFIG_ERROR', 'LIMIT_EXCEEDED'], { message: /cfg\.yaml/ }),
  config('a 17 MiB file', `# ${'x'.repeat(17 * 1024 * 1024)}\ntype: generic.config.ocm.software/v1\nconfigurations: []\n`, ['CONFIG_ERROR', 'LIMIT_EXCEEDED'], { message: /cfg\.yaml/ }),
  {
    name: '.ocmconfig: --config names a file that does not exist',
    setup: async () => ['--config', 'missing.yaml', ...LOOKUP],
    code: 'CONFIG_ERROR',
    message: /missing\.yaml/,
  },
  {
    name: '.ocmconfig: --config names a directory',
    setup: async (s) => {
      await s.file('cfgdir/placeholder', '');
      return ['--config', 'cfgdir', ...LOOKUP];
    },
    code: 'CONFIG_ERROR',
    message: /cfgdir/,
  },
];

// ---------------------------------------------------------------- docker config.json

/** `$DOCKER_CONFIG/config.json` with `text` (no .ocmconfig: docker's config is the fallback). */
const docker = (name: string, text: string, code: CorpusCase['code'], extra: Partial<CorpusCase> & { helper?: [string, string] } = {}): CorpusCase => ({
  name: `docker config: ${name}`,
  setup: async (s) => {
    await mkdir(join(s.home, '.docker'), { recursive: true });
    await writeFile(join(s.home, '.docker', 'config.json'), text, { mode: 0o600 });
    if (extra.helper) await s.script(`docker-credential-${extra.helper[0]}`, extra.helper[1]);
    return LOOKUP;
  },
  code,
  secret: SECRET,
  ...extra,
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

const dockerCases: CorpusCase[] = [
  docker('not JSON', `{"auths": {"ghcr.io": {"auth": "${b64(`u:${SECRET}`)}"}`, 'CONFIG_ERROR', { message: /config\.json/ }),
  docker('a JSON array', '[]', 'CONFIG_ERROR', { message: /config\.json/ }),
  docker('auth is not base64', '{"auths": {"ghcr.io": {"auth": "%%%not-base64%%%"}}}', 'CONFIG_ERROR', { message: /auth/ }),
  docker('auth decodes without a colon', `{"auths": {"ghcr.io": {"auth": "${b64(SECRET)}"}}}`, 'CONFIG_ERROR', { message: /auth/ }),
  docker('auths is a string', '{"auths": "ghcr.io"}', 'CONFIG_ERROR', { message: /auths|config\.json/ }),
  docker('credsStore names a helper that is not installed', '{"credsStore": "corpus-missing"}', 'CREDENTIAL_ERROR', { message: /docker-credential-corpus-missing/ }),
  docker('credHelpers names a helper with a path in its name', '{"credHelpers": {"ghcr.io": "../../bin/sh"}}', 'CONFIG_ERROR', { message: /helper/ }),
  docker('a helper printing garbage', '{"credHelpers": {"ghcr.io": "garbage"}}', 'CREDENTIAL_ERROR', {
    helper: ['garbage', `echo "<<not json ${SECRET}>>"`],
    message: /docker-credential-garbage/,
  }),
  docker('a helper exiting 1 with a message', '{"credsStore": "failing"}', 'CREDENTIAL_ERROR', {
    helper: ['failing', 'echo "keychain locked"; exit 1'],
    message: /docker-credential-failing/,
  }),
  docker('a helper killed by a signal', '{"credsStore": "killed"}', 'CREDENTIAL_ERROR', { helper: ['killed', 'kill -9 $$'], message: /docker-credential-killed/ }),
  docker('a helper answering JSON without Secret', '{"credsStore": "nosecret"}', 'CREDENTIAL_ERROR', {
    helper: ['nosecret', 'echo \'{"ServerURL":"ghcr.io","Username":"u"}\''],
    message: /docker-credential-nosecret/,
  }),
  docker('a helper printing 1 MiB', '{"credsStore": "chatty"}', 'CREDENTIAL_ERROR', {
    helper: ['chatty', `head -c 1048576 /dev/zero | tr '\\0' 'x'`],
    message: /docker-credential-chatty/,
  }),
  docker('a 5 MiB config.json', `{"auths": {}, "pad": "${'x'.repeat(5 * 1024 * 1024)}"}`, ['CONFIG_ERROR', 'LIMIT_EXCEEDED'], { message: /config\.json/ }),
];

// ---------------------------------------------------------------- references

const GET = (ref: string) => ['get', 'cv', ref];
const reference = (name: string, args: string[], code: CorpusCase['code'], extra: Partial<CorpusCase> = {}): CorpusCase => ({
  name: `reference: ${name}`,
  setup: async () => args,
  code,
  ...extra,
});

const referenceCases: CorpusCase[] = [
  reference('empty component reference', GET(''), 'INVALID_ARGUMENT'),
  reference('only spaces', GET('   '), 'INVALID_ARGUMENT'),
  reference('no // between repository and component', GET('./ctf/acme.org/x:1.0.0'), 'INVALID_ARGUMENT', { message: /\/\// }),
  reference('nothing after //', GET('./ctf//'), 'INVALID_ARGUMENT', { message: /component/ }),
  reference('nothing before //', GET('//acme.org/x:1.0.0'), 'INVALID_ARGUMENT', { message: /repository/ }),
  reference('a version that is not semver', GET('./ctf//acme.org/x:one.two'), 'INVALID_ARGUMENT', { message: /one\.two/ }),
  reference('an empty version', GET('./ctf//acme.org/x:'), 'INVALID_ARGUMENT', { message: /version/ }),
  reference('an upper-case component name', GET('./ctf//Acme.org/X:1.0.0'), 'INVALID_ARGUMENT', { message: /Acme\.org\/X/ }),
  reference('a component name with a space', GET('./ctf//acme.org/my component:1.0.0'), 'INVALID_ARGUMENT', { message: /component/ }),
  reference('a malformed digest', GET('./ctf//acme.org/x:1.0.0@sha256:zz'), 'INVALID_ARGUMENT', { message: /digest/ }),
  reference('an unknown type prefix', GET('zip::./ctf//acme.org/x:1.0.0'), 'UNSUPPORTED', { message: /zip/ }),
  reference('a type prefix with nothing after it', GET('oci:://acme.org/x:1.0.0'), 'INVALID_ARGUMENT'),
  reference('an unclosed IPv6 bracket', GET('http://[::1/x//acme.org/x:1.0.0'), 'INVALID_ARGUMENT', {
    message: /\[::1/,
  }),
  reference('a non-numeric port', GET('http://127.0.0.1:port/x//acme.org/x:1.0.0'), 'INVALID_ARGUMENT', { message: /127\.0\.0\.1:port/ }),
  reference('a port out of range', GET('http://127.0.0.1:99999/x//acme.org/x:1.0.0'), 'INVALID_ARGUMENT', {
    message: /99999/,
  }),
  reference('user info in the registry URL', GET(`http://user:${SECRET}@127.0.0.1:5000/x//acme.org/x:1.0.0`), 'INVALID_ARGUMENT', {
    secret: SECRET,
  }),
  reference('a space in the host', GET('http://exa mple.com/x//acme.org/x:1.0.0'), 'INVALID_ARGUMENT'),
  reference('an unsupported URL scheme', GET('ftp://127.0.0.1/x//acme.org/x:1.0.0'), ['UNSUPPORTED', 'INVALID_ARGUMENT'], { message: /ftp/ }),
  reference('a closed loopback port', GET('http://127.0.0.1:1/x//acme.org/x:1.0.0'), 'NETWORK_ERROR', { message: /127\.0\.0\.1:1/ }),
  {
    name: 'reference: an empty --repository',
    setup: async (s) => {
      await s.file('c.yaml', 'components:\n  - name: acme.org/bad\n    version: 1.0.0\n    provider: {name: acme.org}\n');
      return ['add', 'cv', '-c', 'c.yaml', '-r', ''];
    },
    code: 'INVALID_ARGUMENT',
    message: /empty/,
  },
  reference('an unknown type for the transfer target', ['transfer', 'cv', '-q', './ctf//acme.org/x:1.0.0', 'zip::./out'], ['UNSUPPORTED', 'NOT_FOUND'], { message: /zip|ctf/ }),
  reference('--identity without =', ['download', 'resource', './ctf//acme.org/x:1.0.0', '--identity', 'name', '-O', 'out'], 'INVALID_ARGUMENT', { message: /identity|name/ }),
  reference('an unknown output format', ['get', 'cv', './ctf//acme.org/x:1.0.0', '-o', 'xml'], 'INVALID_ARGUMENT', { message: /xml/ }),
  reference('an unknown command', ['fetch', 'cv', './ctf//acme.org/x:1.0.0'], 'INVALID_ARGUMENT', { message: /fetch/ }),
];

corpus('malformed configuration', configCases);
corpus('malformed docker configuration and credential helpers', dockerCases);
corpus('malformed references', referenceCases);
