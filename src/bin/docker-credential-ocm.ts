#!/usr/bin/env node
// docker-credential-ocm: the docker credential-helper protocol backed by .ocmconfig (src/helper/docker/main.ts).
// Only the protocol module is loaded here; the credential graph is imported by the actions that need it.
// A client that closes the pipe early (EPIPE) gets no stack trace on our stderr.
process.stdout.on('error', () => undefined);
const { main } = await import('../helper/docker/main.js');
process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
