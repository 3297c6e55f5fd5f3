import { FailedPreconditionError, InvalidArgumentError } from '../../../lib/runtime/errors';
import { type OrderFact, TumblingWindows } from './windows';

const at = (time: string) => Date.parse(`2025-11-26T${time}Z`);
const config = { windowMs: 60_000, outOfOrdernessMs: 5000, idleTimeoutMs: 10_000 };

let n = 0;
const fact = (time: string, overrides: Partial<OrderFact> = {}): OrderFact => ({
  eventId: `e-${++n}`,
  eventTimeMs: at(time),
  userId: 'u1',
  amount: 100,
  currency: 'EUR',
  ...overrides,
});

describe('TumblingWindows: the idle timeout (processing time passed in, as a clock would)', () => {
  // Processing time runs alongside event time here; the clock is the test's.
  let now: number;
  let windows: TumblingWindows;

  beforeEach(() => {
    now = at('09:00:20.000');
    windows = new TumblingWindows(config, now);
    windows.add(fact('09:00:10.000'), now);
    windows.add(fact('09:00:20.000', { userId: 'u2' }), now);
  });

  it('closes nothing while events keep arriving within the timeout', () => {
    now += 9_999;
    expect(windows.tick(now)).toEqual([]);
    expect(windows.watermarkMs).toBe(at('09:00:15.000'));
  });

  it('closes the last window once no event has come for the timeout', () => {
    now += 10_000;
    expect(windows.tick(now)).toEqual([]); // now - 5 s = 09:00:25: short of the window's end
    now = at('09:01:04.999');
    expect(windows.tick(now)).toEqual([
      { startMs: at('09:00:00.000'), endMs: at('09:01:00.000'), orderCount: 2, revenue: { EUR: 200 }, uniqueUsers: 2 },
    ]);
    expect(windows.openWindowCount).toBe(0);
  });

  it('counts from the last event: a new event restarts the idle clock', () => {
    now += 9_000;
    windows.add(fact('09:00:30.000'), now);
    now += 9_000;
    expect(windows.tick(now)).toEqual([]);
    expect(windows.watermarkMs).toBe(at('09:00:25.000'));
  });

  it('moves the watermark no further than the last open window’s end, so later events are not late', () => {
    now = at('10:00:00.000');
    expect(windows.tick(now)).toHaveLength(1);
    expect(windows.watermarkMs).toBe(at('09:00:59.999'));
    expect(windows.add(fact('09:01:00.000'), now).outcome).toBe('counted');
    expect(windows.add(fact('09:00:59.999'), now).outcome).toBe('late');
  });

  it('does nothing without open windows, so a quiet start never makes the first events late', () => {
    const fresh = new TumblingWindows(config, 0);
    expect(fresh.tick(at('10:00:00.000'))).toEqual([]);
    expect(fresh.watermarkMs).toBeNull();
    expect(fresh.add(fact('09:00:00.000'), at('10:00:00.000')).outcome).toBe('counted');
  });

  it('starts the idle clock anew when resumed from a snapshot', () => {
    const resumed = new TumblingWindows(config, at('12:00:00.000'), windows.snapshot());
    expect(resumed.tick(at('12:00:09.999'))).toEqual([]);
    expect(resumed.tick(at('12:00:10.000'))).toHaveLength(1);
  });
});

describe('TumblingWindows: counting', () => {
  it('reports the outcome and the window of each event', () => {
    const windows = new TumblingWindows(config, 0);
    const first = fact('09:00:10.000');
    expect(windows.add(first, 0)).toEqual({ outcome: 'counted', windowStartMs: at('09:00:00.000'), closed: [] });
    expect(windows.add(first, 0).outcome).toBe('duplicate');
    expect(windows.add(fact('09:01:05.000'), 0).closed).toHaveLength(1);
    expect(windows.add(first, 0)).toEqual({ outcome: 'late', windowStartMs: at('09:00:00.000'), closed: [] });
  });

  it('never moves the watermark back', () => {
    const windows = new TumblingWindows(config, 0);
    windows.add(fact('09:00:30.000'), 0);
    windows.add(fact('09:00:10.000'), 0);
    expect(windows.watermarkMs).toBe(at('09:00:25.000'));
  });

  it('refuses an amount that would take the revenue past a safe integer, and changes nothing', () => {
    const windows = new TumblingWindows(config, 0);
    windows.add(fact('09:00:10.000', { amount: Number.MAX_SAFE_INTEGER }), 0);
    const before = windows.snapshot();
    expect(() => windows.add(fact('09:00:11.000', { amount: 1 }), 0)).toThrow(InvalidArgumentError);
    expect(windows.snapshot()).toEqual(before);
  });

  it('snapshots to plain JSON: watermark, and per open window its sums, users and event ids', () => {
    const windows = new TumblingWindows(config, 0);
    windows.add(fact('09:00:10.000', { eventId: 'a', userId: 'u1', amount: 5, currency: 'USD' }), 0);
    windows.add(fact('09:00:12.000', { eventId: 'b', userId: 'u1', amount: 7, currency: 'EUR' }), 0);
    expect(JSON.parse(JSON.stringify(windows.snapshot()))).toEqual({
      windowMs: 60_000,
      watermarkMs: at('09:00:07.000'),
      windows: [
        {
          startMs: at('09:00:00.000'),
          orderCount: 2,
          revenue: { USD: 5, EUR: 7 },
          userIds: ['u1'],
          eventIds: ['a', 'b'],
        },
      ],
    });
  });
});

describe('TumblingWindows: configuration', () => {
  it.each([
    ['windowMs', { windowMs: 0 }],
    ['windowMs', { windowMs: 1.5 }],
    ['outOfOrdernessMs', { outOfOrdernessMs: -1 }],
    ['idleTimeoutMs', { idleTimeoutMs: 0 }],
  ])('rejects a bad %s, naming it', (field, change) => {
    expect(() => new TumblingWindows({ ...config, ...change }, 0)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
    );
  });

  it('refuses a snapshot of windows of another length', () => {
    const snapshot = new TumblingWindows(config, 0).snapshot();
    expect(() => new TumblingWindows({ ...config, windowMs: 30_000 }, 0, snapshot)).toThrow(FailedPreconditionError);
  });
});
