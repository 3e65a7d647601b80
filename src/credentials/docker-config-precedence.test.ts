import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../testing/fixtures.js';
import { isOcmError, type ErrorCode } from '../runtime/errors.js';
import type { Identity } from '../runtime/identity.js';
import { configFromDocuments } from '../config/load.js';
import { createCredentialGraph } from './graph.js';
import { DOCKER_HUB_KEY, dockerKeyFor } from './docker-config.js';

// One script, installed under several names: it answers "<name>@<stdin>" as the username, so a
// row proves both which helper ran and which server key docker would have passed it.
const HELPER = `#!/bin/sh
name=\${0##*docker-credential-}
url=$(cat)
case "$name" in
  nf) echo 'credentials not found in native keychain'; exit 1;;
  bad) printf 'boom\\nS3CRET-LINE\\n'; exit 1;;
  garbage) echo '{"Username":"u","Secret":"S3CRET-GARBAGE"'; exit 0;;
  *) printf '{"ServerURL":"%s","Username":"%s@%s","Secret":"pw"}\\n' "$url" "$name" "$url";;
esac
`;

const b64 = (s: string) => Buffer.from(s).toString('base64');
const user = (name: string) => ({ auth: b64(`${name}:pw`) });
const oci = (hostname: string, port?: string): Identity => ({ type: 'OCIRegistry', hostname, ...(port ? { port } : {}) });

interface Row {
  name: string;
  docker: object;
  lookup: Identity;
  /** Expected username (helpers answer `<helper>@<server key>`), undefined = no credentials. */
  want?: string;
  /** Expected error instead: code and a message check. */
  error?: { code: ErrorCode; match: RegExp; notMatch?: RegExp };
}

const ROWS: Row[] = [
  { name: 'credHelpers host:port beats credsStore', docker: { credHelpers: { '127.0.0.1:5000': 'hlp' }, credsStore: 'store' }, lookup: oci('127.0.0.1', '5000'), want: 'hlp@127.0.0.1:5000' },
  { name: 'bare-host credHelpers is not used for a port: credsStore answers', docker: { credHelpers: { '127.0.0.1': 'hlp' }, credsStore: 'store' }, lookup: oci('127.0.0.1', '5000'), want: 'store@127.0.0.1:5000' },
  { name: 'bare-host credHelpers is not used for a port: auths[host:port] answers', docker: { credHelpers: { '127.0.0.1': 'hlp' }, auths: { '127.0.0.1:5000': user('file') } }, lookup: oci('127.0.0.1', '5000'), want: 'file' },
  { name: 'bare-host credHelpers serves the portless lookup', docker: { credHelpers: { '127.0.0.1': 'hlp' }, credsStore: 'store' }, lookup: oci('127.0.0.1'), want: 'hlp@127.0.0.1' },
  { name: 'port-specific credHelpers is not used without port', docker: { credHelpers: { 'r.io:5000': 'hlp' }, auths: { 'r.io': user('file') } }, lookup: oci('r.io'), want: 'file' },
  { name: 'credsStore beats auths', docker: { credsStore: 'store', auths: { 'r.io': user('file') } }, lookup: oci('r.io'), want: 'store@r.io' },
  { name: 'auths: host:port entry for a port lookup', docker: { auths: { 'r.io': user('bare'), 'r.io:5000': user('port') } }, lookup: oci('r.io', '5000'), want: 'port' },
  { name: 'auths: bare entry for a portless lookup', docker: { auths: { 'r.io': user('bare'), 'r.io:5000': user('port') } }, lookup: oci('r.io'), want: 'bare' },
  { name: 'auths: a bare-host entry never serves another port', docker: { auths: { 'r.io': user('bare') } }, lookup: oci('r.io', '5000') },
  { name: 'auths: legacy https://host/v1/ key finds host', docker: { auths: { 'https://r.io/v1/': user('legacy') } }, lookup: oci('r.io'), want: 'legacy' },
  { name: 'auths: legacy https://host/v1/ key does not serve host:port', docker: { auths: { 'https://r.io/v1/': user('legacy') } }, lookup: oci('r.io', '5000') },
  { name: 'auths: legacy https://host:port/v1/ key finds host:port', docker: { auths: { 'https://r.io:5000/v1/': user('legacy') } }, lookup: oci('r.io', '5000'), want: 'legacy' },
  { name: 'auths: https://host key (no path) finds host', docker: { auths: { 'https://r.io': user('prefixed') } }, lookup: oci('r.io'), want: 'prefixed' },
  { name: 'auths: the exact key beats a legacy key', docker: { auths: { 'https://r.io/v1/': user('legacy'), 'r.io': user('exact') } }, lookup: oci('r.io'), want: 'exact' },
  { name: 'hub: docker.io uses https://index.docker.io/v1/', docker: { auths: { [DOCKER_HUB_KEY]: user('hub') } }, lookup: oci('docker.io'), want: 'hub' },
  { name: 'hub: index.docker.io uses https://index.docker.io/v1/', docker: { auths: { [DOCKER_HUB_KEY]: user('hub') } }, lookup: oci('index.docker.io'), want: 'hub' },
  { name: 'hub: short auths key docker.io still found', docker: { auths: { 'docker.io': user('hub2') } }, lookup: oci('docker.io'), want: 'hub2' },
  { name: 'hub: helper gets https://index.docker.io/v1/', docker: { credHelpers: { [DOCKER_HUB_KEY]: 'hlp' } }, lookup: oci('docker.io'), want: `hlp@${DOCKER_HUB_KEY}` },
  { name: 'hub: credHelpers["docker.io"] is not the hub key (docker): credsStore answers', docker: { credHelpers: { 'docker.io': 'hlp' }, credsStore: 'store' }, lookup: oci('docker.io'), want: `store@${DOCKER_HUB_KEY}` },
  { name: 'helper "not found" does not fall back to credsStore or auths', docker: { credHelpers: { 'r.io': 'nf' }, credsStore: 'store', auths: { 'r.io': user('file') } }, lookup: oci('r.io') },
  { name: 'credsStore "not found" does not fall back to auths', docker: { credsStore: 'nf', auths: { 'r.io': user('file') } }, lookup: oci('r.io') },
  { name: 'an empty credHelpers value selects the file store, not credsStore', docker: { credHelpers: { 'r.io': '' }, credsStore: 'store', auths: { 'r.io': user('file') } }, lookup: oci('r.io'), want: 'file' },
  { name: 'no hostname: no credentials', docker: { credsStore: 'store' }, lookup: { type: 'OCIRegistry' } },
  {
    name: 'a failing helper is a one-line CREDENTIAL_ERROR naming helper and server',
    docker: { credHelpers: { 'r.io': 'bad' }, auths: { 'r.io': user('file') } },
    lookup: oci('r.io'),
    error: { code: 'CREDENTIAL_ERROR' as ErrorCode, match: /^credential helper docker-credential-bad failed for r\.io: exit 1: boom$/, notMatch: /S3CRET|\n/ },
  },
  {
    name: 'a helper answering garbage is a CREDENTIAL_ERROR that never quotes the answer',
    docker: { credHelpers: { 'r.io': 'garbage' } },
    lookup: oci('r.io'),
    error: { code: 'CREDENTIAL_ERROR' as ErrorCode, match: /docker-credential-garbage failed for r\.io: answer is not JSON/, notMatch: /S3CRET|\n/ },
  },
];

test('docker config precedence follows docker: one key, credHelpers[key] > credsStore > auths[key]', async (t) => {
  const d = await tempDir();
  t.after(() => d.dispose());
  const bin = join(d.path, 'bin');
  await mkdir(bin);
  for (const name of ['hlp', 'store', 'nf', 'bad', 'garbage']) {
    await writeFile(join(bin, `docker-credential-${name}`), HELPER);
    await chmod(join(bin, `docker-credential-${name}`), 0o755);
  }
  const env = { PATH: `${bin}:${process.env.PATH}`, HOME: join(d.path, 'home') };
  for (const row of ROWS) {
    const cfg = configFromDocuments([{ type: 'credentials.config.ocm.software', repositories: [{ repository: { type: 'DockerConfig/v1', dockerConfig: JSON.stringify(row.docker) } }] }]);
    const graph = createCredentialGraph(cfg, { env, helperTimeoutMs: 5000 });
    if (row.error) {
      const { code, match, notMatch } = row.error;
      await assert.rejects(graph.resolve(row.lookup), (e) => isOcmError(e, code) && match.test(e.message) && !(notMatch?.test(e.message) ?? false), row.name);
      continue;
    }
    const got = await graph.resolve(row.lookup);
    assert.equal(got?.username, row.want, row.name);
  }
});

test('dockerKeyFor: host[:port] as given, Hub normalised, nothing without hostname', () => {
  const cases: [Identity, string | undefined][] = [
    [oci('ghcr.io'), 'ghcr.io'],
    [oci('127.0.0.1', '5000'), '127.0.0.1:5000'],
    [oci('docker.io'), DOCKER_HUB_KEY],
    [oci('index.docker.io'), DOCKER_HUB_KEY],
    [oci('docker.io', '5000'), 'docker.io:5000'],
    [oci('registry-1.docker.io'), 'registry-1.docker.io'],
    [{ type: 'OCIRegistry' }, undefined],
  ];
  for (const [identity, want] of cases) assert.equal(dockerKeyFor(identity), want, JSON.stringify(identity));
});
