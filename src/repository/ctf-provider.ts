/**
 * The `CommonTransportFormat/v1` repository type (aliases `CommonTransportFormat`, `CTF`; names match case-insensitively):
 * a CTF archive opened as a component version repository through the OCI mapping.
 */
import { resolve } from 'node:path';
import { isCtfFormat, openCtf } from '../ctf/index.js';
import type { TypedSpec } from '../descriptor/types.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import type { TypeRegistration, TypeRegistry } from '../runtime/type-registry.js';
import { OciComponentRepository } from './oci-mapping/index.js';
import type { ComponentVersionRepository, OpenRepositoryOptions, RepositoryProvider } from './types.js';

export const CTF_REPOSITORY_TYPE = 'CommonTransportFormat/v1';

export const ctfRepositoryProvider: RepositoryProvider = {
  consumerIdentity(): undefined {
    return undefined;
  },
  async open(spec: TypedSpec, options: OpenRepositoryOptions = {}): Promise<ComponentVersionRepository> {
    const filePath = spec.filePath;
    if (typeof filePath !== 'string' || filePath === '') {
      throw new OcmError(ErrorCode.INVALID_ARGUMENT, `repository spec of type ${spec.type} needs a filePath`);
    }
    const fileFormat = spec.fileFormat;
    if (fileFormat !== undefined && !isCtfFormat(fileFormat)) {
      throw new OcmError(ErrorCode.INVALID_ARGUMENT, `CTF ${filePath}: unknown fileFormat "${String(fileFormat)}" (use directory, tar or tgz)`);
    }
    const mode = spec.accessMode;
    if (mode !== undefined && mode !== 'readonly' && mode !== 'readwrite' && mode !== 'create') {
      throw new OcmError(ErrorCode.INVALID_ARGUMENT, `CTF ${filePath}: unknown accessMode ${JSON.stringify(mode)} (use readonly, readwrite or create)`);
    }
    const store = await openCtf(filePath, {
      ...(fileFormat ? { format: fileFormat } : {}),
      create: options.create === true || mode === 'create',
      readOnly: mode === 'readonly',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return new OciComponentRepository(store, { closeStore: true, location: { id: `ctf:${resolve(filePath)}`, description: filePath } });
  },
};

/** Module-level, so registering it again into the same registry is a no-op rather than a conflict. */
const registration: TypeRegistration<RepositoryProvider> = {
  type: CTF_REPOSITORY_TYPE,
  aliases: ['CommonTransportFormat', 'CTF'],
  source: 'built-in',
  schema: {
    type: 'object',
    required: ['filePath'],
    properties: {
      filePath: { type: 'string', minLength: 1 },
      fileFormat: { type: 'string', enum: ['directory', 'tar', 'tgz'] },
      accessMode: { type: 'string', enum: ['readonly', 'readwrite', 'create'] },
    },
  },
  description: 'Common Transport Format: OCI repositories in a directory, tar or tgz archive (filePath, fileFormat?, accessMode?)',
  impl: ctfRepositoryProvider,
};

export function register(registry: TypeRegistry): void {
  registry.register('repository', registration);
}
