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
