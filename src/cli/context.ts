/**
 * What every CLI command needs around the library: references → opened repositories with the
 * invocation's credentials, an AbortSignal tied to Ctrl-C, and "close even when failing".
 * Imported lazily from command actions (never from command registration).
 */
import type { TypedSpec } from '../descriptor/types.js';
import { openRepository } from '../repository/open.js';
import { parseComponentReference, type ComponentReference } from '../repository/reference.js';
import type { ComponentVersionRepository } from '../repository/types.js';
import type { GlobalOptions } from './global-options.js';
import { cliSignal, credentialsFor, ocmSession, repositorySpecFor } from './session.js';

export { cliSignal, credentialsFor, describeRepository, ocmSession, outputFormat, print, repositorySpecFor } from './session.js';

export interface OpenedReference {
  readonly ref: ComponentReference;
  readonly repository: ComponentVersionRepository;
}

/** Opens a repository spec with this invocation's credentials and transport options. */
export async function openSpec(spec: TypedSpec, globals: GlobalOptions, options: { create?: boolean } = {}): Promise<ComponentVersionRepository> {
  const session = ocmSession(globals);
  return await openRepository(spec, {
    credentials: await credentialsFor(globals),
    signal: session.signal,
    registry: session.types,
    ...(globals.plainHttp ? { plainHttp: true } : {}),
    ...(options.create ? { create: true } : {}),
  });
}

/** Parses `[type::]repo//component[:version]` and opens its repository. */
export async function openFromReference(text: string, globals: GlobalOptions): Promise<OpenedReference> {
  const ref = parseComponentReference(text);
  return { ref, repository: await openSpec(ref.repository, globals) };
}

/** Parses a repository reference (`./ctf`, `ctf::x.tgz`, `ghcr.io/org`) and opens it. */
export async function openRepositoryReference(
  text: string,
  globals: GlobalOptions,
  options: { create?: boolean; fileFormat?: string } = {},
): Promise<{ spec: TypedSpec; repository: ComponentVersionRepository }> {
  const spec = repositorySpecFor(text, options.fileFormat);
  return { spec, repository: await openSpec(spec, globals, options) };
}

/** Runs `fn` with the repository and closes it afterwards, also on failure (a close error never hides the first error). */
export async function using<T>(repository: ComponentVersionRepository, fn: (r: ComponentVersionRepository) => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await fn(repository);
  } catch (e) {
    await repository.close().catch(() => undefined);
    throw e;
  }
  await repository.close({ signal: cliSignal() });
  return result;
}
