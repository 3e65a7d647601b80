import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../config/load.js';
import { redact, REDACTED } from './redact.js';

test('redact hides every secret of the effective config and keeps the shape', () => {
  const cfg = parseConfigText(`type: generic.config.ocm.software/v1
configurations:
- type: credentials.config.ocm.software
  consumers:
  - identity: {type: OCIRegistry, hostname: ghcr.io}
    credentials:
    - {type: Credentials/v1, properties: {username: me, password: top-secret-1, token: top-secret-2}}
    - {type: OCICredentials/v1, username: me2, accessToken: top-secret-3}
    - {type: RSACredentials/v1, privateKeyPEM: top-secret-4, privateKeyPEMFile: /keys/k.pem}
  repositories:
  - repository: {type: DockerConfig/v1, dockerConfig: '{"auths":{"x":{"auth":"top-secret-5"}}}'}
- type: http.config.ocm.software/v1alpha1
  timeout: 30s
- type: some.plugin.config/v1
  apiToken: top-secret-6
  nested: {clientSecret: top-secret-7, url: https://x}
`);
  const text = JSON.stringify(redact(cfg));
  assert.doesNotMatch(text, /top-secret/);
  assert.match(text, /"username":"me"/);
  assert.match(text, /"privateKeyPEMFile":"\/keys\/k.pem"/);
  assert.match(text, /"timeout":"30s"/);
  assert.match(text, /"url":"https:\/\/x"/);
  assert.ok(text.includes(REDACTED));
});
