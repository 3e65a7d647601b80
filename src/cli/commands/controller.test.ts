/**
 * `ocm controller run` end to end on real registries and the fake API server: a signed product is
 * imported version by version into an "air-gapped" registry through a CTF; the controller applies
 * 1.0.0, picks up 1.1.0 in its loop (pruning the object 1.1.0 dropped), and rejects 2.0.0 (outside
 * the constraint), an unsigned 1.2.0, a 1.3.0 signed with another key, a 1.4.0 whose manifests were
 * changed in the air-gapped registry after signing (signature kept) and a downgrade, recording
 * each step in its status file and on /metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { ocmBin } from '../../testing/fixtures.js';
import { writeOciLayout } from '../../testing/image-fixture.js';
import { run, skopeoAvailable } from '../../testing/registry-fixture.js';
import { registryAvailable } from '../../testing/registry.js';
import { startKubeFake } from '../../testing/kube-fake.js';
import { bytesBlob } from '../../blob/blob.js';
import { openRepository } from '../../repository/open.js';
import { airGapWorld } from '../../testing/air-gap-world.js';

const skip = !registryAvailable() || !skopeoAvailable() ? 'docker-registry or skopeo not installed' : false;
const APP = 'acme.org/deploy/shop';
const VERSIONS = ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0', '2.0.0'];

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: shop}
spec:
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec: {containers: [{name: shop, image: "example.org/shop:dev"}]}
`;
const service = 'apiVersion: v1\nkind: Service\nmetadata: {name: shop}\nspec: {selector: {app: shop}, ports: [{port: 80}]}\n';

interface Status {
  entries: { name: string; lastAppliedVersion?: string; lastAppliedDigest?: string; conditions: { type: string; status: string; reason: string; message: string }[]; events: { message: string }[]; rejected?: Record<string, string> }[];
}

test('controller run: applies 1.0.0, loop picks up 1.1.0 and prunes, rejects out-of-constraint, unsigned, wrongly signed, tampered and downgrades', { skip }, async (t) => {
  const w = await airGapWorld(t);
  const { src, gap, p, ocm, ok } = w;
  const dir = { path: w.dir };
  const kube = await startKubeFake({ readyAfterPolls: 1 });
  t.after(() => kube.stop());

  const layout = await writeOciLayout(p('image'), { single: true });
  await run('skopeo', ['copy', '-q', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout.dir}:${layout.tag}`, `docker://${src.host}/images/shop:${layout.tag}`]);
  const digest = layout.root.digest;
  for (const v of VERSIONS) {
    await mkdir(p(v));
    // 1.1.0 and later drop the Service: the controller must prune it.
    await writeFile(p(`${v}/manifests.yaml`), v === '1.0.0' ? `${deployment}---\n${service}` : deployment);
  }
  await writeFile(p('rules.yaml'), 'localization:\n  - {resource: {name: image}, file: manifests.yaml, image: "spec.template.spec.containers[0].image"}\n');
  const component = (v: string) => `  - name: ${APP}
    version: ${v}
    provider: {name: acme.org}
    resources:
      - name: image
        type: ociImage
        version: "1.0"
        access: {type: ociArtifact, imageReference: "${src.host}/images/shop:${layout.tag}@${digest}"}
        digest: {hashAlgorithm: SHA-256, normalisationAlgorithm: ociArtifactDigest/v1, value: ${digest.slice(7)}}
      - {name: manifests, type: kubernetes-manifests, input: {type: file, path: ${v}/manifests.yaml, mediaType: application/x-yaml}}
      - {name: rules, type: ocm.software/localization-rules, input: {type: file, path: rules.yaml}}
`;
  await writeFile(p('component-constructor.yaml'), `components:\n${VERSIONS.map(component).join('')}`);
  for (const k of ['key', 'other']) {
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', p(`${k}.pem`)], { stdio: 'ignore' });
    execFileSync('openssl', ['pkey', '-in', p(`${k}.pem`), '-pubout', '-out', p(`${k}.pub`)], { stdio: 'ignore' });
  }
  const source = `${src.url}/ocm`;
  const airgap = `${gap.url}/prod`;
  await ok(['add', 'cv', '-r', source, '-c', 'component-constructor.yaml']);
  // 1.2.0 stays unsigned; 1.3.0 is signed "acme" with a key the controller does not trust.
  for (const v of ['1.0.0', '1.1.0', '1.4.0', '2.0.0']) await ok(['sign', 'cv', `${source}//${APP}:${v}`, '--signature', 'acme', '--private-key', p('key.pem')]);
  await ok(['sign', 'cv', `${source}//${APP}:1.3.0`, '--signature', 'acme', '--private-key', p('other.pem')]);
  const importVersion = async (v: string) => {
    await ok(['transfer', 'cv', `${source}//${APP}:${v}`, p(`transport-${v}`), '--copy-resources', '--upload-as', 'ociArtifact', '-q']);
    await ok(['transfer', 'cv', `${p(`transport-${v}`)}//${APP}:${v}`, airgap, '--copy-resources', '--upload-as', 'ociArtifact', '-q']);
  };

  const kubeconfig = await kube.writeKubeconfig();
  const writeConfig = (semver: string, interval = '1s') =>
    writeFile(
      p('controller.yaml'),
      `apiVersion: controller.ocm.software/v1alpha1
kind: ControllerConfig
entries:
  - name: shop
    repository: ${airgap}
    component: ${APP}
    semver: "${semver}"
    interval: ${interval}
    verify: [{signature: acme, publicKey: key.pub}]
    resource: name=manifests
    target: {kubeconfig: ${kubeconfig}, namespace: shop}
`,
    );
  const statusOf = async (): Promise<Status['entries'][number]> => (JSON.parse(await readFile(p('status.json'), 'utf8')) as Status).entries[0]!;
  const once = () => ocm(['controller', 'run', '--config', p('controller.yaml'), '--once', '--status-file', p('status.json')]);
  const has = (kind: string, api: string) => kube.get(api, kind, 'shop', 'shop') !== undefined;

  await t.test('--once applies 1.0.0 (verified, localized to the air-gapped registry by digest)', async () => {
    await importVersion('1.0.0');
    await writeConfig('>=1.0.0 <2.0.0');
    const r = await once();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^shop: acme\.org\/deploy\/shop:1\.0\.0 Ready \(Applied: 1\.0\.0 applied\)$/m);
    const s = await statusOf();
    assert.equal(s.lastAppliedVersion, '1.0.0');
    assert.match(s.lastAppliedDigest ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(s.conditions.map((c) => `${c.type}=${c.status}`), ['Ready=True', 'Verified=True', 'Applied=True']);
    assert.match(s.events.at(-1)!.message, /^applied 1\.0\.0: 2 created/);
    const dep = kube.get('apps/v1', 'Deployment', 'shop', 'shop') as { spec: { template: { spec: { containers: { image: string }[] } } } };
    assert.equal(dep.spec.template.spec.containers[0]!.image.split('@')[1], digest);
    assert.ok(dep.spec.template.spec.containers[0]!.image.startsWith(`${gap.host}/prod/`));
    assert.ok(has('Service', 'v1'));
  });

  await t.test('the loop picks up 1.1.0 within its interval, prunes the dropped Service, serves /metrics, stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [ocmBin, 'controller', 'run', '--config', p('controller.yaml'), '--status-file', p('status.json'), '--metrics-listen', '127.0.0.1:0'], {
      cwd: dir.path,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const waitFor = async <T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> => {
      const end = Date.now() + ms;
      for (;;) {
        const v = await f().catch(() => undefined);
        if (v !== undefined) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; controller stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const url = await waitFor('metrics URL', async () => /metrics on (\S+)/.exec(stderr)?.[1]);
    await importVersion('1.1.0');
    await waitFor('1.1.0 applied', async () => ((await statusOf()).lastAppliedVersion === '1.1.0' ? true : undefined));
    assert.equal(has('Service', 'v1'), false, 'the Service 1.1.0 dropped is pruned');
    assert.ok(has('Deployment', 'apps/v1'));
    const s = await statusOf();
    assert.match(s.events.at(-1)!.message, /^applied 1\.1\.0 \(was 1\.0\.0\): 0 created, 1 configured, 0 unchanged, 1 pruned \(Service shop\/shop\)/);
    const metrics = await (await fetch(url)).text();
    assert.match(metrics, /^ocm_controller_applied_version_info\{entry="shop",component="acme\.org\/deploy\/shop",version="1\.1\.0",digest="sha256:[0-9a-f]+"\} 1$/m);
    assert.match(metrics, /^ocm_controller_reconcile_total\{entry="shop"\} \d+$/m);
    assert.match(metrics, /^ocm_controller_last_success_timestamp_seconds\{entry="shop"\} \d+$/m);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  });

  await t.test('2.0.0 outside the constraint, unsigned 1.2.0 and 1.3.0 signed with another key are rejected; 1.1.0 stays', async () => {
    for (const v of ['2.0.0', '1.2.0', '1.3.0']) await importVersion(v);
    const r = await once();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /shop:1\.1\.0 Ready \(KeptCurrent: 1\.1\.0 kept: no newer allowed version passed verification\)/);
    const s = await statusOf();
    assert.equal(s.lastAppliedVersion, '1.1.0');
    const events = s.events.map((e) => e.message);
    assert.ok(events.includes('rejected 2.0.0: outside constraint >=1.0.0 <2.0.0'), events.join('\n'));
    assert.ok(events.some((e) => /^rejected 1\.3\.0: signature acme failed: .*signature/.test(e)), events.join('\n'));
    assert.ok(events.some((e) => /^rejected 1\.2\.0: signature acme failed: .*has no signature "acme"/.test(e)), events.join('\n'));
    assert.deepEqual(Object.keys(s.rejected ?? {}).sort(), ['1.2.0', '1.3.0']);
    assert.equal(s.conditions.find((c) => c.type === 'Verified')!.status, 'False');
    const dep = kube.get('apps/v1', 'Deployment', 'shop', 'shop') as { metadata: { annotations: Record<string, string> } };
    assert.equal(dep.metadata.annotations['component.delivery.ocm.software/version'], '1.1.0');
    // a second run does not repeat the events (rejections are remembered in the status file)
    const n = s.events.length;
    assert.equal((await once()).code, 0);
    assert.equal((await statusOf()).events.length, n);
  });

  await t.test('1.4.0, signed correctly and then changed in the air-gapped registry, is rejected naming the resource and its digest; 1.1.0 stays', async () => {
    await importVersion('1.4.0');
    // The tamper an attacker with write access to the registry can do: store other manifests as the
    // resource's blob and re-tag the component version with the signed descriptor otherwise unchanged
    // (resource digest and signature kept).
    const repo = await openRepository({ type: 'OCIRepository/v1', baseUrl: airgap });
    try {
      const cd = await repo.getComponentVersion(APP, '1.4.0');
      const res = cd.component.resources.find((r) => r.name === 'manifests')!;
      const signedDigest = res.digest!.value;
      const evil = deployment.replace('example.org/shop:dev', 'evil.example/miner:latest');
      const stored = await repo.addLocalBlob(APP, '1.4.0', { content: bytesBlob(evil), mediaType: 'application/x-yaml', artifacts: [{ kind: 'resource', identity: { name: 'manifests' } }] });
      const access = { type: 'localBlob', localReference: stored.localReference, mediaType: stored.mediaType };
      const tampered = { ...cd, component: { ...cd.component, resources: cd.component.resources.map((r) => (r.name === 'manifests' ? { ...r, access } : r)) } };
      await repo.addComponentVersion(tampered, { overwrite: true });
      assert.equal((await repo.getComponentVersion(APP, '1.4.0')).component.resources.find((r) => r.name === 'manifests')!.digest!.value, signedDigest);
      assert.ok(tampered.signatures?.some((sig) => sig.name === 'acme'), 'the signature is kept');
    } finally {
      await repo.close();
    }
    const r = await once();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /shop:1\.1\.0 Ready \(KeptCurrent: /);
    const s = await statusOf();
    assert.equal(s.lastAppliedVersion, '1.1.0');
    const msg = s.rejected?.['1.4.0'] ?? '';
    assert.match(msg, /^signature acme failed: .*manifests/, msg);
    assert.match(msg, /digest|sha256/, msg);
    t.diagnostic(msg);
    assert.ok(s.events.some((e) => e.message === `rejected 1.4.0: ${msg}`));
    const dep = kube.get('apps/v1', 'Deployment', 'shop', 'shop') as { metadata: { annotations: Record<string, string> }; spec: { template: { spec: { containers: { image: string }[] } } } };
    assert.equal(dep.metadata.annotations['component.delivery.ocm.software/version'], '1.1.0');
    assert.doesNotMatch(dep.spec.template.spec.containers[0]!.image, /evil/);
  });

  await t.test('Deny: a constraint that only allows older versions does not downgrade', async () => {
    await writeConfig('<1.1.0');
    const r = await once();
    assert.equal(r.code, 0, r.stderr);
    const s = await statusOf();
    assert.equal(s.lastAppliedVersion, '1.1.0');
    assert.ok(s.events.some((e) => e.message === 'rejected 1.0.0: downgrade from 1.1.0 denied (downgradePolicy: Deny)'));
    const dep = kube.get('apps/v1', 'Deployment', 'shop', 'shop') as { metadata: { annotations: Record<string, string> } };
    assert.equal(dep.metadata.annotations['component.delivery.ocm.software/version'], '1.1.0');
  });

  await t.test('a bad config is one line naming the entry and field; nothing allowed with nothing applied fails --once', async () => {
    await writeFile(p('bad.yaml'), (await readFile(p('controller.yaml'), 'utf8')).replace('interval: 1s', 'interval: often'));
    const bad = await ocm(['controller', 'run', '--config', p('bad.yaml'), '--once']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /^Error: controller config .*bad\.yaml: entry shop: interval: "often": give a duration/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    await writeConfig('>=5.0.0');
    const none = await ocm(['controller', 'run', '--config', p('controller.yaml'), '--once', '--status-file', p('fresh.json')]);
    assert.equal(none.code, 1, none.stderr);
    assert.match(none.stdout, /NotReady \(NoVersionAllowed: no version matches semver >=5\.0\.0/);
  });
});
