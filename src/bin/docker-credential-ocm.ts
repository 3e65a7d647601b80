#!/usr/bin/env node
// Placeholder: the docker-credential-ocm entry point (issue 12).
process.stderr.write('docker-credential-ocm: not built yet\n');
process.exitCode = 1;
