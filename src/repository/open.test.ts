import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isOcmError } from '../runtime/errors.js';
import { TypeRegistry } from '../runtime/type-registry.js';
import { conformance } from '../testing/fixtures.js';
import { accessMethod } from './access.js';
import { registerBuiltins } from './builtins.js';
import { consumerIdentityFor, openRepository } from './open.js';
import { parseComponentReference, parseRepositoryReference } from './reference.js';

const goCtf = join(conformance('ocm/ctf/v1-0.20.0-localblob'), 'transport-archive');
const COMPONENT = 'github.com/acme.org/helloworld';

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

test('openRepository opens a parsed CTF reference (type token as written) and reads the Go descriptor', async () => {
  for (const text of [`${goCtf}//${COMPONENT}:1.0.0`, `ctf::${goCtf}//${COMPONENT}:1.0.0`, `CommonTransportFormat::${goCtf}//${COMPONENT}:1.0.0`]) {
    const ref = parseComponentReference(text);
    const repo = await openRepository(ref.repository);
    try {
      const cd = await repo.getComponentVersion(ref.component, ref.version!);
      assert.equal(cd.component.name, COMPONENT);
      assert.deepEqual(await repo.listComponentVersions(ref.component), ['1.0.0']);
    } finally {
      await repo.close();
    }
  }
});

test('openRepository of an unknown type is UNSUPPORTED and names the known types', async () => {
  await assert.rejects(
    openRepository({ type: 'S3Bucket/v1', bucket: 'x' }, { registry: new TypeRegistry() }),
    (e: unknown) => isOcmError(e, 'UNSUPPORTED') && /S3Bucket\/v1/.test((e as Error).message) && /CommonTransportFormat\/v1/.test((e as Error).message),
  );
});

test('consumer identities: none for a CTF, an OCIRegistry identity for a registry', async () => {
  assert.equal(await consumerIdentityFor(parseRepositoryReference('./ctf')), undefined);
  const id = await consumerIdentityFor(parseRepositoryReference('http://127.0.0.1:5000/ocm'));
  assert.equal(id?.['type'], 'OCIRegistry');
  assert.equal(id?.['hostname'], '127.0.0.1');
});

test('the localBlob access (and its alias LocalBlob/v1) reads the blob through the repository, verified', async () => {
  const registry = registerBuiltins(new TypeRegistry());
  const ref = { localReference: 'sha256:00', mediaType: 'text/plain' };
  assert.equal(accessMethod({ type: 'localBlob', ...ref }, registry), accessMethod({ type: 'LocalBlob/v1', ...ref }, registry));
  const repo = await openRepository({ type: 'ctf', filePath: goCtf }, { registry });
  try {
    const cd = await repo.getComponentVersion(COMPONENT, '1.0.0');
    const access = cd.component.resources[0]!.access;
    const content = await accessMethod(access, registry).open(access, { repository: repo, component: COMPONENT, version: '1.0.0' });
    assert.equal((await readAll(content.stream)).toString(), 'test');
  } finally {
    await repo.close();
  }
});

test('the localBlob access without a repository is an INVALID_ARGUMENT naming the component version', async () => {
  const registry = registerBuiltins(new TypeRegistry());
  const access = { type: 'localBlob', localReference: 'sha256:00', mediaType: 'text/plain' };
  await assert.rejects(
    accessMethod(access, registry).open(access, { component: 'acme.org/x', version: '1.0.0' }),
    (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT') && /acme\.org\/x:1\.0\.0/.test((e as Error).message),
  );
});
