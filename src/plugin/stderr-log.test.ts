import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardLine, oneLine, redactText } from './stderr-log.js';
import { parseReadiness } from './process.js';

test('readiness line forms: http+unix, http://host:port, Go SDK bare [::]:PORT and host:port; other lines are not readiness', () => {
  const cases: [string, unknown][] = [
    ['http+unix:///tmp/x-plugin.socket', { kind: 'unix', socketPath: '/tmp/x-plugin.socket' }],
    ['http://127.0.0.1:4000', { kind: 'tcp', host: '127.0.0.1', port: 4000 }],
    ['http://localhost:4000/', { kind: 'tcp', host: 'localhost', port: 4000 }],
    ['[::]:38211', { kind: 'tcp', host: '127.0.0.1', port: 38211 }],
    ['[::1]:38211', { kind: 'tcp', host: '::1', port: 38211 }],
    ['0.0.0.0:80', { kind: 'tcp', host: '127.0.0.1', port: 80 }],
    [':9000', { kind: 'tcp', host: '127.0.0.1', port: 9000 }],
    ['  http+unix:///a/b.sock \r', { kind: 'unix', socketPath: '/a/b.sock' }],
    ['http+unix://relative.sock', undefined],
    ['starting plugin', undefined],
    ['time: 12:30', undefined],
    ['[::]:99999', undefined],
    ['', undefined],
  ];
  for (const [line, want] of cases) assert.deepEqual(parseReadiness(line), want, line);
});

test('free text: values after secret-looking keys are redacted', () => {
  assert.equal(redactText('login password=hunter2 user=a'), 'login password=<redacted> user=a');
  assert.equal(redactText('{"token": "abc", "x": 1}'), '{"token": <redacted>, "x": 1}');
  assert.equal(redactText('Authorization: {"type":"Credentials/v1"}'), 'Authorization: <redacted>');
  assert.equal(oneLine('  a\nb\u0007c  '), 'a\\nb\\x07c');
});

test('JSON stderr lines reach the logger at their level with the plugin id and secrets redacted; other lines at debug', () => {
  const got: [string, string, Record<string, unknown> | undefined][] = [];
  const logger = { debug: (m: string, f?: Record<string, unknown>) => got.push(['debug', m, f]), info: (m: string, f?: Record<string, unknown>) => got.push(['info', m, f]), warn: (m: string, f?: Record<string, unknown>) => got.push(['warn', m, f]) };
  forwardLine('p', JSON.stringify({ time: 't', level: 'ERROR', msg: 'failed with secret=zzz', password: 'pw', user: 'alice', nested: { privateKey: 'k' } }), logger);
  forwardLine('p', JSON.stringify({ level: 'DEBUG', msg: 'hello' }), logger);
  forwardLine('p', 'plain token=abc', logger);
  assert.deepEqual(got, [
    ['warn', 'failed with secret=<redacted>', { password: '<redacted>', user: 'alice', nested: { privateKey: '<redacted>' }, plugin: 'p' }],
    ['debug', 'hello', { plugin: 'p' }],
    ['debug', 'plain token=<redacted>', { plugin: 'p', stream: 'stderr' }],
  ]);
});
