#!/usr/bin/env node
// Placeholder: the ocm-credential-helper entry point (issue 12).
process.stderr.write('ocm-credential-helper: not built yet\n');
process.exitCode = 1;
