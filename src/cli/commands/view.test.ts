/**
 * `ocm view` input checks through the built CLI: each bad invocation is one line naming the flag,
 * a non-zero exit, and no page written. (The end-to-end page from a signed CTF needs the graph
 * builder, src/view/graph.ts, and is wired when both land.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { runOcm } from '../../testing/cli.js';
import { conformance, tempDir } from '../../testing/fixtures.js';

const CTF = conformance('ocm/ctf/v1-0.20.0-localblob/transport-archive');
const REF = `${CTF}//github.com/acme.org/helloworld:1.0.0`;

const cases: { name: string; args: (dir: string) => string[]; exit: number; message: RegExp }[] = [
  { name: 'no -o', args: () => ['view', REF], exit: 2, message: /option '-o, --output <file>' not specified/ },
  { name: '--public-key without --verify-signature', args: (d) => ['view', REF, '--public-key', `${d}/k.pem`, '-o', `${d}/r.html`], exit: 2, message: /--public-key needs --verify-signature <name>/ },
  {
    name: '--public-key with --verifier-spec',
    args: (d) => ['view', REF, '--verify-signature', 's', '--public-key', `${d}/k.pem`, '--verifier-spec', `${d}/v.yaml`, '-o', `${d}/r.html`],
    exit: 2,
    message: /--verifier-spec cannot be combined with --public-key/,
  },
  { name: 'a missing public key file', args: (d) => ['view', REF, '--verify-signature', 's', '--public-key', `${d}/k.pem`, '-o', `${d}/r.html`], exit: 1, message: /public key .*k\.pem/ },
  { name: 'a reference without a version', args: (d) => ['view', `${CTF}//github.com/acme.org/helloworld`, '-o', `${d}/r.html`], exit: 2, message: /must name one component version/ },
];

for (const c of cases) {
  test(`ocm view rejects ${c.name} in one line and writes nothing`, async () => {
    const dir = await tempDir('ocm-ts-view-cli-');
    try {
      const r = await runOcm(c.args(dir.path));
      assert.notEqual(r.code, 0);
      if (c.exit === 2) assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, c.message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.deepEqual(await readdir(dir.path), []);
    } finally {
      await dir.dispose();
    }
  });
}

test('ocm view --help names the page, the flags and an example', async () => {
  const r = await runOcm(['view', '--help']);
  assert.equal(r.code, 0);
  for (const s of ['--output <file>', '--recursive', '--verify-signature <name>', '--public-key <file>', 'Example:']) assert.ok(r.stdout.includes(s), s);
});
