import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram, verbOf } from './main.js';
import { runOcm } from '../testing/cli.js';
import { VERSION } from '../version.js';

const argv = (...words: string[]) => ['node', 'ocm.js', ...words];

test('verbOf finds the verb after root options (and the value of --config)', () => {
  const cases: [string[], string | undefined][] = [
    [[], undefined],
    [['--help'], undefined],
    [['--version'], undefined],
    [['--debug', '--plain-http'], undefined],
    [['get', 'cv', 'x//a.org/b'], 'get'],
    [['--config', 'get', 'transfer', 'cv'], 'transfer'],
    [['--config', 'a.yaml', '--config', 'b.yaml', 'sign', 'cv'], 'sign'],
    [['--config=a.yaml', 'verify', 'cv'], 'verify'],
    [['--debug', 'download', 'resource'], 'download'],
    [['add', 'cv', '--help'], 'add'],
    [['help', 'get'], '*'],
    [['version'], '*'],
    [['gte', 'cv'], '*'],
    [['--', 'get'], 'get'],
    [['--plugin-directory', 'get', 'list', 'components', 'x'], 'list'],
    [['--plugin-directory=./p', 'plugin', 'list'], 'plugin'],
    [['--plugin-start-timeout', '5s', 'describe', 'types'], 'describe'],
    [['--debug', '--plugin-directory', '/p', '--config', 'c.yaml', 'get', 'cv'], 'get'],
  ];
  for (const [words, want] of cases) assert.equal(verbOf(argv(...words)), want, words.join(' '));
});

function helpTexts(cmd: Command, prefix = ''): Map<string, string> {
  const out = new Map<string, string>([[prefix || '(root)', cmd.helpInformation()]]);
  for (const c of cmd.commands) for (const [k, v] of helpTexts(c, `${prefix} ${c.name()}`.trim())) out.set(k, v);
  return out;
}

test('a program built for one verb has the same help and commands for that verb as the full program', async () => {
  const full = helpTexts(await buildProgram());
  for (const words of [[], ['--help'], ['get', 'cv'], ['add'], ['download'], ['sign'], ['verify'], ['transfer', 'cv', 'a', 'b'], ['list', 'components'], ['plugin', 'list'], ['describe']]) {
    const partial = helpTexts(await buildProgram(argv(...words)));
    assert.equal(partial.get('(root)'), full.get('(root)'), `root help for ${words.join(' ')}`);
    const verb = verbOf(argv(...words));
    for (const [path, text] of partial) if (verb && path.split(' ')[0] === verb) assert.equal(text, full.get(path), path);
    if (verb) assert.ok([...full.keys()].filter((p) => p.split(' ')[0] === verb).every((p) => partial.has(p)), `all ${verb} commands present`);
  }
});

test('ocm --version and -v print the bare version, like commander does for other spellings', async () => {
  for (const args of [['--version'], ['-v'], ['--debug', '--version']]) {
    const r = await runOcm(args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${VERSION}\n`, args.join(' '));
  }
});

test('--plugin-start-timeout takes a duration; anything else is a usage error', async () => {
  const { parseDuration } = await import('./main.js');
  const cases: [string, number][] = [['500ms', 500], ['10s', 10_000], ['2m', 120_000], ['1.5s', 1500], ['250', 250]];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
  for (const bad of ['', '0', '-1s', '10h', 'soon']) assert.throws(() => parseDuration(bad), /is not a duration/, bad);
  const r = await runOcm(['--plugin-start-timeout', 'soon', 'plugin', 'list']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /"soon" is not a duration.*\[INVALID_ARGUMENT\]/);
});
