import { getPriority } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { nicenessAt } from './test-support/niceness';
import { LOWEST_NICENESS, lowerThreadPriority } from './thread-priority';

/** The nice value of one thread of this process. */
const nicenessOf = (thread: number): number => nicenessAt(`/proc/self/task/${thread}`);

/** Runs lowerThreadPriority on a worker thread; answers its reason, its thread's id and nice value after the call. */
function onAThread(niceness: number): Promise<{ reason?: string; thread: number; after: number }> {
  const code = `
    require('tsx/cjs');
    const { parentPort, workerData } = require('node:worker_threads');
    const { readlinkSync } = require('node:fs');
    const { getPriority } = require('node:os');
    const { lowerThreadPriority } = require(${JSON.stringify(path.join(__dirname, 'thread-priority.ts'))});
    const reason = lowerThreadPriority(workerData);
    const thread = Number(readlinkSync('/proc/thread-self').split('/').pop());
    parentPort.postMessage({ reason, thread, after: getPriority() });
    parentPort.once('message', () => process.exit(0));
  `;
  const worker = new Worker(code, { eval: true, workerData: niceness });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (answer) => {
      // The thread is still running: its nice value is read from /proc before it is let go.
      resolve({ ...answer, after: nicenessOf(answer.thread) });
      worker.postMessage('done');
    });
  });
}

const onLinux = process.platform === 'linux' ? it : it.skip;

describe('lowerThreadPriority', () => {
  onLinux('lowers the calling thread only, not the process it belongs to', async () => {
    const before = getPriority();
    const lowered = await onAThread(Math.max(before, 7));
    expect(lowered.reason).toBeUndefined();
    expect(lowered.after).toBe(Math.max(before, 7));
    expect(getPriority()).toBe(before);
    expect(nicenessOf(process.pid)).toBe(before);
  });

  onLinux('leaves a thread that already runs at that priority or lower as it is', async () => {
    const before = getPriority();
    const kept = await onAThread(0);
    expect(kept.reason).toBeUndefined();
    expect(kept.after).toBe(before);
  });

  it('does nothing where the call would change the whole process, and says why', () => {
    const before = getPriority();
    expect(lowerThreadPriority(10, 'darwin')).toBe('only Linux gives each thread a priority of its own, not darwin');
    expect(lowerThreadPriority(10, 'win32')).toMatch(/not win32/);
    expect(getPriority()).toBe(before);
  });

  it.each([-1, 20, 2.5, Number.NaN])('refuses a niceness of %p, changing nothing', (niceness) => {
    const before = getPriority();
    expect(() => lowerThreadPriority(niceness)).toThrow(
      new RangeError(`a thread's niceness is an integer from 0 to ${LOWEST_NICENESS}, not ${niceness}`),
    );
    expect(getPriority()).toBe(before);
  });
});
