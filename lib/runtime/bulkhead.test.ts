import { Bulkhead } from './bulkhead';
import { CallerGoneError, withCallScope } from './call-scope';
import { UnavailableError } from './errors';

function gate() {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open: () => open() };
}

/** A bulkhead on a clock of its own, and a piece that takes `ms` on that clock. */
function onAClock(options: { name: string; concurrency: number; queueTimeoutMs: number }) {
  let clock = 0;
  const bulkhead = new Bulkhead({ ...options, maxQueue: 10, now: () => clock });
  const timed = (ms: number) =>
    bulkhead.run(async () => {
      clock += ms;
    });
  return { bulkhead, timed };
}

describe('Bulkhead', () => {
  it('runs at most `concurrency` pieces at once and starts the waiting ones in order as slots free', async () => {
    const bulkhead = new Bulkhead({ name: 'hashing', concurrency: 2, maxQueue: 10, queueTimeoutMs: 5000 });
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      bulkhead.run(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect(bulkhead.load).toEqual({ running: 2, waiting: 2 });
    gates[1]?.open();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(bulkhead.load).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses at once, as UNAVAILABLE naming the work, when the queue is full', async () => {
    const bulkhead = new Bulkhead({ name: 'password hashing', concurrency: 1, maxQueue: 1, queueTimeoutMs: 5000 });
    const hold = gate();
    const first = bulkhead.run(() => hold.promise);
    const queued = bulkhead.run(async () => 'queued');
    const refused = bulkhead.run(async () => 'never');
    await expect(refused).rejects.toBeInstanceOf(UnavailableError);
    await expect(refused).rejects.toThrow('password hashing is at capacity; try again shortly');
    hold.open();
    await first;
    expect(await queued).toBe('queued');
  });

  it('refuses a piece that waited longer than the queue timeout, and keeps serving the others', async () => {
    const bulkhead = new Bulkhead({ name: 'hashing', concurrency: 1, maxQueue: 5, queueTimeoutMs: 30 });
    const hold = gate();
    const first = bulkhead.run(() => hold.promise);
    await expect(bulkhead.run(async () => 'late')).rejects.toThrow('hashing is at capacity');
    expect(bulkhead.load.waiting).toBe(0);
    hold.open();
    await first;
    expect(await bulkhead.run(async () => 'after')).toBe('after');
  });

  it('refuses at once a piece that could not start before the queue timeout, by the recent running time', async () => {
    const { bulkhead, timed } = onAClock({ name: 'password hashing', concurrency: 2, queueTimeoutMs: 250 });
    // Two pieces of 100 ms each: the bulkhead expects the next ones to run as long.
    await timed(100);
    await timed(100);
    const holds = [gate(), gate()];
    const running = holds.map((h) => bulkhead.run(() => h.promise));
    // With both slots taken, the n-th waiting piece starts after ~n / 2 x 100 ms: 50, 100, 150, 200, 250 ms, then 300.
    const waiting = [1, 2, 3, 4, 5].map((n) => bulkhead.run(async () => n));
    await new Promise((r) => setImmediate(r));
    expect(bulkhead.load).toEqual({ running: 2, waiting: 5 });
    const refused = bulkhead.run(async () => 'never');
    // Refused without taking a place in the queue, not after waiting out the timeout there.
    expect(bulkhead.load).toEqual({ running: 2, waiting: 5 });
    await expect(refused).rejects.toBeInstanceOf(UnavailableError);
    await expect(refused).rejects.toThrow('password hashing is at capacity; try again shortly');
    for (const h of holds) h.open();
    await Promise.all(running);
    expect(await Promise.all(waiting)).toEqual([1, 2, 3, 4, 5]);
  });

  it('lets pieces wait again once the recent ones ran faster', async () => {
    const { bulkhead, timed } = onAClock({ name: 'hashing', concurrency: 1, queueTimeoutMs: 100 });
    await timed(500);
    const hold = gate();
    const first = bulkhead.run(() => hold.promise);
    // One piece ahead at ~500 ms: more than the timeout.
    const slow = bulkhead.run(async () => 'slow');
    expect(bulkhead.load.waiting).toBe(0);
    await expect(slow).rejects.toBeInstanceOf(UnavailableError);
    hold.open();
    await first;
    for (let i = 0; i < 12; i++) await timed(10);
    const again = gate();
    const busy = bulkhead.run(() => again.promise);
    const queued = bulkhead.run(async () => 'queued');
    await new Promise((r) => setImmediate(r));
    expect(bulkhead.load.waiting).toBe(1);
    again.open();
    await busy;
    expect(await queued).toBe('queued');
  });

  it('frees the slot of a piece that failed', async () => {
    const bulkhead = new Bulkhead({ name: 'hashing', concurrency: 1, maxQueue: 0, queueTimeoutMs: 10 });
    await expect(bulkhead.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await bulkhead.run(async () => 'ok')).toBe('ok');
  });

  it.each([
    [{ concurrency: 0 }, "'concurrency' must be an integer >= 1, got 0"],
    [{ maxQueue: -1 }, "'maxQueue' must be an integer >= 0, got -1"],
    [{ queueTimeoutMs: 1.5 }, "'queueTimeoutMs' must be an integer >= 0, got 1.5"],
  ])('refuses the settings %j, naming the field', (bad, message) => {
    expect(() => new Bulkhead({ name: 'x', concurrency: 1, maxQueue: 1, queueTimeoutMs: 1, ...bad })).toThrow(message);
  });

  it('never starts work for a caller that has already gone', async () => {
    const bulkhead = new Bulkhead({ name: 'password hashing', concurrency: 1, maxQueue: 4, queueTimeoutMs: 5000 });
    const gone = new AbortController();
    gone.abort();
    let ran = false;
    await expect(
      bulkhead.run(async () => {
        ran = true;
      }, gone.signal),
    ).rejects.toBeInstanceOf(CallerGoneError);
    expect(ran).toBe(false);
    expect(bulkhead.load).toEqual({ running: 0, waiting: 0 });
  });

  it('takes a waiting piece out of the queue when its caller goes, and gives the slot to the next', async () => {
    const bulkhead = new Bulkhead({ name: 'password hashing', concurrency: 1, maxQueue: 4, queueTimeoutMs: 5000 });
    const hold = gate();
    const first = bulkhead.run(() => hold.promise);
    const leaving = new AbortController();
    const started: string[] = [];
    // The caller's signal comes from its call scope, as the gRPC server sets it.
    const abandoned = withCallScope({ signal: leaving.signal }, () =>
      bulkhead.run(async () => {
        started.push('abandoned');
      }),
    );
    const next = bulkhead.run(async () => {
      started.push('next');
    });
    expect(bulkhead.load).toEqual({ running: 1, waiting: 2 });
    leaving.abort();
    await expect(abandoned).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(bulkhead.load).toEqual({ running: 1, waiting: 1 });
    hold.open();
    await Promise.all([first, next]);
    expect(started).toEqual(['next']);
    expect(bulkhead.load).toEqual({ running: 0, waiting: 0 });
  });
});
