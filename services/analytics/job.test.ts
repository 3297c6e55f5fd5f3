import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AnalyticsWindowEvent } from '../../lib/events';
import { type DeliveredMessage, PoisonMessageError } from '../../lib/runtime/events';
import { createLogger } from '../../lib/runtime/logger';
import { ResultsFile } from './adapters/results-file';
import { type SavedState, StateFile } from './adapters/state-file';
import { TumblingWindows } from './domain/windows';
import { AnalyticsJob } from './job';
import { AnalyticsMetrics } from './metrics';
import { FakeClock } from './test-support/clock';
import { expandEvent } from './test-support/vectors';

/** A state file whose saves fail while `broken` is set; remembers what it last saved. */
class BreakableStateFile extends StateFile {
  broken = false;
  saves: SavedState[] = [];
  override async save(state: SavedState): Promise<void> {
    if (this.broken) throw new Error('disk full');
    this.saves.push(JSON.parse(JSON.stringify(state)));
    await super.save(state);
  }
}

const message = (event: Record<string, unknown> | string, offset = 0): DeliveredMessage => ({
  topic: 'orders',
  partition: 0,
  offset,
  key: 'k',
  value: typeof event === 'string' ? event : JSON.stringify(event),
  headers: {},
  timestamp: 0,
  attempt: 1,
});

const order = (id: string, time: string, overrides: Record<string, unknown> = {}) =>
  expandEvent({ id, time: `2025-11-26T${time}Z`, userId: 'u1', amount: 100, currency: 'EUR', ...overrides });

describe('AnalyticsJob', () => {
  let dir: string;
  let stateFile: BreakableStateFile;
  let published: AnalyticsWindowEvent[];
  let logs: Record<string, unknown>[];
  let metrics: AnalyticsMetrics;
  let job: AnalyticsJob;
  const clock = new FakeClock();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'analytics-job-'));
    stateFile = new BreakableStateFile(join(dir, 'analytics-state.json'));
    published = [];
    logs = [];
    metrics = new AnalyticsMetrics('analytics');
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs.push(JSON.parse(String(chunk)));
        done();
      },
    });
    job = new AnalyticsJob({
      windows: new TumblingWindows({ windowMs: 60_000, outOfOrdernessMs: 5000, idleTimeoutMs: 10_000 }, 0),
      stateFile,
      results: await ResultsFile.open(join(dir, 'analytics-results.jsonl')),
      publish: async (event) => void published.push(event),
      source: '/services/analytics',
      clock,
      logger: createLogger({ service: 'analytics', level: 'debug', destination: sink }),
      metrics,
    });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves the state before the record is acknowledged, and fails the record when it cannot', async () => {
    await job.handle(message(order('a', '09:00:10.000')));
    expect(stateFile.saves.at(-1)?.windows.windows[0]?.eventIds).toEqual(['a']);
    stateFile.broken = true;
    await expect(job.handle(message(order('b', '09:01:10.000')))).rejects.toThrow('disk full');
    // The window closed by 'b' was not emitted: its closing is not saved yet.
    expect(published).toEqual([]);
    const health = await job.stateHealth().catch((e: unknown) => e);
    expect(health).toEqual(new Error('state not saved: disk full'));

    stateFile.broken = false;
    await job.handle(message(order('b', '09:01:10.000'))); // the bus's redelivery
    expect(published.map((e) => [e.subject, e.data.orderCount])).toEqual([['2025-11-26T09:00:00.000Z', 1]]);
    expect(await metrics.count('duplicate')).toBe(1);
    await expect(job.stateHealth()).resolves.toBeUndefined();
  });

  it('logs a late event with its ids and counts it, without the payload', async () => {
    await job.handle(message(order('a', '09:00:10.000')));
    await job.handle(message(order('b', '09:01:10.000')));
    await job.handle(message(order('c', '09:00:30.000'), 2));
    expect(await metrics.count('late')).toBe(1);
    const late = logs.find((line) => line.msg === 'late event dropped: its window has already closed');
    expect(late).toMatchObject({
      eventId: 'c',
      offset: 2,
      eventTime: '2025-11-26T09:00:30.000Z',
      windowStart: '2025-11-26T09:00:00.000Z',
      watermark: '2025-11-26T09:01:05.000Z',
    });
    expect(JSON.stringify(logs)).not.toContain('customer@example.com');
  });

  it('rejects a record the windows cannot take (revenue past a safe integer) as poison', async () => {
    await job.handle(message(order('a', '09:00:10.000', { amount: Number.MAX_SAFE_INTEGER })));
    const error = await job.handle(message(order('b', '09:00:11.000'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoisonMessageError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await metrics.count('rejected')).toBe(1);
  });

  it('rejects a malformed record as poison with its code, never logging the payload', async () => {
    const error = await job.handle(message('{"type":"com.shopfront.order.created.v1","secret":"x"')).catch((e) => e);
    expect(error).toBeInstanceOf(PoisonMessageError);
    expect(error).toMatchObject({ code: 'NOT_JSON' });
    expect(JSON.stringify(logs)).not.toContain('secret');
  });

  it('handles one record or tick at a time, whatever the bus delivers concurrently', async () => {
    const events = Array.from({ length: 20 }, (_, i) => order(`e${i}`, `09:00:${String(10 + i).padStart(2, '0')}.000`));
    await Promise.all(events.map((event, i) => job.handle(message(event, i))));
    await job.tick();
    expect(stateFile.saves.at(-1)?.windows.windows[0]?.orderCount).toBe(20);
  });

  it('applies a batch with one state save, and leaves the records it could not apply to the record handler', async () => {
    const batch = [
      message(order('a', '09:00:10.000'), 0),
      message('not json', 1),
      message(order('b', '09:00:20.000', { amount: Number.MAX_SAFE_INTEGER }), 2),
      message(order('c', '09:00:30.000'), 3),
      message(order('a', '09:00:10.000'), 4),
    ];
    const left = await job.handleBatch(batch);
    expect(left.map((m) => m.offset)).toEqual([1, 2]);
    expect(stateFile.saves).toHaveLength(1);
    expect(await metrics.count('counted')).toBe(2);
    expect(await metrics.count('duplicate')).toBe(1);
    // The bus then hands the two to `handle`, which rejects them as poison.
    for (const rest of left) await expect(job.handle(rest)).rejects.toBeInstanceOf(PoisonMessageError);
    // A batch that closes the window emits it, and saves again to forget it.
    await job.handleBatch([message(order('d', '09:01:40.000'), 5)]);
    expect(published.map((e) => [e.subject, e.data.orderCount])).toEqual([['2025-11-26T09:00:00.000Z', 2]]);
    expect(stateFile.saves).toHaveLength(3);
  });

  it('fails the whole batch when its state cannot be saved; the records then go one by one', async () => {
    stateFile.broken = true;
    const batch = [message(order('a', '09:00:10.000'), 0), message(order('b', '09:01:10.000'), 1)];
    await expect(job.handleBatch(batch)).rejects.toThrow('disk full');
    expect(published).toEqual([]);
    stateFile.broken = false;
    for (const m of batch) await job.handle(m);
    expect(published.map((e) => [e.subject, e.data.orderCount])).toEqual([['2025-11-26T09:00:00.000Z', 1]]);
  });
});
