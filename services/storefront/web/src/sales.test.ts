import { MINUTE_MS, salesPerMinute, windowsOf } from './sales';

const at = (iso: string) => Date.parse(iso);
/** A window as the gateway answers it. */
const window = (start: string, orderCount: number) => ({
  start,
  end: new Date(at(start) + MINUTE_MS).toISOString(),
  orderCount,
  revenue: { EUR: orderCount * 1000 },
  uniqueUsers: 1,
});

describe('sales per minute for the console chart', () => {
  it('gives every closed minute of the last hour, zero where the job wrote no window', () => {
    const now = at('2026-12-04T10:30:20.000Z');
    const answer = { items: [window('2026-12-04T10:29:00.000Z', 3), window('2026-12-04T09:30:00.000Z', 1)] };
    const series = salesPerMinute(windowsOf(answer), now);
    expect(series).toHaveLength(60);
    expect(series[59]).toEqual({ start: at('2026-12-04T10:29:00.000Z'), orders: 3, revenue: { EUR: 3000 } });
    expect(series[0]).toEqual({ start: at('2026-12-04T09:30:00.000Z'), orders: 1, revenue: { EUR: 1000 } });
    expect(series.filter((m) => m.orders === 0)).toHaveLength(58);
  });

  it('leaves out windows outside the hour', () => {
    const now = at('2026-12-04T10:30:20.000Z');
    const series = salesPerMinute(windowsOf({ items: [window('2026-12-04T09:29:00.000Z', 5)] }), now);
    expect(series.every((m) => m.orders === 0)).toBe(true);
  });

  it('reads the gateway’s answer and the event’s naming, and drops what is not a window', () => {
    const good = window('2026-12-04T10:29:00.000Z', 2);
    const expected = { start: at(good.start), orderCount: 2, revenue: { EUR: 2000 } };
    expect(
      windowsOf({
        from: 'x',
        to: 'y',
        items: [good, { start: 'yesterday', orderCount: 1 }, null, { start: good.start }],
      }),
    ).toEqual([expected]);
    expect(windowsOf([{ windowStart: good.start, orderCount: 2, revenue: { EUR: 2000 } }])).toEqual([expected]);
    expect(windowsOf({ items: [{ ...good, revenue: { EUR: -5 } }] })).toEqual([{ ...expected, revenue: {} }]);
    expect(windowsOf('nonsense')).toEqual([]);
  });
});
