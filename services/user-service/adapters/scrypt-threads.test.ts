import { scryptSync } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { nicenessAt } from '../../../lib/runtime/test-support/niceness';
import { MIN_MEMORY_KIB, ScryptPasswordHasher } from './scrypt-password-hasher';
import { HASHING_NICENESS, type ScryptJob, ScryptThreads } from './scrypt-threads';

const job = (password: string, salt = 'salt-0123456789ab'): ScryptJob => ({
  password,
  salt: Buffer.from(salt),
  length: 32,
  N: 4096,
  r: 8,
  p: 1,
});
const expected = (j: ScryptJob) => scryptSync(j.password, j.salt, j.length, { N: j.N, r: j.r, p: j.p });

/** The nice values of this process's threads (field 19 of /proc/self/task/<tid>/stat). */
function threadNiceness(): number[] {
  return readdirSync('/proc/self/task').map((tid) => nicenessAt(`/proc/self/task/${tid}`));
}

describe('ScryptThreads: scrypt on threads of lower priority', () => {
  let threads: ScryptThreads | undefined;
  afterEach(async () => {
    await threads?.close();
    threads = undefined;
  });

  it('derives the same key as node:crypto, on a thread whose priority it lowered', async () => {
    threads = new ScryptThreads(1);
    const key = await threads.derive(job('Kestrel2Harbor'));
    expect(key.equals(expected(job('Kestrel2Harbor')))).toBe(true);
    expect(threadNiceness()).toContain(HASHING_NICENESS);
    // This thread (the service's) keeps its priority.
    expect(threadNiceness()[0]).toBe(getPriority());
  });

  it('runs more jobs than threads, each on the next free thread, every key right', async () => {
    threads = new ScryptThreads(2);
    const jobs = Array.from({ length: 7 }, (_, i) => job(`password-${i}`, `salt-${i}-0123456789`));
    const keys = await Promise.all(jobs.map((j) => threads?.derive(j)));
    keys.forEach((key, i) => {
      expect(key?.equals(expected(jobs[i] as ScryptJob))).toBe(true);
    });
    // Never more threads than its size: the pool's and this thread plus the two of the pool at a lower priority.
    expect(threadNiceness().filter((n) => n === HASHING_NICENESS)).toHaveLength(2);
  });

  it('ends a thread left idle, and starts one again for the next job', async () => {
    threads = new ScryptThreads(2, undefined, HASHING_NICENESS, 50);
    await Promise.all([threads.derive(job('first')), threads.derive(job('second'))]);
    expect(threads.running).toBe(2);
    for (let waited = 0; threads.running > 0 && waited < 5000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    expect(threads.running).toBe(0);
    // The threads have gone from the process, not only from the list.
    for (let waited = 0; threadNiceness().includes(HASHING_NICENESS) && waited < 5000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    expect(threadNiceness()).not.toContain(HASHING_NICENESS);
    const key = await threads.derive(job('third'));
    expect(key.equals(expected(job('third')))).toBe(true);
    expect(threads.running).toBe(1);
  });

  it('rejects a job scrypt refuses, with scrypt’s reason, and the thread serves the next one', async () => {
    threads = new ScryptThreads(1);
    await expect(threads.derive({ ...job('x'), N: 3000 })).rejects.toThrow(/^scrypt failed: .*N/i);
    const key = await threads.derive(job('after'));
    expect(key.equals(expected(job('after')))).toBe(true);
  });

  it('says so when the priority cannot be lowered, and still derives', async () => {
    const reasons: string[] = [];
    threads = new ScryptThreads(1, (reason) => reasons.push(reason), 99);
    const key = await threads.derive(job('anyway'));
    expect(key.equals(expected(job('anyway')))).toBe(true);
    expect(reasons).toEqual([expect.stringMatching(/priority|range/i)]);
  });

  it('fails the jobs waiting and refuses new ones once closed', async () => {
    const closing = new ScryptThreads(1);
    const slow = { ...job('slow'), N: 65_536 };
    const first = expect(closing.derive(slow)).rejects.toThrow('the password hashing threads were closed');
    const waiting = expect(closing.derive(job('waiting'))).rejects.toThrow('the password hashing threads were closed');
    await closing.close();
    await first;
    await waiting;
    await expect(closing.derive(job('late'))).rejects.toThrow('the password hashing threads are closed');
  });

  it('refuses a size that is not a whole number of at least one', () => {
    expect(() => new ScryptThreads(0)).toThrow('size must be a whole number ≥ 1, got 0');
    expect(() => new ScryptThreads(1.5)).toThrow('got 1.5');
  });

  it('gives ScryptPasswordHasher hashes that libuv’s scrypt verifies, and the other way round', async () => {
    threads = new ScryptThreads(1);
    const onThreads = await ScryptPasswordHasher.create({ memoryKib: MIN_MEMORY_KIB, threads });
    const onPool = await ScryptPasswordHasher.create({ memoryKib: MIN_MEMORY_KIB });
    const password = 'Zoe\u0308-🦅-Harbor';
    await expect(onPool.verify(await onThreads.hash(password), 'Zoë-🦅-Harbor')).resolves.toBe(true);
    await expect(onThreads.verify(await onPool.hash(password), 'Zoë-🦅-Harbor')).resolves.toBe(true);
    await expect(onThreads.verify(await onPool.hash(password), 'Zoe-🦅-Harbor')).resolves.toBe(false);
  });
});
