import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SavedState, StateFile, StateFileError } from './state-file';

const state: SavedState = {
  windows: {
    windowMs: 60_000,
    watermarkMs: 1_764_147_605_000,
    windows: [
      { startMs: 1_764_147_600_000, orderCount: 2, revenue: { EUR: 300 }, userIds: ['u1'], eventIds: ['a', 'b'] },
    ],
  },
  pending: [
    { startMs: 1_764_147_540_000, endMs: 1_764_147_600_000, orderCount: 1, revenue: { USD: 5 }, uniqueUsers: 1 },
  ],
};

describe('StateFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'analytics-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads nothing before the first save, then exactly what was saved, creating the folder', async () => {
    const file = new StateFile(join(dir, 'nested', 'analytics-state.json'));
    expect(await file.load()).toBeUndefined();
    await file.save(state);
    expect(await file.load()).toEqual(state);
  });

  it('replaces the file by rename, leaving no temporary file behind', async () => {
    const file = new StateFile(join(dir, 'analytics-state.json'));
    await file.save(state);
    await file.save({ ...state, pending: [] });
    expect(await readdir(dir)).toEqual(['analytics-state.json']);
    expect((await file.load())?.pending).toEqual([]);
  });

  it('keeps the previous state when a save fails half-way', async () => {
    const path = join(dir, 'analytics-state.json');
    const file = new StateFile(path);
    await file.save(state);
    await mkdir(`${path}.tmp`); // the temporary file cannot be created
    await expect(file.save({ ...state, pending: [] })).rejects.toThrow();
    expect(await file.load()).toEqual(state);
  });

  it.each([
    ['text that is not JSON', '{"version":1,', /is not JSON/],
    ['another version', JSON.stringify({ ...state, version: 2 }), /not an analytics state/],
    [
      'a float amount',
      JSON.stringify({ version: 1, ...state, pending: [{ ...state.pending[0], revenue: { EUR: 1.5 } }] }),
      /revenue/,
    ],
    [
      'a window without events',
      JSON.stringify({
        version: 1,
        ...state,
        windows: { ...state.windows, windows: [{ startMs: 0, orderCount: 0, revenue: {}, userIds: [], eventIds: [] }] },
      }),
      /orderCount/,
    ],
  ])('refuses %s with a StateFileError naming the file', async (_label, text, message) => {
    const path = join(dir, 'analytics-state.json');
    await writeFile(path, text);
    const error = await new StateFile(path).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateFileError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(path);
    expect(await readFile(path, 'utf8')).toBe(text); // never overwritten on a failed load
  });
});
