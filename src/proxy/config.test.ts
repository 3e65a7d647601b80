import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromDocuments } from '../config/load.js';
import { isOcmError } from '../runtime/errors.js';
import { generateToken, hashToken } from './access.js';
import { parseClientsFile, parseUpstreamAddress, proxyStateFromConfig } from './config.js';
import { CONNECTORS_CONFIG_TYPE } from './types.js';

const T = CONNECTORS_CONFIG_TYPE;
const H = hashToken('t1');
const H2 = hashToken('t2');
const load = (...docs: unknown[]) => proxyStateFromConfig(configFromDocuments(docs, 'proxy.yaml'));

test('a minimal connector: https default, OCIRegistry identity as the OCI client builds it, open loopback mode', async () => {
  const { state } = await load({ type: T, connectors: [{ name: 'acme', address: 'registry.acme.example:8443' }] });
  const c = state.connectors.get('acme')!;
  assert.deepEqual(c.upstream, { scheme: 'https', host: 'registry.acme.example:8443' });
  assert.deepEqual(c.upstreamIdentity, { type: 'OCIRegistry', hostname: 'registry.acme.example', port: '8443' });
  assert.deepEqual(c.access, [{ clients: ['anonymous'], repositories: ['**'], actions: ['pull', 'push', 'delete'] }]);
  assert.equal(state.access.authRequired, false);
  assert.ok(state.access.authorize({ kind: 'anonymous' }, c, 'x/y', 'delete'));
});

test('with clients: omitted access = pull for every client; explicit upstream identity or anonymous upstream', async () => {
  const { state } = await load({
    type: T,
    connectors: [
      { name: 'a', address: 'https://ghcr.io/', upstreamCredentials: { identity: { type: 'OCIRegistry', hostname: 'ghcr.io', path: 'org/*' } } },
      { name: 'b', address: 'http://127.0.0.1:5000', upstreamCredentials: { anonymous: true }, listen: '127.0.0.1:5051', access: [{ clients: ['ci'], repositories: ['team-a/**'], actions: ['push', 'pull'] }] },
    ],
    clients: [{ name: 'ci', tokenHash: H }],
  });
  const a = state.connectors.get('a')!;
  const b = state.connectors.get('b')!;
  assert.deepEqual(a.access, [{ clients: ['*'], repositories: ['**'], actions: ['pull'] }]);
  assert.deepEqual(a.upstreamIdentity, { type: 'OCIRegistry', hostname: 'ghcr.io', path: 'org/*' });
  assert.equal(b.upstreamIdentity, null);
  assert.deepEqual(b.upstream, { scheme: 'http', host: '127.0.0.1:5000' });
  assert.equal(b.listen, '127.0.0.1:5051');
  assert.equal(state.access.authRequired, true);
  const ci = state.access.authenticate('Bearer t1');
  assert.deepEqual(ci, { kind: 'client', name: 'ci' });
  assert.equal(state.access.authorize(ci!, b, 'team-a/x', 'push'), true);
  assert.equal(state.access.authorize(ci!, a, 'x', 'push'), false);
  assert.equal(state.access.authorize({ kind: 'anonymous' }, a, 'x', 'pull'), false);
});

test('several entries merge: a later connector or client of the same name replaces the earlier one', async () => {
  const { state } = await load(
    { type: T, connectors: [{ name: 'a', address: 'https://one.example' }], clients: [{ name: 'ci', tokenHash: H }] },
    { type: 'generic.config.ocm.software/v1', configurations: [{ type: T, connectors: [{ name: 'a', address: 'https://two.example' }, { name: 'b', address: 'https://b.example' }], clients: [{ name: 'ci', tokenHash: H2 }] }] },
  );
  assert.equal(state.connectors.get('a')!.upstream.host, 'two.example');
  assert.equal(state.connectors.size, 2);
  assert.equal(state.access.authenticate('Bearer t1'), undefined);
  assert.deepEqual(state.access.authenticate('Bearer t2'), { kind: 'client', name: 'ci' });
});

test('bad entries: one CONFIG_ERROR line naming the file and the entry path', async () => {
  const c = (x: Record<string, unknown>) => ({ type: T, connectors: [{ name: 'a', address: 'https://r.example', ...x }] });
  const cases: [unknown, string][] = [
    [{ type: T }, 'config file proxy.yaml: no connectors configured; add a connectors.config.ocm.software/v1alpha1 entry with connectors: [{name, address}]'],
    [{ type: T, connectors: {} }, 'config file proxy.yaml: connectors must be a list'],
    [{ type: T, connectors: [{ address: 'https://r.example' }] }, 'config file proxy.yaml: connectors[0].name is missing'],
    [c({ name: 'Acme' }), 'config file proxy.yaml: connectors[0].name "Acme" is not a valid connector name; use lower-case letters and digits, separated by . _ or -'],
    [c({ address: 'https://r.example/v2/x' }), 'config file proxy.yaml: connectors[0].address must be an upstream root such as https://registry.example.com (no path, query or fragment)'],
    [c({ address: 'ftp://r.example' }), 'config file proxy.yaml: connectors[0].address has scheme "ftp"; use https:// (or http:// for a plain-HTTP upstream)'],
    [c({ address: 'https://user:pw@r.example' }), 'config file proxy.yaml: connectors[0].address must not hold user information; put credentials into the credential config'],
    [c({ listen: '5051' }), 'config file proxy.yaml: connectors[0].listen "5051" is not host:port (e.g. 127.0.0.1:5051)'],
    [c({ upstreamCredentials: { anonymous: true, identity: { type: 'OCIRegistry' } } }), 'config file proxy.yaml: connectors[0].upstreamCredentials must hold exactly one of identity: {...} or anonymous: true'],
    [c({ upstreamCredentials: { identity: { hostname: 'x' } } }), 'config file proxy.yaml: connectors[0].upstreamCredentials.identity.type is missing (e.g. OCIRegistry)'],
    [c({ access: [{ clients: ['*'], repositories: ['a/../b'], actions: ['pull'] }] }), 'config file proxy.yaml: connectors[0].access[0].repositories[0] has a . or .. segment; use e.g. team-a/** or team-a/*/app'],
    [c({ access: [{ clients: ['*'], repositories: ['a//b'], actions: ['pull'] }] }), 'config file proxy.yaml: connectors[0].access[0].repositories[0] has an empty path segment; use e.g. team-a/** or team-a/*/app'],
    [c({ access: [{ clients: ['*'], repositories: ['a/b**'], actions: ['pull'] }] }), 'config file proxy.yaml: connectors[0].access[0].repositories[0] uses ** inside a segment (** must be a whole segment); use e.g. team-a/** or team-a/*/app'],
    [c({ access: [{ clients: ['*'], repositories: ['Team'], actions: ['pull'] }] }), 'config file proxy.yaml: connectors[0].access[0].repositories[0] may hold only lower-case letters, digits, . _ - and the wildcards * and **; use e.g. team-a/** or team-a/*/app'],
    [c({ access: [{ clients: ['*'], actions: ['write'] }] }), 'config file proxy.yaml: connectors[0].access[0].actions[0] must be pull, push or delete'],
    [c({ access: [{ clients: [], actions: ['pull'] }] }), 'config file proxy.yaml: connectors[0].access[0].clients is empty; name clients, * or anonymous'],
    [{ type: T, connectors: [{ name: 'a', address: 'https://r' }, { name: 'a', address: 'https://s' }] }, 'config file proxy.yaml: connectors[1].name "a" is used twice in this entry; connector names must be unique'],
    [{ type: T, connectors: [{ name: 'a', address: 'https://r', listen: '127.0.0.1:1' }, { name: 'b', address: 'https://s', listen: '127.0.0.1:1' }] }, 'config file proxy.yaml: connectors "a" and "b" both listen on 127.0.0.1:1; give each its own port'],
    [{ ...c({}), clients: [{ name: 'ci', token: 'plain' }] }, 'config file proxy.yaml: clients[0].token is not allowed: store only the hash (tokenHash: sha256:<hex>, printed by ocm proxy token create)'],
    [{ ...c({}), clients: [{ name: 'ci', tokenHash: 'md5:abc' }] }, 'config file proxy.yaml: clients[0].tokenHash must be sha256:<64 lower-case hex digits> (printed by ocm proxy token create)'],
    [{ ...c({}), clients: [{ name: 'anonymous', tokenHash: H }] }, 'config file proxy.yaml: clients[0].name "anonymous" is not a valid client name; use lower-case letters and digits, separated by . _ or - (not "anonymous")'],
    [{ ...c({}), clients: [{ name: 'x', tokenHash: H }, { name: 'y', tokenHash: H }] }, 'config file proxy.yaml: clients "x" and "y" have the same token hash; give every client its own token'],
    [{ ...c({}), clientsFile: 'relative/file' }, 'config file proxy.yaml: clientsFile "relative/file" must be an absolute path'],
  ];
  for (const [doc, message] of cases) {
    await assert.rejects(load(doc), (e: unknown) => {
      assert.ok(isOcmError(e, 'CONFIG_ERROR'), String(e));
      assert.equal((e as Error).message, message);
      assert.ok(!(e as Error).message.includes(H), 'no token hash in errors');
      return true;
    });
  }
});

test('a rule naming a client that is not configured warns and matches nobody; the proxy is not open (revocation, not opening)', async () => {
  const loaded = await load({ type: T, connectors: [{ name: 'a', address: 'https://r.example', access: [{ clients: ['ci'], actions: ['pull'] }] }] });
  assert.deepEqual(loaded.warnings, ['config file proxy.yaml: connector "a" grants access to client "ci", which is not configured (the rule matches nobody; add it to clients or a clientsFile)']);
  const { access, connectors } = loaded.state;
  assert.equal(access.authRequired, true);
  const anon = access.authenticate(undefined);
  assert.deepEqual(anon, { kind: 'anonymous' });
  assert.equal(access.authorize(anon!, connectors.get('a')!, 'x', 'pull'), false);
  assert.equal(access.authenticate('Bearer some-token'), undefined);
});

test('bad entry inside a generic config names its configurations path', async () => {
  await assert.rejects(load({ type: 'generic.config.ocm.software/v1', configurations: [{ type: 'x/v1' }, { type: T, connectors: [{ name: 'a' }] }] }), {
    message: 'config file proxy.yaml: configurations[1].connectors[0].address is missing',
  });
});

test('clients file: name:sha256:<hex> lines, comments, 0600 enforced', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ocm-proxy-clients-'));
  try {
    const token = generateToken();
    const file = join(dir, 'clients');
    await writeFile(file, `# CI clients\n\nci:${hashToken(token)}\n`, { mode: 0o644 });
    const doc = { type: T, connectors: [{ name: 'a', address: 'https://r.example', access: [{ clients: ['ci'], actions: ['pull'] }] }], clientsFile: file };
    await assert.rejects(load(doc), { message: `clients file ${file} is accessible by other users; restrict it: chmod 600 ${file}` });
    await chmod(file, 0o600);
    const { state, files } = await load(doc);
    assert.deepEqual(state.access.authenticate(`Bearer ${token}`), { kind: 'client', name: 'ci' });
    assert.ok(files.includes(file), 'the clients file is watched');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('clients file parse errors name the line', () => {
  const cases: [string, string][] = [
    ['ci', 'clients file f: line 1 must be name:sha256:<hex>'],
    [`\nCI:${H}`, 'clients file f: line 2 has an invalid client name "CI"'],
    ['ci:sha256:00', 'clients file f: line 1 must be name:sha256:<64 lower-case hex digits> (printed by ocm proxy token create)'],
    [`ci:${H}\nci:${H2}`, 'clients file f: line 2 repeats client "ci"'],
  ];
  for (const [text, message] of cases) assert.throws(() => parseClientsFile(text, 'f'), { message });
});

test('upstream addresses: roots only', () => {
  const cases: [string, unknown][] = [
    ['https://ghcr.io', { scheme: 'https', host: 'ghcr.io' }],
    ['ghcr.io', { scheme: 'https', host: 'ghcr.io' }],
    ['HTTP://LocalHost:5000/', { scheme: 'http', host: 'localhost:5000' }],
    ['http://[::1]:5000', { scheme: 'http', host: '[::1]:5000' }],
    ['https://ghcr.io?x=1', 'string'],
    ['https://ghcr.io#x', 'string'],
    ['https://', 'string'],
    ['https://a b', 'string'],
  ];
  for (const [text, want] of cases) {
    const got = parseUpstreamAddress(text);
    if (want === 'string') assert.equal(typeof got, 'string', text);
    else assert.deepEqual(got, want, text);
  }
});
