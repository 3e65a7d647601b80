import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../testing/fixtures.js';
import { openRepository } from '../repository/open.js';
import type { ComponentVersionRepository } from '../repository/types.js';
import type { ComponentDescriptor } from '../descriptor/types.js';
import { bytesBlob } from '../blob/blob.js';
import { addCv } from './support.test.js';
import { signComponentVersion } from './sign.js';
import { verifyComponentVersion } from './verify.js';
import { normalisedDigest } from './normalise/index.js';
import { RSASSA_PSS, parsePublicKey } from './rsa.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKey = parsePublicKey(keys.publicKey.export({ type: 'spki', format: 'pem' }));
const other = parsePublicKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'pkcs1', format: 'pem' }));

async function fixture(t: { after(fn: () => Promise<void>): void }): Promise<{ dir: string; repo: ComponentVersionRepository }> {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const dir = join(tmp.path, 'ctf');
  const repo = await openRepository({ type: 'CommonTransportFormat/v1', filePath: dir }, { create: true });
  t.after(() => repo.close());
  await addCv(repo, { name: 'acme.org/child', version: '1.0.0', resources: { data: 'child data' } });
  await addCv(repo, {
    name: 'acme.org/root',
    version: '1.0.0',
    creationTime: '2024-05-06T07:08:09Z',
    resources: { readme: 'hello', config: '{"a":1}' },
    references: [{ name: 'child', componentName: 'acme.org/child', version: '1.0.0' }],
  });
  return { dir, repo };
}

const sign = (repo: ComponentVersionRepository, extra: Partial<Parameters<typeof signComponentVersion>[0]> = {}) =>
  signComponentVersion({ repository: repo, component: 'acme.org/root', version: '1.0.0', name: 'acme', privateKey: keys.privateKey as KeyObject, ...extra });
const verify = (repo: ComponentVersionRepository, extra: Partial<Parameters<typeof verifyComponentVersion>[0]> = {}) =>
  verifyComponentVersion({ repository: repo, component: 'acme.org/root', version: '1.0.0', signature: 'acme', publicKey, ...extra });

async function edit(repo: ComponentVersionRepository, component: string, fn: (cd: ComponentDescriptor) => ComponentDescriptor): Promise<void> {
  const cd = await repo.getComponentVersion(component, '1.0.0');
  await repo.addComponentVersion(fn(cd), { overwrite: true });
}

function failsWith(re: RegExp) {
  return (e: Error & { code?: string }) => {
    assert.match(e.message, re);
    assert.ok(e.code === 'VERIFICATION_FAILED' || e.code === 'DIGEST_MISMATCH', e.code);
    return true;
  };
}

test('sign stores digests and a v3/SHA-256/PKCS#1 v1.5 signature in the CTF; verify re-reads and accepts it', async (t) => {
  const { repo } = await fixture(t);
  const res = await sign(repo);
  assert.deepEqual({ ...res.signature.digest, value: undefined }, { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'jsonNormalisation/v3', value: undefined });
  assert.equal(res.signature.signature.algorithm, 'RSASSA-PKCS1-V1_5');
  assert.equal(res.signature.signature.mediaType, 'application/vnd.ocm.signature.rsa');
  assert.match(res.signature.signature.value, /^[0-9a-f]{512}$/);
  const stored = await repo.getComponentVersion('acme.org/root', '1.0.0');
  assert.equal(stored.signatures?.length, 1);
  assert.deepEqual(stored.component.resources.map((r) => r.digest?.normalisationAlgorithm), ['genericBlobDigest/v1', 'genericBlobDigest/v1']);
  assert.equal(stored.component.componentReferences[0]!.digest?.normalisationAlgorithm, 'jsonNormalisation/v3');
  assert.equal(stored.component.creationTime, '2024-05-06T07:08:09Z');
  assert.equal(normalisedDigest(stored, 'jsonNormalisation/v3').value, res.signature.digest.value);
  // the child was only digested in memory, not stored (no --recursive)
  assert.equal((await repo.getComponentVersion('acme.org/child', '1.0.0')).signatures, undefined);
  const out = await verify(repo);
  assert.equal(out.verified.length, 1);
  assert.equal(out.verified[0]!.component, 'acme.org/root:1.0.0');
  await assert.rejects(verify(repo, { publicKey: other }), failsWith(/does not verify with the given public key/));
});

test('re-signing under an existing name needs force; dry-run stores nothing; PSS and v4alpha1/SHA-512 on request', async (t) => {
  const { repo } = await fixture(t);
  await sign(repo);
  await assert.rejects(sign(repo), (e: Error & { code?: string }) => e.code === 'ALREADY_EXISTS' && /--force/.test(e.message));
  const pss = await sign(repo, { force: true, algorithm: RSASSA_PSS, normalisation: 'jsonNormalisation/v4alpha1', hashAlgorithm: 'SHA-512' });
  assert.equal(pss.signature.signature.mediaType, 'application/vnd.ocm.signature.rsa.pss');
  assert.equal(pss.signature.digest.hashAlgorithm, 'SHA-512');
  const stored = await repo.getComponentVersion('acme.org/root', '1.0.0');
  assert.equal(stored.signatures?.length, 1);
  await verify(repo);
  const dry = await sign(repo, { name: 'dry', dryRun: true });
  assert.equal(dry.signature.name, 'dry');
  assert.equal((await repo.getComponentVersion('acme.org/root', '1.0.0')).signatures?.length, 1);
});

test('tampering a signed descriptor field fails verification naming the modification', async (t) => {
  const { repo } = await fixture(t);
  await sign(repo);
  await edit(repo, 'acme.org/root', (cd) => ({ ...cd, component: { ...cd.component, creationTime: '2024-05-06T07:08:10Z' } }));
  await assert.rejects(verify(repo), failsWith(/acme.org\/root:1.0.0 was modified after signing: signature "acme" covers jsonNormalisation\/v3 digest [0-9a-f]{64}, the descriptor now gives [0-9a-f]{64}/));
});

test('access changes and non-signing labels are not signed', async (t) => {
  const { repo } = await fixture(t);
  await sign(repo);
  await edit(repo, 'acme.org/root', (cd) => ({
    ...cd,
    component: { ...cd.component, labels: [{ name: 'note', value: 'volatile' }], repositoryContexts: [{ type: 'OCIRegistry', baseUrl: 'ghcr.io' }] },
  }));
  await verify(repo);
});

test('a changed resource digest field or a changed resource blob names the resource, field, expected and found', async (t) => {
  const { repo } = await fixture(t);
  await sign(repo);
  const stored = await repo.getComponentVersion('acme.org/root', '1.0.0');
  const good = stored.component.resources[1]!.digest!.value;
  const blob = await repo.addLocalBlob('acme.org/root', '1.0.0', { content: bytesBlob('{"a":2}'), mediaType: 'text/plain' });
  await edit(repo, 'acme.org/root', (cd) => ({
    ...cd,
    component: { ...cd.component, resources: cd.component.resources.map((r, i) => (i === 1 ? { ...r, access: { ...r.access, localReference: blob.localReference } } : r)) },
  }));
  await assert.rejects(verify(repo), failsWith(new RegExp(`resource "config" of acme.org/root:1.0.0 changed: field resources\\[1\\]\\.digest\\.value \\(genericBlobDigest/v1, SHA-256\\) records ${good}, the content gives [0-9a-f]{64}`)));
});

test('a flipped byte in a stored blob file is reported for its resource', async (t) => {
  const { dir, repo } = await fixture(t);
  await sign(repo);
  await repo.close();
  const stored = await (async () => {
    const r = await openRepository({ type: 'CommonTransportFormat/v1', filePath: dir });
    t.after(() => r.close());
    return { r, cd: await r.getComponentVersion('acme.org/root', '1.0.0') };
  })();
  const hex = stored.cd.component.resources[0]!.digest!.value;
  const file = join(dir, 'blobs', (await readdir(join(dir, 'blobs'))).find((n) => n.endsWith(hex))!);
  const bytes = await readFile(file);
  bytes[0]! ^= 1;
  await writeFile(file, bytes);
  await assert.rejects(verify(stored.r), failsWith(/resource "readme" of acme.org\/root:1.0.0/));
});

test('a changed referenced version (or reference digest) names the reference', async (t) => {
  const { repo } = await fixture(t);
  await sign(repo);
  const blob = await repo.addLocalBlob('acme.org/child', '1.0.0', { content: bytesBlob('evil data'), mediaType: 'text/plain' });
  await edit(repo, 'acme.org/child', (cd) => ({
    ...cd,
    component: { ...cd.component, resources: cd.component.resources.map((r) => ({ ...r, access: { ...r.access, localReference: blob.localReference } })) },
  }));
  await assert.rejects(verify(repo), failsWith(/reference "child" of acme.org\/root:1.0.0 changed: field componentReferences\[0\]\.digest\.value \(jsonNormalisation\/v3\) records [0-9a-f]{64}, acme.org\/child:1.0.0 now gives [0-9a-f]{64}/));
});

test('recursive signing signs and stores every referenced version; recursive verify checks all', async (t) => {
  const { repo } = await fixture(t);
  const res = await sign(repo, { recursive: true });
  assert.deepEqual(res.descriptors.map((d) => d.component.name), ['acme.org/child', 'acme.org/root']);
  const child = await repo.getComponentVersion('acme.org/child', '1.0.0');
  assert.equal(child.signatures?.[0]?.name, 'acme');
  assert.ok(child.component.resources[0]!.digest);
  const out = await verify(repo, { recursive: true });
  assert.deepEqual(out.verified.map((v) => v.component), ['acme.org/root:1.0.0', 'acme.org/child:1.0.0']);
});

test('a missing signature is NOT_FOUND naming the signatures present', async (t) => {
  const { repo } = await fixture(t);
  await sign(repo);
  await assert.rejects(verify(repo, { signature: 'other' }), (e: Error & { code?: string }) => e.code === 'NOT_FOUND' && /"acme"/.test(e.message));
});

test('EXCLUDE-FROM-SIGNATURE and none-access resources are not read; PEM encoding without a chain verifies', async (t) => {
  const { repo } = await fixture(t);
  await edit(repo, 'acme.org/root', (cd) => ({
    ...cd,
    component: {
      ...cd.component,
      resources: [
        ...cd.component.resources.map((r, i) => (i === 0 ? { ...r, digest: { hashAlgorithm: 'NO-DIGEST', normalisationAlgorithm: 'EXCLUDE-FROM-SIGNATURE', value: 'NO-DIGEST' } } : r)),
        { name: 'nothing', version: '1.0.0', type: 'blob', relation: 'external', access: { type: 'none' } },
      ],
    },
  }));
  const res = await sign(repo, { encoding: 'pem' });
  assert.equal(res.signature.signature.mediaType, 'application/x-pem-file');
  const stored = await repo.getComponentVersion('acme.org/root', '1.0.0');
  assert.equal(stored.component.resources[0]!.digest!.value, 'NO-DIGEST');
  assert.equal(stored.component.resources[2]!.digest, undefined);
  // the excluded resource's content may change freely
  const blob = await repo.addLocalBlob('acme.org/root', '1.0.0', { content: bytesBlob('anything'), mediaType: 'text/plain' });
  await edit(repo, 'acme.org/root', (cd) => ({
    ...cd,
    component: { ...cd.component, resources: cd.component.resources.map((r, i) => (i === 0 ? { ...r, access: { ...r.access, localReference: blob.localReference } } : r)) },
  }));
  await verify(repo);
});

test('createSignature refuses a descriptor whose resources or references have no digests yet', async (t) => {
  const { repo } = await fixture(t);
  const cd = await repo.getComponentVersion('acme.org/root', '1.0.0');
  const { createSignature } = await import('./signature.js');
  assert.throws(() => createSignature(cd, { name: 's', privateKey: keys.privateKey as KeyObject }), (e: Error & { code?: string }) => e.code === 'VALIDATION_FAILED' && /resource "readme" of acme.org\/root:1.0.0 has no digest \(resources\[0\]\.digest\), compute digests first/.test(e.message));
});
