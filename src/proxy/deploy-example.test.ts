import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { configEntriesOfType, parseConfigText } from '../config/load.js';
import { repoRoot } from '../testing/fixtures.js';
import { parseClientsFile, parseConnectorsEntries } from './config.js';
import { CONNECTORS_CONFIG_TYPE } from './types.js';

// No API server here: the manifest is checked for YAML, shape and an .ocmconfig the proxy accepts.
test('deploy/kubernetes/ocm-proxy.yaml parses, runs non-root with a read-only root fs and /healthz probes, and holds a valid proxy config', async () => {
  const text = await readFile(join(repoRoot, 'deploy', 'kubernetes', 'ocm-proxy.yaml'), 'utf8');
  const docs = parseAllDocuments(text).map((d) => {
    assert.deepEqual(d.errors, []);
    return d.toJS() as { kind: string; metadata: { name: string }; data?: Record<string, string>; stringData?: Record<string, string>; spec?: any };
  });
  assert.deepEqual(docs.map((d) => d.kind), ['ConfigMap', 'Secret', 'Deployment', 'Service']);
  const deployment = docs[2]!.spec;
  const pod = deployment.template.spec;
  const c = pod.containers[0];
  assert.ok(deployment.replicas >= 2);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.readinessProbe.httpGet.path, '/healthz');
  assert.equal(c.livenessProbe.httpGet.path, '/healthz');
  assert.deepEqual(c.args.slice(0, 4), ['--config', '/etc/ocm-proxy/config/ocmconfig', 'proxy', 'serve']);

  const config = parseConfigText(docs[0]!.data!.ocmconfig!, 'ocm-proxy-config');
  const parsed = parseConnectorsEntries(configEntriesOfType(config, CONNECTORS_CONFIG_TYPE));
  assert.deepEqual([...parsed.connectors.keys()], ['acme']);
  assert.deepEqual(parsed.clientsFiles, ['/etc/ocm-proxy/clients/clients']);
  assert.deepEqual(parseClientsFile(docs[1]!.stringData!.clients!, 'clients').map((x) => x.name), ['ci']);
  const mounts = c.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
  assert.ok(mounts.includes('/etc/ocm-proxy/clients') && mounts.includes('/etc/ocm-proxy/config') && mounts.includes('/etc/ocm-proxy/upstream'));
});
