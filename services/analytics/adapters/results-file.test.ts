import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnalyticsWindowEvent, buildAnalyticsWindow } from '../../../lib/events';
import { ResultsFile, ResultsFileError } from './results-file';

const windowEvent = (minute: number): AnalyticsWindowEvent =>
  buildAnalyticsWindow({
    source: '/services/analytics',
    data: {
      windowStart: `2025-11-26T09:0${minute}:00.000Z`,
      windowEnd: `2025-11-26T09:0${minute + 1}:00.000Z`,
      orderCount: 1,
      revenue: { EUR: 100 },
      uniqueUsers: 1,
    },
  });

describe('ResultsFile', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'analytics-results-'));
    path = join(dir, 'out', 'analytics-results.jsonl');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const lines = async () => (await readFile(path, 'utf8')).split('\n').filter(Boolean);

  it('creates the file empty, with its folder, when there is none', async () => {
    await ResultsFile.open(path);
    expect(await readFile(path, 'utf8')).toBe('');
  });

  it('appends one line per window and never the same window twice, across reopenings', async () => {
    const file = await ResultsFile.open(path);
    expect(await file.append(windowEvent(0))).toBe(true);
    expect(await file.append(windowEvent(0))).toBe(false);
    const reopened = await ResultsFile.open(path);
    expect(reopened.has('2025-11-26T09:00:00.000Z')).toBe(true);
    expect(await reopened.append(windowEvent(0))).toBe(false);
    expect(await reopened.append(windowEvent(1))).toBe(true);
    expect(await lines()).toEqual([JSON.stringify(windowEvent(0)), JSON.stringify(windowEvent(1))]);
  });

  it('drops a last line cut short by a crash, so the next append starts on a line of its own', async () => {
    const file = await ResultsFile.open(path);
    await file.append(windowEvent(0));
    await writeFile(path, `${JSON.stringify(windowEvent(0))}\n{"specversion":"1.0","id":"2025-11`);
    const reopened = await ResultsFile.open(path);
    expect(reopened.has('2025-11-26T09:01:00.000Z')).toBe(false);
    await reopened.append(windowEvent(1));
    expect(await lines()).toEqual([JSON.stringify(windowEvent(0)), JSON.stringify(windowEvent(1))]);
  });

  it('refuses a file with a whole line that is not a window event, naming the line', async () => {
    await (await ResultsFile.open(path)).append(windowEvent(0));
    await writeFile(path, `${JSON.stringify(windowEvent(0))}\n{"hello":"world"}\n`);
    await expect(ResultsFile.open(path)).rejects.toThrow(ResultsFileError);
    await expect(ResultsFile.open(path)).rejects.toThrow(/line 2/);
  });
});
