import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOcmError } from '../../runtime/errors.js';
import { evaluateLookupChain, globMatch, matchTweagEntry, parseTweagConfig } from './tweag-config.js';
import { parseHelperUri } from './uri.js';

const F = '/ws/.tweag-credential-helper.json';

test('tweag config files parse; unknown fields and unsupported helpers fail naming file and field', () => {
  const ok = parseTweagConfig(
    JSON.stringify({
      urls: [
        { scheme: 'https', host: '*.oci.acme.corp', path: '/v2/*', helper: 'oci', config: { parse_docker_config: false, token_exchange_method: 'oauth2', lookup_chain: [{ source: 'env', name: 'REG_PW', binding: 'password' }], actions: ['pull', 'push'] } },
        { host: 'github.com', helper: 'github' },
        { helper: 'null' },
      ],
    }),
    F,
  );
  assert.equal(ok.urls.length, 3);
  assert.deepEqual(ok.urls[0]!.oci, { parseDockerConfig: false, tokenExchangeMethod: 'oauth2', lookupChain: [{ source: 'env', name: 'REG_PW', binding: 'password' }], actions: ['pull', 'push'] });
  assert.deepEqual(parseTweagConfig('{"urls":[{"helper":"oci"}]}', F).urls[0]!.oci, { parseDockerConfig: true, tokenExchangeMethod: 'auto', lookupChain: [] });

  const table: [unknown, RegExp][] = [
    [{ urls: [{ helper: 'oci', hots: 'x' }] }, /urls\[0\]\.hots is not a known field/],
    [{ url: [] }, /url is not a known field/],
    [{ urls: [{ helper: 'oci', config: { lookup_chains: [] } }] }, /urls\[0\]\.config\.lookup_chains is not a known field/],
    [{ urls: [{ host: 'x' }] }, /urls\[0\]\.helper is required/],
    [{ urls: [{ helper: 's3' }] }, /helper "s3" is not supported by ocm-credential-helper/],
    [{ urls: [{ helper: 'bogus' }] }, /helper "bogus" is unknown/],
    [{ urls: [{ helper: 'oci', config: { token_exchange_method: 'magic' } }] }, /token_exchange_method must be/],
    [{ urls: [{ helper: 'oci', config: { lookup_chain: [{ source: 'keyring', service: 's', binding: 'password' }] } }] }, /source "keyring" is not supported/],
    [{ urls: [{ helper: 'oci', config: { lookup_chain: [{ source: 'env', name: 'X', binding: 'pasword' }] } }] }, /binding must be one of/],
    [{ urls: [{ helper: 'oci', config: { actions: ['delete'] } }] }, /actions must list "pull"/],
  ];
  for (const [doc, re] of table) {
    assert.throws(() => parseTweagConfig(JSON.stringify(doc), F), (e: unknown) => isOcmError(e) && re.test(e.message) && !e.message.includes('\n'), JSON.stringify(doc));
  }
  assert.throws(() => parseTweagConfig('{"urls": [ {"helper": "oci", "config": {"lookup_chain": [{"source":"static","name":"s3cr3t-value",', F), (e: unknown) => isOcmError(e) && !e.message.includes('s3cr3t'));
});

test('urls[] first match wins; * in host stays within one label, in path it crosses /', () => {
  const cfg = parseTweagConfig(
    JSON.stringify({ urls: [{ scheme: 'https', host: '*.acme.corp', path: '/v2/*', helper: 'oci' }, { host: 'registry.*', helper: 'null' }, { host: 'ghcr.io', helper: 'github' }] }),
    F,
  );
  const table: [string, string | undefined][] = [
    ['https://reg.acme.corp/v2/team/app/blobs/x', 'urls[0]'],
    ['http://reg.acme.corp/v2/team/app/blobs/x', undefined], // scheme differs
    ['https://a.b.acme.corp/v2/x/blobs/y', undefined], // tweag would match: * crossed the dot
    ['https://reg.acme.corp:5000/v2/x/blobs/y', undefined], // host includes the port
    ['https://reg.acme.corp/download/x', undefined],
    ['https://registry.local/x', 'urls[1]'],
    ['https://registry.evil.example/x', undefined],
    ['https://ghcr.io/x', 'urls[2]'],
  ];
  for (const [uri, want] of table) assert.equal(matchTweagEntry(cfg, parseHelperUri(uri))?.where, want, uri);
  assert.equal(globMatch('/v2/*', '/v2/a/b/c', true), true);
  assert.equal(globMatch('*.x', 'a.b.x', false), false);
});

test('lookup chains: first source per binding wins, unset env is skipped, auth is decoded, password alone gets user "unset"', () => {
  const env = { PW: 'pw1', EMPTY: '' };
  const table: [Parameters<typeof evaluateLookupChain>[0], ReturnType<typeof evaluateLookupChain>][] = [
    [[{ source: 'env', name: 'NOPE', binding: 'password' }, { source: 'env', name: 'PW', binding: 'password' }], { username: 'unset', password: 'pw1' }],
    [[{ source: 'env', name: 'EMPTY', binding: 'password' }], {}],
    [[{ source: 'static', name: Buffer.from('alice:s:e:c').toString('base64'), binding: 'auth' }], { username: 'alice', password: 's:e:c' }],
    [[{ source: 'static', name: Buffer.from('alice:x').toString('base64'), binding: 'auth' }, { source: 'static', name: 'bob', binding: 'username' }], { username: 'bob', password: 'x' }],
    [[{ source: 'static', name: 'rt', binding: 'identitytoken' }, { source: 'static', name: 'tok', binding: 'registrytoken' }], { identitytoken: 'rt', registrytoken: 'tok' }],
  ];
  for (const [chain, want] of table) assert.deepEqual(evaluateLookupChain(chain, env), want, JSON.stringify(chain));
  assert.throws(() => evaluateLookupChain([{ source: 'static', name: Buffer.from('nocolon').toString('base64'), binding: 'auth' }], env), /not base64 of "user:password"/);
});
