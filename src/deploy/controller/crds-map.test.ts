import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryFromChain, parseGoDuration, repositoryReference, type DeliveryChain, type KubeObj } from './crds-map.js';

const D = 'delivery.ocm.software/v1alpha1';
const PEM = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n';
const o = (kind: string, name: string, spec: object): KubeObj => ({ apiVersion: D, kind, metadata: { name, namespace: kind === 'Deployer' ? undefined : 'ns', generation: 1 }, spec });
const chain = (over: { component?: object; resource?: object; repository?: object; deployer?: string; secrets?: Record<string, KubeObj> } = {}): DeliveryChain => ({
  deployer: o('Deployer', over.deployer ?? 'shop', { resourceRef: { name: 'r' } }),
  resource: o('Resource', 'r', over.resource ?? { componentRef: { name: 'c' }, resource: { byReference: { resource: { name: 'manifests', extraIdentity: { os: 'linux' } } } } }),
  component: o('Component', 'c', { repositoryRef: { name: 'repo' }, component: 'acme.org/shop', semver: '>=1.0.0', interval: '1m30s', verify: [{ signature: 'acme', value: PEM }], ...(over.component ?? {}) }),
  repository: o('Repository', 'repo', over.repository ?? { repositorySpec: { type: 'OCIRegistry', baseUrl: 'http://127.0.0.1:5000', subPath: '/prod/' } }),
  secrets: new Map(Object.entries(over.secrets ?? {})),
});
const target = { namespace: 'apps' };

test('parseGoDuration reads metav1.Duration strings', () => {
  for (const [text, ms] of [['10m0s', 600_000], ['1h30m', 5_400_000], ['500ms', 500], ['1.5s', 1500], ['30s', 30_000]] as const) assert.equal(parseGoDuration(text), ms, text);
  for (const bad of ['', '10', 'often', '0s', '5 m']) assert.equal(parseGoDuration(bad), undefined, bad);
});

test('repositoryReference: OCI repositorySpec → reference; other types and missing fields name the field', () => {
  assert.equal(repositoryReference(o('Repository', 'r', { repositorySpec: { type: 'OCIRegistry', baseUrl: 'ghcr.io' } })), 'ghcr.io');
  assert.equal(repositoryReference(o('Repository', 'r', { repositorySpec: { type: 'OCIRepository/v1', baseUrl: 'http://h:5000/', subPath: 'a/b' } })), 'http://h:5000/a/b');
  assert.throws(() => repositoryReference(o('Repository', 'r', { repositorySpec: { type: 'CommonTransportFormat/v1', filePath: 'x' } })), /Repository ns\/r: spec\.repositorySpec\.type: "CommonTransportFormat\/v1": only OCI registries/);
  assert.throws(() => repositoryReference(o('Repository', 'r', {})), /Repository ns\/r: spec\.repositorySpec: give/);
});

test('entryFromChain maps the OCM v2 fields onto a controller entry', () => {
  const e = entryFromChain(chain({ component: { semverFilter: '^1\\.', downgradePolicy: 'Enforce' } }), target);
  assert.equal(e.name, 'shop');
  assert.equal(e.repository, 'http://127.0.0.1:5000/prod');
  assert.equal(e.component, 'acme.org/shop');
  assert.equal(e.semver, '>=1.0.0');
  assert.equal(e.semverFilter?.source, '^1\\.');
  assert.equal(e.downgradePolicy, 'Allow');
  assert.equal(e.intervalMs, 90_000);
  assert.deepEqual(e.resource, { name: 'manifests', os: 'linux' });
  assert.deepEqual(e.target, target);
  assert.equal(e.verify[0]!.pem, PEM);
  const fromSecret = entryFromChain(chain({ component: { verify: [{ signature: 'acme', secretRef: { name: 'keys' } }] }, secrets: { keys: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'keys' }, data: { acme: Buffer.from(PEM).toString('base64') } } } }), target);
  assert.equal(fromSecret.verify[0]!.pem, PEM);
  assert.equal(fromSecret.verify[0]!.publicKey, 'Secret ns/keys key acme');
  assert.equal(entryFromChain(chain({ component: { verify: [{ signature: 'acme', value: Buffer.from(PEM).toString('base64') }] } }), target).verify[0]!.pem, PEM);
});

test('entryFromChain: each bad field is one message naming the object and the field', () => {
  const cases: [Parameters<typeof chain>[0], RegExp][] = [
    [{ component: { semver: '' } }, /^Component ns\/c: spec\.semver: give a constraint/],
    [{ component: { semver: '>>1' } }, /^Component ns\/c: spec\.semver: /],
    [{ component: { semverFilter: '(' } }, /^Component ns\/c: spec\.semverFilter: not a regular expression/],
    [{ component: { downgradePolicy: 'Sometimes' } }, /^Component ns\/c: spec\.downgradePolicy: "Sometimes": use Deny, Allow or Enforce/],
    [{ component: { interval: 'often' } }, /^Component ns\/c: spec\.interval: "often"/],
    [{ component: { verify: [] } }, /^Component ns\/c: spec\.verify: give at least one .*unverified versions are never applied/],
    [{ component: { verify: [{ signature: 'acme', value: 'not a key' }] } }, /^Component ns\/c: spec\.verify\[0\]\.value: not a PEM public key/],
    [{ component: { verify: [{ signature: 'acme', secretRef: { name: 'k' } }] } }, /^Component ns\/c: spec\.verify\[0\]\.secretRef: Secret ns\/k not found/],
    [{ component: { verify: [{ signature: 'acme', secretRef: { name: 'k' } }] }, secrets: { k: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'k' }, data: {} } } }, /Secret ns\/k has no key "acme"/],
    [{ resource: { componentRef: { name: 'c' }, resource: {} } }, /^Resource ns\/r: spec\.resource\.byReference\.resource: give the resource identity/],
    [{ resource: { componentRef: { name: 'c' }, resource: { byReference: { resource: { name: 'm' }, referencePath: [{ name: 'sub' }] } } } }, /referencePath: resources of referenced components are not supported/],
    [{ deployer: 'Not_A_Label' }, /^Deployer Not_A_Label: metadata\.name: names the ApplySet/],
  ];
  for (const [over, re] of cases) assert.throws(() => entryFromChain(chain(over), target), (e: Error) => re.test(e.message) || assert.fail(`${e.message} !~ ${re}`));
});
