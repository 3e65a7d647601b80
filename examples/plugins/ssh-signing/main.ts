/**
 * ocm-plugin-ssh-signing: a signingHandler for `SSHSignature/v1alpha1` using OpenSSH's `ssh-keygen -Y`.
 *
 * What is signed: the bytes of the component descriptor digest's hex `value` (ASCII, no newline),
 * in the SSHSIG namespace `ocm` — so anyone can check a signature by hand:
 *   printf %s "$DIGEST_VALUE" | ssh-keygen -Y verify -n ocm -f allowed_signers -I "$PRINCIPAL" -s sig.txt
 * The signature `value` is the armored SSHSIG text exactly as ssh-keygen wrote it
 * (`-----BEGIN SSH SIGNATURE-----`...), algorithm `SSH-SIG`, media type `application/x-ssh-signature`,
 * `issuer` = the signing principal.
 *
 * Keys and trust come from credentials of the consumer `{type: SSHKey, name: <keyName or signature name>}`:
 * signing needs `privateKeyFile` (a path; never key material on a command line) or `privateKey`
 * (OpenSSH PEM text, written to a 0600 file in a private directory for the call and removed);
 * verifying needs `allowedSignersFile` (or `allowedSigners` in the spec).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { PluginError, runPlugin, s, type Infer } from 'ocm-ts/plugin';

export const ALGORITHM = 'SSH-SIG';
export const MEDIA_TYPE = 'application/x-ssh-signature';
export const NAMESPACE = 'ocm';

const Spec = s.object(
  {
    type: s.string(),
    keyName: s.string({ description: 'credential consumer name (default: the signature name)' }),
    principal: s.string({ description: 'signer identity: written as issuer; verify requires it (default: the signature issuer, else its name)' }),
    allowedSigners: s.string({ description: 'allowed_signers file for verification (else credential allowedSignersFile)' }),
  },
  { required: ['type'] },
);
type SshSpec = Infer<typeof Spec>;

const SSH_KEYGEN = process.env.OCM_SSH_KEYGEN || 'ssh-keygen';
const abs = (p: string) => (isAbsolute(p) ? p : resolve(process.cwd(), p));
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim().slice(0, 500);

/** Runs ssh-keygen with `stdin` as its input; no terminal (a new session), so it can never prompt. */
function sshKeygen(args: string[], stdin: string, signal: AbortSignal): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(SSH_KEYGEN, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, signal, env: { ...process.env, SSH_ASKPASS_REQUIRE: 'never', DISPLAY: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new PluginError(500, `${SSH_KEYGEN} not found: install OpenSSH (Debian: openssh-client)`) : e));
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

/** A private 0700 directory for one call's files, removed afterwards. */
async function withPrivateDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'ocm-ssh-signing-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const consumer = (spec: SshSpec, name: string | undefined) => ({ type: 'SSHKey', name: spec.keyName ?? name ?? '' });

await runPlugin({
  capabilities: {
    signingHandler: {
      types: [{ type: 'SSHSignature/v1alpha1', aliases: ['SSHSignature'], schema: Spec }],
      signIdentity: ({ config, name }) => consumer(config as SshSpec, name),
      verifyIdentity: ({ config, signature }) => consumer(config as SshSpec, signature.name),
      async sign({ digest, config, name }, ctx) {
        const spec = config as SshSpec;
        const creds = ctx.credentials ?? {};
        const who = JSON.stringify(consumer(spec, name));
        return withPrivateDir(async (dir) => {
          let keyFile = creds.privateKeyFile;
          if (!keyFile && creds.privateKey) {
            keyFile = join(dir, 'key');
            await writeFile(keyFile, creds.privateKey.endsWith('\n') ? creds.privateKey : `${creds.privateKey}\n`, { mode: 0o600 });
          }
          if (!keyFile) throw new PluginError(401, `no credentials with property "privateKeyFile" or "privateKey" for ${who}`);
          const r = await sshKeygen(['-Y', 'sign', '-n', NAMESPACE, '-f', abs(keyFile)], digest.value, ctx.signal);
          if (r.code !== 0 || !r.stdout.includes('BEGIN SSH SIGNATURE')) {
            throw new PluginError(500, `ssh-keygen -Y sign failed for ${who}: ${oneLine(r.stderr) || `exit ${r.code}`}`);
          }
          const principal = spec.principal ?? spec.keyName ?? name;
          return { algorithm: ALGORITHM, value: r.stdout, mediaType: MEDIA_TYPE, ...(principal ? { issuer: principal } : {}) };
        });
      },
      async verify({ signature, config }, ctx) {
        const spec = config as SshSpec;
        const sig = signature.signature;
        if (sig.algorithm !== ALGORITHM) throw new PluginError(500, `unsupported signature algorithm ${JSON.stringify(sig.algorithm)} (this handler verifies ${ALGORITHM})`);
        const allowed = spec.allowedSigners ?? ctx.credentials?.allowedSignersFile;
        if (!allowed) throw new PluginError(401, `no allowed_signers file: set "allowedSigners" in the verifier spec or credential property "allowedSignersFile" for ${JSON.stringify(consumer(spec, signature.name))}`);
        const principal = spec.principal ?? sig.issuer ?? signature.name;
        if (spec.principal && sig.issuer && sig.issuer !== spec.principal) throw new PluginError(500, `signature mismatch: signed by ${JSON.stringify(sig.issuer)}, expected ${JSON.stringify(spec.principal)}`);
        await withPrivateDir(async (dir) => {
          const sigFile = join(dir, 'signature');
          await writeFile(sigFile, sig.value, { mode: 0o600 });
          const r = await sshKeygen(['-Y', 'verify', '-n', NAMESPACE, '-f', abs(allowed), '-I', principal, '-s', sigFile], signature.digest.value, ctx.signal);
          if (r.code !== 0) throw new PluginError(500, `signature mismatch: ssh-keygen -Y verify for principal ${JSON.stringify(principal)}: ${oneLine(r.stderr || r.stdout) || `exit ${r.code}`}`);
        });
      },
    },
  },
});
