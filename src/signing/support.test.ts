// Test-only helpers shared by the signing tests (a *.test.ts so it never ships; it has no tests).
import { readFile } from 'node:fs/promises';
import type { ComponentDescriptor, ComponentReference, Resource } from '../descriptor/types.js';
import { parseDescriptor } from '../descriptor/codec.js';
import type { ComponentVersionRepository } from '../repository/types.js';
import { bytesBlob } from '../blob/blob.js';

/** Descriptors as the library parses them (unvalidated, like the Go readers' normalisation input). */
export async function loadDescriptor(path: string): Promise<ComponentDescriptor> {
  return parseText(await readFile(path, 'utf8'), path);
}

export async function parseText(text: string, source = 'descriptor'): Promise<ComponentDescriptor> {
  return parseDescriptor(text, { source, validate: false });
}

export interface CvSpec {
  readonly name: string;
  readonly version: string;
  /** resource name → content */
  readonly resources?: Record<string, string | Buffer>;
  readonly references?: readonly { name: string; componentName: string; version: string; labels?: { name: string; value: unknown; signing?: boolean }[] }[];
  readonly creationTime?: string;
}

/** Stores a component version with local-blob resources (mediaType text/plain). */
export async function addCv(repo: ComponentVersionRepository, spec: CvSpec, mediaType = 'text/plain'): Promise<ComponentDescriptor> {
  const resources: Resource[] = [];
  for (const [name, content] of Object.entries(spec.resources ?? {})) {
    const stored = await repo.addLocalBlob(spec.name, spec.version, { content: bytesBlob(content), mediaType });
    resources.push({ name, version: spec.version, type: 'blob', relation: 'local', access: { type: 'localBlob', localReference: stored.localReference, mediaType: stored.mediaType } });
  }
  const componentReferences: ComponentReference[] = (spec.references ?? []).map((r) => ({ ...r }));
  const cd: ComponentDescriptor = {
    meta: { schemaVersion: 'v2' },
    component: {
      name: spec.name,
      version: spec.version,
      provider: 'acme.org',
      ...(spec.creationTime ? { creationTime: spec.creationTime } : {}),
      repositoryContexts: [],
      resources,
      sources: [],
      componentReferences,
    },
  };
  await repo.addComponentVersion(cd, { overwrite: true });
  return cd;
}
