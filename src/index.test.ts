import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ocm from './index.js';
import { conformance } from './testing/fixtures.js';

test('the facade opens a Go-written CTF and reads a component version through the library alone', async () => {
  const repo = await ocm.openRepository({ type: 'CommonTransportFormat/v1', filePath: conformance('ocm/ctf/v1-0.20.0-localblob/transport-archive') });
  try {
    const cd = await repo.getComponentVersion('github.com/acme.org/helloworld', '1.0.0');
    assert.equal(cd.component.resources[0]?.digest?.value, '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
    const again = ocm.parseDescriptor(ocm.serializeDescriptor(cd));
    assert.deepEqual(again, cd);
  } finally {
    await repo.close();
  }
});

test('the root export is small: value types, errors and the common verbs, no layer namespaces', () => {
  for (const verb of ['parseDescriptor', 'openRepository', 'addComponentVersions', 'signComponentVersion', 'verifyComponentVersion', 'transfer', 'openLocation'] as const) {
    assert.equal(typeof ocm[verb], 'function', verb);
  }
  assert.equal(typeof ocm.OcmError, 'function');
  // The layers' full APIs are subpaths (ocm-ts/ctf, ...), not namespaces of the root.
  for (const ns of ['descriptor', 'ctf', 'registry', 'ociMapping', 'componentConstructor', 'credentials', 'signing', 'transferEngine']) {
    assert.ok(!(ns in ocm), ns);
  }
});
