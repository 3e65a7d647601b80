/**
 * Test stub, not a Kubernetes API server: answers only the discovery requests kubectl needs to map
 * kinds to resources (core v1 and apps/v1 basics) and 404 for everything else, so
 * `kubectl apply --dry-run=client --validate=false --server <url>` can check rendered files.
 * Objects are never stored. Loopback only.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const res = (name: string, kind: string, namespaced = true) => ({ name, singularName: kind.toLowerCase(), namespaced, kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] });
const DISCOVERY: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }] },
  '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: [res('configmaps', 'ConfigMap'), res('services', 'Service'), res('secrets', 'Secret'), res('serviceaccounts', 'ServiceAccount'), res('namespaces', 'Namespace', false)] },
  '/apis/apps/v1': { kind: 'APIResourceList', groupVersion: 'apps/v1', resources: [res('deployments', 'Deployment'), res('statefulsets', 'StatefulSet'), res('daemonsets', 'DaemonSet')] },
};

export async function startDiscoveryStub(): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, resp) => {
    const body = DISCOVERY[(req.url ?? '').split('?')[0]!];
    const status = body ? 200 : 404;
    resp.writeHead(status, { 'content-type': 'application/json' });
    resp.end(JSON.stringify(body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
