import type { Command } from 'commander';

/** Placeholder: registers nothing yet (filled in by the issue that owns this command). */
export function register(_parent: Command): void {}
