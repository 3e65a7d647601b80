/**
 * ocm-plugin-toolbox: one binary, many capabilities (an example of the ocm-ts plugin SDK).
 *  - inputRepository   Generated/v1alpha1  {type, text, repeat?, mediaType?}: content = text × repeat
 *  - resourceRepository + digestProcessorRepository  PluginStore/v1alpha1 {type, path}: a file on disk
 *  - blobTransformer   Uppercase/v1alpha1  {type}
 *  - signingHandler    HMAC/v1alpha1       {type, keyName?}: HMAC-SHA256 over the digest value
 *  - credentialPlugin  Vault/v1alpha1      {type, secretPath}: reads $OCM_EXAMPLE_VAULT_DIR/<path>.json
 *  - credentialRepository SecretsDir/v1alpha1 {type, path}: <path>/<hostname>[_<port>].json for OCIRegistry
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { PluginError, openLocation, runPlugin, s, writeLocation, type Infer, type Json } from 'ocm-ts/plugin';

const Generated = s.object(
  { type: s.string(), text: s.string(), repeat: s.integer({ minimum: 0 }), mediaType: s.string() },
  { required: ['type', 'text'] },
);
const PluginStore = s.object({ type: s.string(), path: s.string({ minLength: 1 }) }, { required: ['type', 'path'] });
const Uppercase = s.object({ type: s.string() }, { required: ['type'] });
const Hmac = s.object({ type: s.string(), keyName: s.string() }, { required: ['type'] });
const Vault = s.object({ type: s.string(), secretPath: s.string({ minLength: 1 }) }, { required: ['type', 'secretPath'] });
const SecretsDir = s.object({ type: s.string(), path: s.string({ minLength: 1 }) }, { required: ['type', 'path'] });
const OCIRegistryIdentity = s.object({ type: s.string(), hostname: s.string(), port: s.string(), scheme: s.string(), path: s.string() }, { required: ['type'] });

const PLUGIN_STORE_IDENTITY = { type: 'PluginStore', hostname: 'plugin-store.local' };
const HMAC_MEDIA_TYPE = 'application/vnd.ocm.signature.hmac';

/** A name that must stay inside its directory (no separators, no dot-dot). */
function safeName(value: string | undefined, what: string): string {
  if (!value || value.includes('/') || value.includes('\\') || value === '.' || value === '..' || value.includes('\0')) {
    throw new PluginError(400, `invalid ${what} ${JSON.stringify(value ?? '')}`);
  }
  return value;
}

async function readJsonFile(path: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new PluginError(404, `${what} not found`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new PluginError(500, `${what} is not valid JSON`);
  }
}

function userPass(json: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['username', 'password']) if (typeof json[k] === 'string') out[k] = json[k] as string;
  return out;
}

async function sha256File(path: string, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  } catch {
    throw new PluginError(404, `file ${path} not found`);
  }
  return hash.digest('hex');
}

function hmacHex(secret: string, digestValue: string): string {
  return createHmac('sha256', secret).update(digestValue).digest('hex');
}

function secretOf(credentials: Record<string, string> | undefined, identity: Record<string, string>): string {
  const secret = credentials?.secret;
  if (!secret) throw new PluginError(401, `no credentials with property "secret" for ${JSON.stringify(identity)}`);
  return secret;
}

const withoutInput = (element: Json): Json => Object.fromEntries(Object.entries(element).filter(([k]) => k !== 'input'));

await runPlugin({
  capabilities: {
    inputRepository: {
      types: [{ type: 'Generated/v1alpha1', schema: Generated }],
      async processResource({ resource }, ctx) {
        const spec = resource.input as Infer<typeof Generated>;
        const mediaType = spec.mediaType ?? 'text/plain';
        const location = await writeLocation(spec.text.repeat(spec.repeat ?? 1), { mediaType, name: 'generated', signal: ctx.signal });
        return { resource: withoutInput(resource), location };
      },
      async processSource({ source }, ctx) {
        const spec = source.input as Infer<typeof Generated>;
        const mediaType = spec.mediaType ?? 'text/plain';
        const location = await writeLocation(spec.text.repeat(spec.repeat ?? 1), { mediaType, name: 'generated', signal: ctx.signal });
        return { source: withoutInput(source), location };
      },
    },
    resourceRepository: {
      types: [{ type: 'PluginStore/v1alpha1', schema: PluginStore }],
      identity: () => ({ ...PLUGIN_STORE_IDENTITY }),
      async getResource({ resource }, ctx) {
        const spec = resource.access as Infer<typeof PluginStore>;
        // A copy: the host may remove the file it is handed.
        const data = createReadStream(spec.path, { signal: ctx.signal });
        await new Promise<void>((resolve, reject) => data.once('open', () => resolve()).once('error', () => reject(new PluginError(404, `file ${spec.path} not found`))));
        const mediaType = typeof resource.mediaType === 'string' ? resource.mediaType : undefined;
        return writeLocation(data, { name: 'resource', signal: ctx.signal, ...(mediaType ? { mediaType } : {}) });
      },
      async addResource({ resourceLocation, resource }, ctx) {
        const access = resource.access as Infer<typeof PluginStore> | undefined;
        if (access?.type !== 'PluginStore/v1alpha1' || !access.path) throw new PluginError(400, 'resource.access must be a PluginStore/v1alpha1 spec with a path');
        await openLocation(resourceLocation, { signal: ctx.signal }).then((r) => r.destroy());
        const tmp = join(dirname(access.path), `.${process.pid}.upload`);
        await copyFile(resourceLocation.value, tmp);
        await rename(tmp, access.path);
        return resource;
      },
    },
    digestProcessorRepository: {
      types: [{ type: 'PluginStore/v1alpha1', schema: PluginStore }],
      identity: () => ({ ...PLUGIN_STORE_IDENTITY }),
      async processResourceDigest({ resource }, ctx) {
        const spec = resource.access as Infer<typeof PluginStore>;
        const value = await sha256File(spec.path, ctx.signal);
        const existing = resource.digest as { value?: string } | undefined;
        if (existing?.value && existing.value !== value) throw new PluginError(500, `digest mismatch for ${spec.path}: resource says ${existing.value}, content is ${value}`);
        return { ...resource, digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value } };
      },
    },
    blobTransformer: {
      types: [{ type: 'Uppercase/v1alpha1', schema: Uppercase }],
      async transform({ location }, ctx) {
        const input = await openLocation(location, { signal: ctx.signal });
        const decoder = new StringDecoder('utf8');
        const upper = new Transform({
          transform(chunk: Buffer, _enc, done) { done(null, decoder.write(chunk).toUpperCase()); },
          flush(done) { done(null, decoder.end().toUpperCase()); },
        });
        return writeLocation(input.pipe(upper), { name: 'uppercase', signal: ctx.signal, ...(location.mediaType ? { mediaType: location.mediaType } : {}) });
      },
    },
    signingHandler: {
      types: [{ type: 'HMAC/v1alpha1', schema: Hmac }],
      signIdentity: ({ config, name }) => ({ type: 'HMACKey', name: (config as Infer<typeof Hmac>).keyName ?? name }),
      verifyIdentity: ({ config, signature }) => ({ type: 'HMACKey', name: (config as Infer<typeof Hmac>).keyName ?? signature.name }),
      sign({ digest, config, name }, ctx) {
        const secret = secretOf(ctx.credentials, { type: 'HMACKey', name: (config as Infer<typeof Hmac>).keyName ?? name ?? '' });
        return { algorithm: 'HMAC-SHA256', value: hmacHex(secret, digest.value), mediaType: HMAC_MEDIA_TYPE };
      },
      verify({ signature, config }, ctx) {
        const secret = secretOf(ctx.credentials, { type: 'HMACKey', name: (config as Infer<typeof Hmac>).keyName ?? signature.name });
        if (signature.signature.algorithm !== 'HMAC-SHA256') throw new PluginError(500, `unsupported signature algorithm ${signature.signature.algorithm}`);
        const expected = Buffer.from(hmacHex(secret, signature.digest.value), 'hex');
        const actual = Buffer.from(signature.signature.value, 'hex');
        if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw new PluginError(500, 'signature mismatch');
      },
    },
    credentialPlugin: {
      types: [{ type: 'Vault/v1alpha1', schema: Vault }],
      consumerIdentity: ({ credential }) => ({ type: 'Vault', hostname: 'vault.local', path: (credential as Infer<typeof Vault>).secretPath }),
      async resolve({ identity }, ctx) {
        const dir = process.env.OCM_EXAMPLE_VAULT_DIR;
        if (!dir) throw new PluginError(500, 'OCM_EXAMPLE_VAULT_DIR is not set');
        const segments = (identity.path ?? '').split('/');
        segments.forEach((seg) => safeName(seg, 'secret path'));
        if (ctx.credentials?.token !== undefined) {
          const expected = (await readFile(join(dir, '.token'), 'utf8').catch(() => '')).trim();
          if (!expected || ctx.credentials.token !== expected) throw new PluginError(401, 'vault token rejected');
        }
        return userPass(await readJsonFile(join(dir, ...segments) + '.json', `secret ${identity.path}`));
      },
    },
    credentialRepository: {
      types: [{ type: 'SecretsDir/v1alpha1', schema: SecretsDir }],
      consumerIdentityTypes: [{ type: 'OCIRegistry', schema: OCIRegistryIdentity }],
      consumerIdentity: ({ config }) => ({ type: 'SecretsDir', path: (config as Infer<typeof SecretsDir>).path }),
      async resolve({ config, identity }) {
        const host = safeName(identity.hostname, 'hostname');
        const file = identity.port ? `${host}_${safeName(identity.port, 'port')}.json` : `${host}.json`;
        return userPass(await readJsonFile(join((config as Infer<typeof SecretsDir>).path, file), `credentials for ${file.slice(0, -5)}`));
      },
    },
  },
});
