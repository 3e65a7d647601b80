/** How a command ends: finishers (plugin shutdown) run on success and on failure, before the exit code is final. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, OcmError } from '../runtime/errors.js';
import { action, finish, onErrorHints, onFinish } from './run.js';

test('action() runs the finishers after the command, whether it succeeded or failed, and reports hints before the error', async (t) => {
  const saved = process.exitCode;
  const write = process.stderr.write.bind(process.stderr);
  const stderr: string[] = [];
  process.stderr.write = ((chunk: string) => (stderr.push(String(chunk)), true)) as typeof process.stderr.write;
  t.after(() => {
    process.stderr.write = write;
    process.exitCode = saved;
  });
  const events: string[] = [];
  onFinish(async () => void events.push('finished'));
  await action(async () => void events.push('ran'))();
  assert.deepEqual(events, ['ran', 'finished']);

  onFinish(async () => {
    events.push('finished again');
    throw new Error('a failing finisher is ignored');
  });
  onErrorHints(async (e) => ((e as OcmError).code === ErrorCode.UNSUPPORTED ? ['plugin "p" was skipped: bad JSON'] : []));
  await action(async () => {
    throw new OcmError(ErrorCode.UNSUPPORTED, 'unknown input type "X/v1"');
  })();
  process.stderr.write = write;
  assert.deepEqual(events, ['ran', 'finished', 'finished again']);
  assert.equal(process.exitCode, 8);
  assert.deepEqual(stderr, ['Warning: plugin "p" was skipped: bad JSON\n', 'Error: unknown input type "X/v1" [UNSUPPORTED]\n']);
  await finish(); // nothing left
});
