import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { conformance } from '../../testing/fixtures.js';
import { isOcmError } from '../../runtime/errors.js';
import { ociConsumerIdentity, ociImageConsumerIdentity } from './consumer-identity.js';

interface Case {
  baseUrl?: string;
  subPath?: string;
  ctfFilePath?: string;
  expected?: Record<string, string>;
  expectedError?: boolean;
}

const table = JSON.parse(readFileSync(conformance('ocm-config/oci-identity-derivation-cases.json'), 'utf8')) as { cases: Case[] };

test('OCI component repository identities are derived exactly as Go derives them', async (t) => {
  for (const c of table.cases) {
    if (c.baseUrl === undefined) continue; // CTF: no consumer identity (the provider never looks one up)
    await t.test(`${c.baseUrl}${c.subPath !== undefined ? ` + subPath ${c.subPath}` : ''}`, () => {
      if (c.expectedError) {
        assert.throws(() => ociConsumerIdentity({ baseUrl: c.baseUrl!, subPath: c.subPath }), (e) => isOcmError(e) && e.code === 'INVALID_ARGUMENT');
      } else {
        assert.deepEqual({ ...ociConsumerIdentity({ baseUrl: c.baseUrl!, subPath: c.subPath }) }, c.expected);
      }
    });
  }
});

test('image references give registry-only identities without a path', () => {
  const rows: [string, Record<string, string>][] = [
    ['ghcr.io/org/img:1.0', { type: 'OCIRegistry', hostname: 'ghcr.io' }],
    ['localhost:5000/a/b@sha256:abc', { type: 'OCIRegistry', hostname: 'localhost', port: '5000' }],
    ['https://reg.example.com:8443/x', { type: 'OCIRegistry', hostname: 'reg.example.com', port: '8443', scheme: 'https' }],
  ];
  for (const [ref, want] of rows) assert.deepEqual({ ...ociImageConsumerIdentity(ref) }, want, ref);
});

test('userinfo in a repository URL never becomes part of the identity', () => {
  assert.deepEqual({ ...ociConsumerIdentity({ baseUrl: 'https://user:pw@ghcr.io/org' }) }, { type: 'OCIRegistry', hostname: 'ghcr.io', scheme: 'https', path: 'org' });
});
