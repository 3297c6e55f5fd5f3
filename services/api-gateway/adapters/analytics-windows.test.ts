import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnalyticsWindowData, buildAnalyticsWindow } from '../../../lib/events';
import { ResultsFileUnreadableError, ResultsFileWindows } from './analytics-windows';

const windowAt = (start: string, orderCount = 1, revenue: Record<string, number> = { EUR: 100 }) => {
  const end = new Date(Date.parse(start) + 60_000).toISOString();
  return { windowStart: start, windowEnd: end, orderCount, revenue, uniqueUsers: 1 } satisfies AnalyticsWindowData;
};
const line = (data: AnalyticsWindowData) =>
  `${JSON.stringify(buildAnalyticsWindow({ source: '/services/analytics', data }))}\n`;

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gateway-windows-'));
  file = join(dir, 'analytics-results.jsonl');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const between = (from: string, to: string) => new ResultsFileWindows(file).windowsBetween(new Date(from), new Date(to));

describe('ResultsFileWindows', () => {
  it('answers the windows starting in [from, to), ascending, whatever order the file has them in', async () => {
    await writeFile(
      file,
      [
        windowAt('2026-12-04T09:02:00.000Z'),
        windowAt('2026-12-04T08:59:00.000Z'),
        windowAt('2026-12-04T09:00:00.000Z'),
        windowAt('2026-12-04T09:03:00.000Z'),
      ]
        .map(line)
        .join(''),
    );
    const windows = await between('2026-12-04T09:00:00Z', '2026-12-04T09:03:00Z');
    expect(windows.map((w) => w.windowStart)).toEqual(['2026-12-04T09:00:00.000Z', '2026-12-04T09:02:00.000Z']);
  });

  it('has no windows before the twin wrote its file', async () => {
    await expect(between('2026-12-04T09:00:00Z', '2026-12-04T10:00:00Z')).resolves.toEqual([]);
  });

  it('keeps the last line of a window written twice, as the database keeps the last upsert', async () => {
    await writeFile(
      file,
      line(windowAt('2026-12-04T09:00:00.000Z', 1)) + line(windowAt('2026-12-04T09:00:00.000Z', 2)),
    );
    const windows = await between('2026-12-04T09:00:00Z', '2026-12-04T09:01:00Z');
    expect(windows.map((w) => w.orderCount)).toEqual([2]);
  });

  it('leaves a line still being written for the next read', async () => {
    await writeFile(file, line(windowAt('2026-12-04T09:00:00.000Z')));
    await appendFile(file, line(windowAt('2026-12-04T09:01:00.000Z')).slice(0, 40));
    const windows = await between('2026-12-04T09:00:00Z', '2026-12-04T10:00:00Z');
    expect(windows).toHaveLength(1);
  });

  it('refuses a file that is not the twin’s, naming the line', async () => {
    await writeFile(file, `${line(windowAt('2026-12-04T09:00:00.000Z'))}{"not":"a window"}\n`);
    const read = between('2026-12-04T09:00:00Z', '2026-12-04T10:00:00Z');
    await expect(read).rejects.toBeInstanceOf(ResultsFileUnreadableError);
    await expect(read).rejects.toThrow(/line 2/);
  });
});
