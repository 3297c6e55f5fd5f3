import { MINUTE_MS, salesPerMinute, windowsOf } from './sales';

const at = (iso: string) => Date.parse(iso);
const window = (start: string, orderCount: number) => ({
  windowStart: start,
  windowEnd: new Date(at(start) + MINUTE_MS).toISOString(),
  orderCount,
  revenue: { EUR: orderCount * 1000 },
  uniqueUsers: 1,
});

describe('sales per minute for the console chart', () => {
  it('gives every closed minute of the last hour, zero where the job wrote no window', () => {
    const now = at('2026-12-04T10:30:20.000Z');
    const series = salesPerMinute([window('2026-12-04T10:29:00.000Z', 3), window('2026-12-04T09:30:00.000Z', 1)], now);
    expect(series).toHaveLength(60);
    expect(series[59]).toEqual({ start: at('2026-12-04T10:29:00.000Z'), orders: 3, revenue: { EUR: 3000 } });
    expect(series[0]).toEqual({ start: at('2026-12-04T09:30:00.000Z'), orders: 1, revenue: { EUR: 1000 } });
    expect(series.filter((m) => m.orders === 0)).toHaveLength(58);
  });

  it('reads the windows from the answer and drops what is not a window', () => {
    const good = window('2026-12-04T10:29:00.000Z', 2);
    expect(windowsOf({ items: [good, { windowStart: 'yesterday', orderCount: 1 }, null] })).toEqual([good]);
    expect(windowsOf({ windows: [good] })).toEqual([good]);
    expect(windowsOf('nonsense')).toEqual([]);
  });
});
