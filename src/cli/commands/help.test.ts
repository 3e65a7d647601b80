import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram } from '../main.js';
import { runOcm } from '../../testing/cli.js';

/** Paths of every leaf command (`add component-version`, `version`, ...). */
function leaves(cmd: Command, prefix: string[] = []): string[][] {
  if (cmd.commands.length === 0) return [prefix];
  return cmd.commands.flatMap((c) => leaves(c, [...prefix, c.name()]));
}

const commands = leaves(await buildProgram()).filter((p) => p.length > 0);

test('the command tree has the foundation commands', () => {
  const names = commands.map((p) => p.join(' '));
  for (const c of ['add component-version', 'get component-version', 'download resource', 'version']) assert.ok(names.includes(c), c);
});

for (const path of commands) {
  test(`ocm ${path.join(' ')} --help shows usage with an example`, async () => {
    const r = await runOcm([...path, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: ocm /);
    assert.match(r.stdout, /Example/);
  });
}

test('command aliases resolve: add cv, get cvs, download resources', async () => {
  for (const args of [['add', 'cv'], ['get', 'cvs'], ['download', 'resources']]) {
    const r = await runOcm([...args, '--help']);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /Example/);
  }
});

test('ocm version prints the version; -o json is machine-readable', async () => {
  const text = await runOcm(['version']);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^ocm-ts \d+\.\d+\.\d+/);
  const json = await runOcm(['version', '-o', 'json']);
  assert.equal(json.code, 0);
  const info = JSON.parse(json.stdout) as { version: string; node: string };
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.equal(info.node, process.versions.node);
});

test('an unknown option is a usage error with exit code 2', async () => {
  const r = await runOcm(['get', 'cv', './x//acme.org/a:1.0.0', '--no-such-flag']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option/);
});

test('--debug adds the stack to a failure; without it the error is one line', async () => {
  const plain = await runOcm(['get', 'cv', './does-not-exist//acme.org/a:1.0.0']);
  assert.equal(plain.stderr.trimEnd().split('\n').length, 1);
  const debug = await runOcm(['--debug', 'get', 'cv', './does-not-exist//acme.org/a:1.0.0']);
  assert.equal(debug.code, plain.code);
  assert.ok(debug.stderr.trimEnd().split('\n').length > 1);
  assert.match(debug.stderr, /\n\s+at /);
});
