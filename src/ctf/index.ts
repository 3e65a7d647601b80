/** Common Transport Format: a set of OCI repositories in a directory, tar or tgz file. */
export { openCtf, CtfStore, CtfRepository, type OpenCtfOptions } from './store.js';
export { sweepOrphanedWorkDirs } from './workdir.js';
export { detectCtfFormat, formatForPath, isCtfFormat, type CtfFormat } from './format.js';
export { ArtifactIndex, parseArtifactIndex, serializeArtifactIndex, type ArtifactEntry } from './artifact-index.js';
export { safeEntryName, ARCHIVE_MTIME } from './archive.js';
