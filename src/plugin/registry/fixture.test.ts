// Test-only helper shared by the plugin registry tests (a *.test.ts so it never ships; it has no tests).
import { bytesBlob } from '../../blob/blob.js';
import type { ComponentDescriptor, Resource } from '../../descriptor/types.js';
import type { ComponentVersionRepository } from '../../repository/types.js';

export interface Build {
  os: string;
  architecture: string;
  content: Buffer;
}

/** A plugin component: one `ocmPlugin` resource per build (extraIdentity os/architecture), as local blobs. */
export async function addPluginComponent(repo: ComponentVersionRepository, name: string, version: string, builds: Build[], description?: string): Promise<void> {
  const resources: Resource[] = [];
  const seen = new Set<string>();
  for (const b of builds) {
    if (seen.has(`${b.os}/${b.architecture}`)) continue;
    seen.add(`${b.os}/${b.architecture}`);
    const stored = await repo.addLocalBlob(name, version, { content: bytesBlob(b.content), mediaType: 'application/octet-stream' });
    resources.push({
      name: 'plugin',
      version,
      type: 'ocmPlugin',
      relation: 'local',
      extraIdentity: { os: b.os, architecture: b.architecture },
      access: { type: 'localBlob', localReference: stored.localReference, mediaType: stored.mediaType },
    });
  }
  const cd: ComponentDescriptor = {
    meta: { schemaVersion: 'v2' },
    component: {
      name,
      version,
      provider: 'acme.org',
      ...(description ? { labels: [{ name: 'ocm.software/description', value: description }] } : {}),
      repositoryContexts: [],
      resources,
      sources: [],
      componentReferences: [],
    },
  };
  await repo.addComponentVersion(cd);
}

