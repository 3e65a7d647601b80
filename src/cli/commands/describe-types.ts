import { Option, type Command } from 'commander';
import { action } from '../run.js';

interface Opts {
  output?: string;
}

/** Go's subsystem names (`ocm describe types ocm-repository`) and plural spellings → our kinds. */
const KIND_ALIASES: Readonly<Record<string, string>> = {
  'ocm-repository': 'repository',
  repositories: 'repository',
  'ocm-repository-lister': 'lister',
  listers: 'lister',
  credentials: 'credential',
  'credential-repositories': 'credential-repository',
  inputs: 'input',
  'access-types': 'access',
  transformer: 'blob-transformer',
  transformers: 'blob-transformer',
};

/** Kinds in the order a reader meets them; kinds not listed (a plugin's own) come last. */
const KIND_ORDER = ['repository', 'lister', 'access', 'input', 'credential', 'credential-repository', 'signer', 'signing', 'hash', 'normalisation', 'digest', 'blob-transformer'];
const rank = (k: string) => (KIND_ORDER.includes(k) ? KIND_ORDER.indexOf(k) : KIND_ORDER.length);

/** `ocm describe types [kind [type]]`: every registered type (built-in and plugin), or one type's JSON schema. */
export function register(parent: Command): void {
  parent
    .command('types')
    .alias('type')
    .description('list every registered type per kind (repository, access, input, credential, signing, ...), or print the JSON schema of one type')
    .argument('[kind]', 'only this kind, e.g. repository, lister, access, input, credential, credential-repository, signing')
    .argument('[type]', 'print the JSON schema of this type (any of its names), e.g. OCIRepository/v1')
    .addOption(new Option('-o, --output <format>', 'output format: table|json|yaml for lists (default table), yaml|json for a schema (default yaml)').choices(['table', 'json', 'yaml']))
    .addHelpText(
      'after',
      `
Types come from the built-in layers and from installed plugins (SOURCE says which). A type name
without a version means v1; names match case-insensitively.

Example:
  $ ocm describe types
  $ ocm describe types repository
  $ ocm describe types repository OCIRepository/v1 -o json
`,
    )
    .action(
      action(async (kind: string | undefined, type: string | undefined, opts: Opts) => {
        const [ctx, { allBuiltinTypes }, { OcmError, ErrorCode }] = await Promise.all([import('../session.js'), import('../plugins.js'), import('../../runtime/errors.js')]);
        // Plugin types were registered into this registry before the action (preAction hook).
        const registry = await allBuiltinTypes();
        const kinds = registry.kinds().sort((a, b) => rank(a) - rank(b));
        let selected = kinds;
        if (kind !== undefined) {
          const k = KIND_ALIASES[kind.toLowerCase()] ?? kind.toLowerCase();
          if (!kinds.includes(k)) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `unknown kind "${kind}" (known: ${kinds.join(', ')})`);
          selected = [k];
        }
        if (type !== undefined) {
          const r = registry.get(selected[0]!, type);
          const format = ctx.outputFormat(opts.output, ['yaml', 'json'] as const, 'yaml');
          if (!r.schema) process.stderr.write(`${r.type} (${selected[0]}) declares no JSON schema: any spec of the type is accepted\n`);
          const schema = r.schema ?? {};
          await ctx.print(format === 'json' ? `${JSON.stringify(schema, null, 2)}\n` : (await import('yaml')).stringify(schema));
          return;
        }
        const rows = selected.flatMap((k) =>
          registry.list(k).map((r) => ({ kind: k, type: r.type, aliases: [...(r.aliases ?? [])], source: r.source ?? 'built-in', description: r.description ?? '' })),
        );
        const format = ctx.outputFormat(opts.output, ['table', 'json', 'yaml'] as const, 'table');
        if (format === 'json') return await ctx.print(`${JSON.stringify(rows, null, 2)}\n`);
        if (format === 'yaml') return await ctx.print((await import('yaml')).stringify(rows));
        const { renderTable } = await import('../output/table.js');
        await ctx.print(renderTable(['kind', 'type', 'aliases', 'source', 'description'], rows.map((r) => [r.kind, r.type, r.aliases.join(', '), r.source, r.description])));
      }),
    );
}
