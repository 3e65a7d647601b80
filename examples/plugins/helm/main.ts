/**
 * ocm-plugin-helm: the `helm/v1` input type (inputRepository). `{type: helm/v1, path: ./chart}` packages
 * a local chart directory (or re-packages a chart .tgz) as `helm package` lays it out and hands the
 * archive `<name>-<version>.tgz` to the host, media type application/vnd.cncf.helm.chart.content.v1.tar+gzip.
 * A relative `path` arrives absolute: the host resolves it beside the constructor file.
 */
import { isAbsolute, resolve } from 'node:path';
import { PluginError, runPlugin, s, writeLocation, type Infer, type Json } from 'ocm-ts/plugin';
import { ChartError, loadChart } from './chart.js';
import { chartArchive } from './tgz.js';

export const HELM_CHART_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

const Helm = s.object(
  {
    type: s.string(),
    path: s.string({ minLength: 1, description: 'chart directory or chart .tgz, relative to the constructor file' }),
    // Go OCM's helm input fields for charts fetched from repositories: accepted by the schema so the
    // user gets our one-line explanation rather than a schema error.
    version: s.string(),
    repository: s.string(),
    helmRepository: s.string(),
    caCert: s.string(),
    caCertFile: s.string(),
    keyring: s.string(),
  },
  { required: ['type', 'path'] },
);
type HelmSpec = Infer<typeof Helm>;

const UNSUPPORTED = ['version', 'repository', 'helmRepository', 'caCert', 'caCertFile', 'keyring'] as const;

async function packageChart(spec: HelmSpec, signal: AbortSignal) {
  const extra = UNSUPPORTED.filter((k) => spec[k] !== undefined);
  if (extra.length) {
    throw new PluginError(400, `helm/v1 input: ${extra.join(', ')} not supported by ocm-plugin-helm (it packages a local chart from "path" only); remove ${extra.length > 1 ? 'them' : 'it'}`);
  }
  const abs = isAbsolute(spec.path) ? spec.path : resolve(process.cwd(), spec.path);
  try {
    const chart = await loadChart(abs, spec.path);
    const file = `${chart.name}-${chart.version}.tgz`;
    return await writeLocation(chartArchive(chart.entries, { signal }), { mediaType: HELM_CHART_MEDIA_TYPE, name: file, signal });
  } catch (e) {
    if (e instanceof ChartError) throw new PluginError(400, `helm chart ${e.message}`);
    throw e;
  }
}

const withoutInput = (element: Json): Json => Object.fromEntries(Object.entries(element).filter(([k]) => k !== 'input'));

await runPlugin({
  capabilities: {
    inputRepository: {
      types: [{ type: 'helm/v1', aliases: ['Helm/v1', 'helm', 'Helm'], schema: Helm }],
      async processResource({ resource }, ctx) {
        const location = await packageChart(resource.input as HelmSpec, ctx.signal);
        return { resource: withoutInput(resource), location };
      },
      async processSource({ source }, ctx) {
        const location = await packageChart(source.input as HelmSpec, ctx.signal);
        return { source: withoutInput(source), location };
      },
    },
  },
});
