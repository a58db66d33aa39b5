import { isTransientTemporalError, retryTransient } from './transient';

const grpc = (code: number, message: string) => Object.assign(new Error(message), { code });

test('a workflow task being retried, a busy or restarting server are transient; a refusal is final', () => {
  expect(isTransientTemporalError(grpc(9, 'Unable to perform workflow execution update due to Workflow Task in failed state.'))).toBe(true);
  expect(isTransientTemporalError(new Error('wrapped', { cause: grpc(14, 'connection refused') }))).toBe(true);
  expect(isTransientTemporalError(grpc(8, 'namespace rate limit exceeded'))).toBe(true);
  expect(isTransientTemporalError(grpc(9, 'workflow execution already completed'))).toBe(false);
  expect(isTransientTemporalError(grpc(3, 'invalid argument'))).toBe(false);
  expect(isTransientTemporalError(new Error('refused: not an approver'))).toBe(false);
});

test('transient answers are retried until one succeeds; a final one, or the deadline, ends it with its error', async () => {
  let calls = 0;
  expect(
    await retryTransient(() => (++calls < 3 ? Promise.reject(grpc(9, 'Workflow Task in failed state')) : Promise.resolve('done'))),
  ).toBe('done');
  expect(calls).toBe(3);

  calls = 0;
  await expect(
    retryTransient(() => {
      calls++;
      return Promise.reject(grpc(3, 'bad'));
    }),
  ).rejects.toThrow('bad');
  expect(calls).toBe(1);

  const started = Date.now();
  await expect(retryTransient(() => Promise.reject(grpc(14, 'down')), 500)).rejects.toThrow('down');
  expect(Date.now() - started).toBeLessThan(2000);
});
