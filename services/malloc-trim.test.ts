import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { capturedLogger } from '../lib/runtime/test-support/logs';
import { glibcVersion, loadMallocTrim, type MallocTrimLoad, startMallocTrim } from './malloc-trim';

const onGlibc = glibcVersion() ? it : it.skip;

describe('loadMallocTrim', () => {
  onGlibc('binds glibc malloc_trim, which gives a fragmented C heap back to the system', () => {
    // A child process fills its C heap with 160 MB of 4 KiB buffers, keeps one in eight, and trims.
    const script = `
      const { loadMallocTrim } = require(${JSON.stringify(path.join(__dirname, 'malloc-trim'))});
      const loaded = loadMallocTrim();
      if (!loaded.trim) throw new Error(loaded.unavailable);
      const kept = [];
      for (let i = 0; i < 40000; i++) { const b = Buffer.allocUnsafeSlow(4096); if (i % 8 === 0) kept.push(b); }
      globalThis.gc(); globalThis.gc();
      const before = process.memoryUsage().rss;
      const released = loaded.trim(0);
      const after = process.memoryUsage().rss;
      process.stdout.write(JSON.stringify({ released, freedMiB: (before - after) / 1048576, kept: kept.length }));
    `;
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const result = JSON.parse(out) as { released: number; freedMiB: number; kept: number };
    expect(result.released).toBe(1);
    // 140 MB were freed between the kept buffers, which glibc keeps; the trim gave back 38-45 MiB of it here.
    expect(result.freedMiB).toBeGreaterThan(20);
  });

  onGlibc('answers why not when the C library cannot be loaded', () => {
    const loaded = loadMallocTrim('libno-such-library.so.9');
    expect(loaded).toEqual({ unavailable: expect.stringContaining('libno-such-library.so.9') });
  });
});

describe('startMallocTrim', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('trims at each interval until stopped', () => {
    const pads: number[] = [];
    const { logger } = capturedLogger();
    const trimming = startMallocTrim(logger, {
      intervalMs: 1000,
      cpuUsage: () => ({ user: 0, system: 0 }),
      load: (): MallocTrimLoad => ({
        trim: (pad) => {
          pads.push(pad);
          return 1;
        },
      }),
    });
    expect(trimming).toBeDefined();
    jest.advanceTimersByTime(999);
    expect(pads).toEqual([]);
    jest.advanceTimersByTime(2001);
    expect(pads).toEqual([0, 0, 0]);
    trimming?.stop();
    jest.advanceTimersByTime(5000);
    expect(pads).toHaveLength(3);
  });

  it('skips an interval in which the process was busy and trims at the next quiet one', () => {
    let trims = 0;
    // CPU time of the process in microseconds, as process.cpuUsage counts it: each step is one interval's worth.
    let used = 0;
    const { logger, lines } = capturedLogger();
    const trimming = startMallocTrim(logger, {
      intervalMs: 1000,
      busyCores: 0.25,
      cpuUsage: () => ({ user: used * 0.75, system: used * 0.25 }),
      load: (): MallocTrimLoad => ({
        trim: () => {
          trims += 1;
          return 1;
        },
      }),
    });
    const interval = (cpuMs: number) => {
      used += cpuMs * 1000;
      jest.advanceTimersByTime(1000);
    };
    interval(20);
    expect(trims).toBe(1);
    // 1.6 cores over the interval: an order bench on two cores.
    interval(1600);
    expect(trims).toBe(1);
    interval(260);
    expect(trims).toBe(1);
    interval(250);
    expect(trims).toBe(2);
    interval(0);
    expect(trims).toBe(3);
    trimming?.stop();
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'debug', cores: 1.6, msg: 'malloc_trim skipped: the process is busy' }),
    );
  });

  it('says why when there is nothing to trim with, and starts no timer', () => {
    const { logger, lines } = capturedLogger();
    const trimming = startMallocTrim(logger, { load: () => ({ unavailable: 'no glibc on darwin' }) });
    expect(trimming).toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        reason: 'no glibc on darwin',
        msg: 'free C heap is not given back to the system between loads',
      }),
    );
  });
});
