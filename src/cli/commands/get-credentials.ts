import { Option, type Command } from 'commander';
import type { Identity } from '../../runtime/identity.js';
import type { Explanation } from '../../credentials/graph.js';
import { globals } from '../global-options.js';
import { action } from '../run.js';

interface Opts {
  identity?: string;
  for?: string;
  showSecrets?: boolean;
  output: string;
}

/** `ocm get credentials`: which configured entry answers a lookup, and why (secrets redacted). */
export function register(parent: Command): void {
  parent
    .command('credentials')
    .alias('creds')
    .description('explain which credentials a lookup resolves to: the matching consumer (and why), or the fallback that answered')
    .option('--identity <k=v,...>', 'the lookup identity, e.g. type=OCIRegistry,hostname=ghcr.io,path=org/repo')
    .option('--for <reference>', 'derive the lookup identity from a repository or component reference, e.g. ghcr.io/org//acme.org/app:1.0')
    .option('--show-secrets', 'print secret values instead of <redacted>')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'yaml', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Order: an entry whose identity equals the lookup; else the most specific matching entry (literal
path > longer literal path > fewer wildcards > explicit scheme/port > config order); only when no
entry matches: the credential repositories (DockerConfig/v1). Nothing found = anonymous access.

Example:
  $ ocm get credentials --identity type=OCIRegistry,hostname=ghcr.io,path=org/repo
  $ ocm get credentials --for http://127.0.0.1:5000/ocm//acme.org/app:1.0.0 -o yaml
`,
    )
    .action(
      action(async (opts: Opts, cmd: Command) => {
        const { OcmError, ErrorCode } = await import('../../runtime/errors.js');
        const ctx = await import('../context.js');
        const format = ctx.outputFormat(opts.output, ['text', 'yaml', 'json'] as const, 'text');
        if ((opts.identity === undefined) === (opts.for === undefined)) {
          throw new OcmError(ErrorCode.INVALID_ARGUMENT, 'give exactly one of --identity k=v,... or --for <reference>');
        }
        const identity = opts.identity !== undefined ? (await import('../../runtime/identity.js')).parseIdentity(opts.identity) : await identityFor(opts.for!);
        if (!identity) {
          await ctx.print(`${opts.for}: a CTF archive needs no credentials (no lookup happens)\n`);
          return;
        }
        const { credentialGraphFor } = await import('../credentials.js');
        const { redactCredentials } = await import('../../credentials/redact.js');
        const graph = await credentialGraphFor(globals(cmd));
        const e = await graph.explain(identity, { signal: ctx.cliSignal() });
        const shown = e.credentials ? (opts.showSecrets ? { ...e.credentials } : redactCredentials(e.credentials)) : undefined;
        const view = { ...e, credentials: shown };
        if (format === 'json') return ctx.print(`${JSON.stringify(view, null, 2)}\n`);
        if (format === 'yaml') return ctx.print((await import('yaml')).stringify(view));
        await ctx.print(renderText(view));
      }),
    );
}

async function identityFor(text: string): Promise<Identity | undefined> {
  const refs = await import('../../repository/reference.js');
  const { ociConsumerIdentity } = await import('../../oci/remote/consumer-identity.js');
  const afterScheme = text.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  const spec = afterScheme.includes('//') ? refs.parseComponentReference(text).repository : refs.parseRepositoryReference(text);
  if (refs.repositoryKindOf(spec.type) !== 'oci') return undefined;
  const s = spec as { baseUrl?: unknown; subPath?: unknown };
  return ociConsumerIdentity({ baseUrl: String(s.baseUrl ?? ''), ...(typeof s.subPath === 'string' ? { subPath: s.subPath } : {}) });
}

function id(i: Identity): string {
  return Object.keys(i)
    .sort()
    .map((k) => `${k}=${i[k]}`)
    .join(',');
}

function renderText(e: Explanation): string {
  const lines = [`lookup:  ${id(e.lookup)}`];
  if (e.matched) {
    lines.push(`matched: ${id(e.matched.identity)}`, `  from:  ${e.matched.source ?? '<inline>'} (${e.matched.where})`, `  why:   ${e.matched.how === 'exact' ? 'identity equals the lookup' : e.matched.rule}`);
    for (const o of e.alsoMatched) lines.push(`  also matched (less specific): ${id(o.identity)} in ${o.source ?? '<inline>'} (${o.where})`);
  } else {
    lines.push('matched: no configured consumer');
  }
  for (const m of e.nearMisses) lines.push(`  not: ${id(m.identity)} in ${m.source ?? '<inline>'}: ${m.reason}`);
  for (const r of e.repositories) lines.push(`repository ${r.type} (${r.source ?? r.where}): ${r.result}${r.detail ? ` — ${r.detail}` : ''}`);
  if (e.credentials) {
    lines.push(`result:  ${e.outcome === 'repository' ? 'from the credential repository' : 'from the consumer'} (${e.credentialType ?? 'credentials'})`);
    for (const [k, v] of Object.entries(e.credentials)) lines.push(`  ${k}: ${v}`);
  } else {
    lines.push(e.matched ? 'result:  the matching consumer holds no credentials: anonymous access' : 'result:  no credentials: anonymous access');
  }
  return `${lines.join('\n')}\n`;
}
