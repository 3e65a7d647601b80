import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { conformance } from '../testing/fixtures.js';
import { isOcmError } from '../runtime/errors.js';
import type { Credentials } from '../runtime/credentials-types.js';
import type { Identity } from '../runtime/identity.js';
import { parseConfigText } from '../config/load.js';
import { createCredentialGraph, type CredentialPlugin, type RepositoryPlugin } from './graph.js';

const read = (rel: string) => readFileSync(conformance(`ocm-config/${rel}`), 'utf8');

interface TutorialCase {
  request: string;
  lookupIdentity: Record<string, string>;
  perCode: { kind: 'exact' | 'glob' | 'ambiguous' | 'none'; winner: string[] };
}

/** Documented deterministic choice for the cases where Go picks at random. */
const AMBIGUOUS_CHOICE: Record<string, string> = {
  'B ghcr.io/my-org/staging': 'org-user', // my-org/* (a path) beats the host-only entry
  'B2 ghcr.io/my-org/repo': 'my-org-user', // my-org/* (7 literal chars) beats */* (1)
};

test('tutorial resolution cases resolve as the Go code does (ambiguous ones by the documented rule)', async (t) => {
  const table = JSON.parse(read('tutorial-resolution-cases.json')) as { examples: Record<string, { configFile: string; cases: TutorialCase[] }> };
  for (const [name, ex] of Object.entries(table.examples)) {
    // No repositories configured and auto-configuration off: "none" must be anonymous.
    const graph = createCredentialGraph(parseConfigText(read(ex.configFile), ex.configFile), { autoDockerConfig: false, env: {} });
    for (const c of ex.cases) {
      await t.test(`${name}: ${c.request} (${c.perCode.kind})`, async () => {
        const got = await graph.resolve(c.lookupIdentity);
        const explained = await graph.explain(c.lookupIdentity);
        if (c.perCode.kind === 'none') {
          assert.equal(got, undefined);
          assert.equal(explained.outcome, 'none');
          return;
        }
        const want = c.perCode.kind === 'ambiguous' ? AMBIGUOUS_CHOICE[`${name} ${c.request}`] : c.perCode.winner[0];
        assert.ok(want, `documented choice missing for ${name} ${c.request}`);
        assert.ok(c.perCode.winner.includes(want!));
        assert.equal(got?.username, want);
        assert.equal(explained.outcome, 'consumer');
        assert.equal(explained.matched?.how, c.perCode.kind === 'exact' ? 'exact' : 'match');
        assert.equal(explained.alsoMatched.length, c.perCode.kind === 'ambiguous' ? c.perCode.winner.length - 1 : 0);
      });
    }
  }
});

// Stub plugins exactly as described in credential-graph-cases.json (Go's graph_test.go).
const hostOf = (u: unknown) => new URL(String(u)).hostname;
const credentialPlugins: Record<string, CredentialPlugin> = {
  AWSSecretsManager: {
    consumerIdentity: (c) => ({ type: 'AWSSecretsManager', secretId: String(c.secretId) }),
    async resolve(id, creds) {
      if (id.secretId !== 'vault-access-creds' || creds?.roleid !== 'my-role-id') throw new Error('failed access');
      return { role_id: 'myvault.example.com-role', secret_id: 'myvault.example.com-secret' };
    },
  },
  HashiCorpVault: {
    consumerIdentity: (c) => ({ type: 'HashiCorpVault', hostname: hostOf(c.serverURL) }),
    async resolve(id, creds): Promise<Credentials> {
      if (id.hostname === 'myvault.example.com') {
        if (creds?.role_id !== 'myvault.example.com-role' || creds?.secret_id !== 'myvault.example.com-secret') throw new Error('failed access');
        return { role_id: 'other.vault.com-role', secret_id: 'other.vault.com-secret' };
      }
      if (id.hostname === 'other.vault.com') {
        if (creds?.role_id !== 'other.vault.com-role' || creds?.secret_id !== 'other.vault.com-secret') throw new Error('failed access');
        return { username: 'foo', password: 'bar' };
      }
      return { vaultSecret: `vault-secret-for-https://${id.hostname}/` };
    },
  },
  RecursionTest: {
    consumerIdentity: (c) => ({ type: 'RecursionTest', path: String(c.path) }),
    async resolve(_id, creds) {
      return creds;
    },
  },
};
const repositoryPlugins: Record<string, RepositoryPlugin> = {
  // Go selects the repository plugin by lookup type and applies it to every repository entry;
  // here each entry type declares the consumer types it serves, with the same observable answers.
  'DockerConfig/v1': {
    consumerTypes: ['OCIRegistry'],
    async resolve(_spec, id) {
      if (id.hostname === 'quay.io') return { username: 'test1', password: 'bar' };
      if (id.hostname === 'notfound.io') return undefined;
      throw new Error('failed access');
    },
  },
  HashiCorpVault: {
    consumerTypes: ['*', 'ErrorRegistry'],
    consumerIdentity: (spec) => ({ type: 'HashiCorpVault', hostname: hostOf(spec.serverURL) }),
    async resolve(_spec, id, creds) {
      if (id.type === 'ErrorRegistry') throw new Error('some internal plugin error');
      if (creds?.role_id !== 'repository.vault.com-role' || creds?.secret_id !== 'repository.vault.com-secret') throw new Error('failed access');
      if (id.hostname !== 'some-hostname.com') throw new Error('failed access');
      return { 'something-from-vault-repo': 'some-value-from-vault' };
    },
  },
};

function graphOf(yaml: string) {
  return createCredentialGraph(parseConfigText(yaml, 'graph.yaml'), { credentialPlugins, repositoryPlugins, autoDockerConfig: false, env: {} });
}

test('credential graph cases (chains through plugins, repository fallback, errors) match Go', async (t) => {
  const table = JSON.parse(read('credential-graph-cases.json')) as { cases: { identity: Identity; expected?: Credentials; expectedError?: string }[] };
  const graph = graphOf(read('credential-graph-test.credentials-config.yaml'));
  for (const c of table.cases) {
    await t.test(`${JSON.stringify(c.identity)}`, async () => {
      if (c.expected) {
        assert.deepEqual({ ...(await graph.resolve(c.identity)) }, c.expected);
      } else if (/ErrNotFound/.test(c.expectedError!)) {
        assert.equal(await graph.resolve(c.identity), undefined); // not found = anonymous
      } else if (/without 'type'/.test(c.expectedError!)) {
        await assert.rejects(graph.resolve(c.identity), (e) => isOcmError(e, 'INVALID_ARGUMENT') && /no "type"/.test(e.message));
      } else {
        await assert.rejects(graph.resolve(c.identity), (e) => isOcmError(e) && /some internal plugin error|failed/.test(e.message));
      }
    });
  }
});

const recursion = (a: string, b: string) => `type: credentials.config.ocm.software
consumers:
  - identity: {type: RecursionTest, path: "recursive/path/a"}
    credentials: [{type: RecursionTest, path: "${a}"}]
  - identity: {type: RecursionTest, path: "recursive/path/b"}
    credentials: [{type: RecursionTest, path: "${b}"}]
`;

test('ingestion rejects self references and cycles with a clear CONFIG_ERROR (Go graph_test cases)', () => {
  const selfRef = `${read('credential-graph-test.credentials-config.yaml')}
  - identity: {type: AWSSecretsManager, secretId: "recursive-creds"}
    credentials: [{type: AWSSecretsManager, secretId: "recursive-creds"}]
`;
  assert.throws(() => graphOf(selfRef), (e) => isOcmError(e, 'CONFIG_ERROR') && /self reference/.test(e.message) && /secretId=recursive-creds/.test(e.message));
  assert.throws(() => graphOf(recursion('recursive/path/b', 'recursive/path/a')), (e) => isOcmError(e, 'CONFIG_ERROR') && /cycle .*path=recursive\/path\/a.* → .*path=recursive\/path\/b/.test(e.message));
  assert.throws(() => graphOf(recursion('recursive/path/b', 'recursive/path/*')), (e) => isOcmError(e, 'CONFIG_ERROR') && /cycle/.test(e.message));
});

test('a consumer with several credential sources gets their answers merged', async () => {
  const graph = graphOf(`type: credentials.config.ocm.software
consumers:
  - identity: {type: RecursionTest, path: "recursive/path/abc"}
    credentials: [{type: RecursionTest, path: "recursive/path/a"}, {type: RecursionTest, path: "recursive/path/b"}]
  - identity: {type: RecursionTest, path: "recursive/path/a"}
    credentials: [{type: Credentials/v1, properties: {username: abc}}]
  - identity: {type: RecursionTest, path: "recursive/path/b"}
    credentials: [{type: Credentials/v1, properties: {password: def}}]
`);
  assert.deepEqual({ ...(await graph.resolve({ type: 'RecursionTest', path: 'recursive/path/abc' })) }, { username: 'abc', password: 'def' });
});

test('unknown credential and repository types are configuration errors naming the type and file', () => {
  const bad = (cred: string, repo = '') => `type: credentials.config.ocm.software
consumers:
  - identity: {type: OCIRegistry, hostname: ghcr.io}
    credentials: [${cred}]
${repo}`;
  assert.throws(
    () => createCredentialGraph(parseConfigText(bad('{type: VaultThing/v1, path: x}'), '/cfg/a.yaml')),
    (e) => isOcmError(e, 'CONFIG_ERROR') && /unknown credential type "VaultThing\/v1"/.test(e.message) && /\/cfg\/a\.yaml/.test(e.message),
  );
  assert.throws(
    () => createCredentialGraph(parseConfigText(bad('{type: Credentials/v1, properties: {username: u}}', 'repositories: [{repository: {type: HashiCorpVault/v1}}]'), 'b.yaml')),
    (e) => isOcmError(e, 'CONFIG_ERROR') && /unknown credential repository type "HashiCorpVault\/v1"/.test(e.message),
  );
  assert.throws(
    () => createCredentialGraph(parseConfigText(bad('{type: OCICredentials/v1, username: a}, {type: OCICredentials/v1, username: b}'))),
    (e) => isOcmError(e, 'CONFIG_ERROR') && /only one typed credential/.test(e.message),
  );
  assert.throws(() => createCredentialGraph(parseConfigText(bad('{type: Credentials/v1}'))), (e) => isOcmError(e, 'CONFIG_ERROR') && /properties/.test(e.message));
});

test('typed credentials beat Credentials/v1 in one consumer; direct maps merge across files, later wins', async () => {
  const g = createCredentialGraph(
    parseConfigText(`type: credentials.config.ocm.software
consumers:
  - identity: {type: OCIRegistry, hostname: a.io}
    credentials:
      - {type: Credentials/v1, properties: {username: direct}}
      - {type: OCICredentials/v1, username: typed, password: p, identityToken: dropped}
`),
    { autoDockerConfig: false },
  );
  assert.deepEqual({ ...(await g.resolve({ type: 'OCIRegistry', hostname: 'a.io' })) }, { username: 'typed', password: 'p' });

  const file = (u: string, extra: string) => ({ type: 'credentials.config.ocm.software', consumers: [{ identity: { type: 'OCIRegistry', hostname: 'b.io' }, credentials: [{ type: 'Credentials', properties: { username: u, ...(extra ? { extra } : {}) } }] }] });
  const merged = { entries: [file('first', 'kept'), file('second', '')].map((value) => ({ type: value.type, value })), sources: [], warnings: [], explicit: true };
  assert.deepEqual({ ...(await createCredentialGraph(merged).resolve({ type: 'OCIRegistry', hostname: 'b.io' })) }, { username: 'second', extra: 'kept' });
});

test('one consumer with several identities shares its credentials; `identity` is appended to `identities`', async () => {
  const g = createCredentialGraph(
    parseConfigText(`type: credentials.config.ocm.software
consumers:
  - identities: [{type: OCIRegistry, hostname: ghcr.io, path: "org-a/*"}]
    identity: {type: OCIRegistry, hostname: quay.io}
    credentials: [{type: Credentials/v1, properties: {username: shared}}]
`),
    { autoDockerConfig: false },
  );
  assert.equal((await g.resolve({ type: 'OCIRegistry', hostname: 'ghcr.io', path: 'org-a/x' }))?.username, 'shared');
  assert.equal((await g.resolve({ type: 'OCIRegistry', hostname: 'quay.io', path: 'any/thing' }))?.username, 'shared');
  assert.equal(await g.resolve({ type: 'OCIRegistry', hostname: 'ghcr.io', path: 'org-b/x' }), undefined);
});

test('legacy v1 pathprefix consumers never match in v2 (exact attribute equality)', async () => {
  const g = createCredentialGraph(parseConfigText(read('legacy-v1-pathprefix.ocmconfig.yaml')), { env: { HOME: '/nonexistent-home' } });
  const e = await g.explain({ type: 'OCIRegistry', hostname: 'ghcr.io', path: 'open-component-model' });
  assert.equal(e.outcome, 'none');
  assert.match(e.nearMisses[0]!.reason!, /pathprefix/);
  assert.equal(e.repositories[0]!.result, 'nothing'); // the docker config fallback was asked
});

test('reference-complete-typed: OCI typed creds, RSA identity, everything else to the docker fallback', async () => {
  const g = createCredentialGraph(parseConfigText(read('reference-complete-typed.ocmconfig.yaml')), { env: { HOME: '/nonexistent-home' } });
  assert.deepEqual({ ...(await g.resolve({ type: 'OCIRegistry', hostname: 'ghcr.io', path: 'x' })) }, { username: 'my-user', password: 'ghp_token' });
  const rsa = await g.explain({ type: 'RSA/v1alpha1', algorithm: 'RSASSA-PSS', signature: 'default' });
  assert.equal(rsa.credentialType, 'RSACredentials/v1');
  assert.equal(rsa.credentials?.privateKeyPEMFile, '/path/to/private-key.pem');
  const other = await g.explain({ type: 'OCIRegistry', hostname: 'quay.io' });
  assert.equal(other.outcome, 'none');
  assert.equal(other.repositories.length, 1);
  // Docker config serves OCIRegistry only: RSA lookups never reach it.
  assert.equal((await g.explain({ type: 'RSA/v1alpha1', signature: 'other' })).repositories[0]?.result, 'not applicable');
});

test('mutually matching consumers (Go: cycle) are accepted with a warning and the more specific wins', async () => {
  const g = createCredentialGraph(parseConfigText(read('mutual-match-cycle.ocmconfig.yaml')), { autoDockerConfig: false });
  assert.equal(g.warnings.length, 1);
  assert.match(g.warnings[0]!, /match each other/);
  assert.equal((await g.resolve({ type: 'OCIRegistry', hostname: 'ghcr.io', path: 'x' }))?.username, 'b'); // explicit scheme
  assert.equal((await g.resolve({ type: 'OCIRegistry', hostname: 'ghcr.io' }))?.username, 'a'); // exact identity string
});

test('tie-break order: literal path > longer literal > fewer wildcards > explicit scheme/port > config order', async () => {
  const consumer = (id: string, user: string) => `  - identity: {type: OCIRegistry, hostname: h.io, ${id}}
    credentials: [{type: Credentials/v1, properties: {username: ${user}}}]`;
  const cfg = (...c: string[]) => createCredentialGraph(parseConfigText(`type: credentials.config.ocm.software\nconsumers:\n${c.join('\n')}`), { autoDockerConfig: false });
  const lookup = { type: 'OCIRegistry', hostname: 'h.io', path: 'org/team' };
  assert.equal((await cfg(consumer('path: "*/*"', 'wild'), consumer('path: org/*', 'org')).resolve(lookup))?.username, 'org');
  assert.equal((await cfg(consumer('path: "o*/t*"', 'two'), consumer('path: "org/t*"', 'one')).resolve(lookup))?.username, 'one');
  assert.equal((await cfg(consumer('path: "org/*"', 'a'), consumer('path: "org/*", scheme: https', 'b')).resolve(lookup))?.username, 'b');
  assert.equal((await cfg(consumer('path: "org/*"', 'first'), consumer('path: "org/*", port: "443", scheme: https', 'x'), consumer('path: "org/?eam"', 'q')).resolve(lookup))?.username, 'q');
  assert.equal((await cfg(consumer('scheme: https', 'first'), consumer('port: "443", scheme: https', 'second')).resolve({ type: 'OCIRegistry', hostname: 'h.io', path: 'p' }))?.username, 'second');
  const g = cfg(consumer('path: "ab/*"', 'first'), consumer('path: "*/cd"', 'second'));
  const tie = { type: 'OCIRegistry', hostname: 'h.io', path: 'ab/cd' };
  assert.equal((await g.resolve(tie))?.username, 'first');
  assert.match((await g.explain(tie)).matched!.rule!, /earlier in config order/);
});

test('a consumer that matched but holds no credentials means anonymous, without fallback (as Go)', async () => {
  const g = createCredentialGraph(parseConfigText(`type: credentials.config.ocm.software
consumers:
  - identity: {type: OCIRegistry, hostname: h.io}
repositories:
  - repository: {type: DockerConfig/v1, dockerConfig: '{"auths":{"h.io":{"username":"u0","password":"p"},"h.io:5000":{"username":"u","password":"p"}}}'}
`));
  assert.equal(await g.resolve({ type: 'OCIRegistry', hostname: 'h.io' }), undefined);
  assert.equal((await g.resolve({ type: 'OCIRegistry', hostname: 'h.io', port: '5000' }))?.username, 'u'); // port differs: no consumer match
});
