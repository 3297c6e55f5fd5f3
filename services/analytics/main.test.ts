import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAnalyticsWindow, parseAnalyticsWindowEvent } from '../../lib/events';
import { ConfigError } from '../../lib/runtime/config';
import { type EventBus, LocalEventLog, type OutgoingMessage } from '../../lib/runtime/events';
import { createLogger } from '../../lib/runtime/logger';
import { StateFileError } from './adapters/state-file';
import { WINDOW_MS } from './config';
import { type AnalyticsService, RESULTS_FILE, STATE_FILE, start } from './main';
import { FakeClock } from './test-support/clock';
import { type ExpectedWindow, expandEvent, loadVectors, type Vector } from './test-support/vectors';

const silent = createLogger({ service: 'analytics-test', level: 'silent' });
const OUTCOMES = ['counted', 'duplicate', 'late', 'rejected'];
/** Short, so the idle check runs every 10 ms; it is measured on the fake clock, which stands still unless moved. */
const FAST_IDLE = { ANALYTICS_IDLE_TIMEOUT_MS: '40' };

const until = async (condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** A bus that refuses the next `failures` publishes to `topic`, then behaves. */
class FlakyPublishBus implements EventBus {
  failures = 0;
  constructor(
    private readonly inner: EventBus,
    private readonly topic: string,
  ) {}
  publish(topic: string, messages: readonly OutgoingMessage[]) {
    if (topic === this.topic && this.failures > 0) {
      this.failures -= 1;
      return Promise.reject(new Error('broker unavailable'));
    }
    return this.inner.publish(topic, messages);
  }
  subscribe(...args: Parameters<EventBus['subscribe']>) {
    return this.inner.subscribe(...args);
  }
  ping() {
    return this.inner.ping();
  }
  close() {
    return this.inner.close();
  }
}

/** The service on a LocalEventLog kept in `<dir>/bus`, one partition per topic so arrival order is the publish order. */
class Harness {
  readonly clock = new FakeClock('2025-11-26T12:00:00.000Z');
  bus!: LocalEventLog;
  service!: AnalyticsService;

  constructor(readonly dir: string) {}

  async start(env: Record<string, string> = FAST_IDLE, wrap: (bus: LocalEventLog) => EventBus = (bus) => bus) {
    this.bus = new LocalEventLog({
      partitions: { orders: 1, 'analytics-results': 1 },
      dataDir: join(this.dir, 'bus'),
      logger: silent,
    });
    this.service = await start({
      env: { DATA_DIR: this.dir, LOG_LEVEL: 'silent', ...env },
      eventBus: wrap(this.bus),
      clock: this.clock,
    });
  }

  async stop() {
    await this.service.stop();
    await this.bus.close();
  }

  async processed(): Promise<number> {
    const counts = await Promise.all(OUTCOMES.map((outcome) => this.service.jobMetrics.count(outcome)));
    return counts.reduce((a, b) => a + b, 0);
  }

  async publishEvents(events: readonly Record<string, unknown>[]) {
    await this.bus.publish(
      'orders',
      events.map((event) => ({
        key: String((event.data as { orderId?: unknown }).orderId),
        value: JSON.stringify(event),
      })),
    );
  }

  /** Publishes and waits until this run of the service has handled `total` records. */
  async feed(events: readonly Record<string, unknown>[], total = events.length) {
    await this.publishEvents(events);
    await until(async () => (await this.processed()) >= total);
  }

  topicValues(): string[] {
    return this.bus.records('analytics-results').map((record) => record.value);
  }

  topicWindows(): ExpectedWindow[] {
    return this.topicValues().map((value) => {
      const parsed = parseAnalyticsWindowEvent(value);
      if (!parsed.ok) throw new Error(parsed.error.message);
      const { windowStart, windowEnd, orderCount, revenue, uniqueUsers } = parsed.event.data;
      return { start: windowStart, end: windowEnd, orderCount, revenue, uniqueUsers };
    });
  }

  async fileLines(): Promise<string[]> {
    const file = join(this.dir, RESULTS_FILE);
    if (!existsSync(file)) return [];
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  }

  /** Orders stop: processing time jumps far ahead and the idle timeout closes what is open. */
  async idleUntil(windows: number) {
    this.clock.advance(Date.parse('2100-01-01T00:00:00Z') - this.clock.now().getTime());
    await until(() => this.topicValues().length >= windows);
  }
}

const vectors = loadVectors();
const expanded = (vector: Vector) => vector.events.map(expandEvent);

describe('analytics on a LocalEventLog', () => {
  let dir: string;
  let harness: Harness;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'analytics-'));
    harness = new Harness(dir);
  });
  afterEach(async () => {
    await harness.service?.stop();
    await harness.bus?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The windows on the topic and in the file, after the run; the file holds exactly the topic's records. */
  const output = async (): Promise<ExpectedWindow[]> => {
    await harness.stop();
    expect(await harness.fileLines()).toEqual(harness.topicValues());
    return harness.topicWindows();
  };

  describe.each(vectors.map((v) => [v.file, v] as const))('vector %s', (_file, vector) => {
    const events = () => expanded(vector);
    const half = Math.floor(vector.events.length / 2);
    // The service's windows are the design's minute; the vector's bound comes in through the environment.
    const env = { ...FAST_IDLE, ANALYTICS_OUT_OF_ORDERNESS_MS: String(vector.config.outOfOrdernessMs) };

    it('uses the service’s window length', () => {
      expect(vector.config.windowMs).toBe(WINDOW_MS);
    });

    it('emits the expected windows to analytics-results and the JSONL file, and counts late events', async () => {
      await harness.start(env);
      await harness.feed(events());
      const late = await harness.service.jobMetrics.count('late');
      await harness.idleUntil(vector.expected.length);
      expect(await output()).toEqual(vector.expected);
      if (vector.lateEvents !== undefined) expect(late).toBe(vector.lateEvents);
    });

    it('gives the same output when restarted mid-stream from the state file', async () => {
      await harness.start(env);
      await harness.feed(events().slice(0, half));
      await harness.stop();
      await harness.start(env);
      await harness.feed(events().slice(half));
      await harness.idleUntil(vector.expected.length);
      expect(await output()).toEqual(vector.expected);
    });

    it('does not double count when a restart redelivers records whose offsets were never committed', async () => {
      await harness.start(env);
      await harness.feed(events().slice(0, half));
      await harness.stop();
      // As if the process died after saving its state and before committing: the group reads from the start.
      await rm(join(dir, 'bus', 'offsets.json'), { force: true });
      await harness.start(env);
      await harness.feed(events().slice(half), vector.events.length);
      await harness.idleUntil(vector.expected.length);
      expect(await output()).toEqual(vector.expected);
    });

    it('does not double count records published twice', async () => {
      await harness.start(env);
      await harness.feed(events().flatMap((event) => [event, event]));
      await harness.idleUntil(vector.expected.length);
      expect(await output()).toEqual(vector.expected);
    });
  });

  it('creates its results file empty at start, before any window closes, so it can be followed', async () => {
    await harness.start();
    expect(await readFile(join(dir, RESULTS_FILE), 'utf8')).toBe('');
  });

  it('closes the last window after the default idle timeout of processing time without orders', async () => {
    const [vector] = vectors.filter((v) => v.file === '09-idle-end.json');
    if (!vector) throw new Error('vector 09 is missing');
    await harness.start({});
    await harness.feed(expanded(vector));
    expect(harness.topicValues()).toEqual([]);
    harness.clock.advance(10_000);
    // The watermark now follows processing time, capped at the window's last millisecond.
    await until(() => harness.topicValues().length === 1);
    expect(harness.topicWindows()).toEqual(vector.expected);
  });

  it('dead-letters bad records to orders.dlq and goes on counting good ones', async () => {
    const [vector] = vectors;
    if (!vector) throw new Error('no vectors');
    await harness.start();
    const good = expanded(vector);
    const wrongVersion = { ...good[0], type: 'com.shopfront.order.created.v2' };
    const missingUser = { ...good[0], data: { ...(good[0]?.data as object), userId: undefined } };
    await harness.bus.publish('orders', [
      { key: 'k', value: '{not json' },
      { key: 'k', value: JSON.stringify(wrongVersion) },
      { key: 'k', value: JSON.stringify(missingUser) },
    ]);
    await harness.feed(good, good.length + 3);
    await until(() => harness.bus.records('orders.dlq').length === 3);
    const codes = harness.bus.records('orders.dlq').map((r) => r.headers['x-dead-letter-code']);
    expect(codes.sort()).toEqual(['INVALID_EVENT', 'NOT_JSON', 'UNKNOWN_EVENT_TYPE']);
    expect(await harness.service.jobMetrics.count('rejected')).toBe(3);
    await harness.idleUntil(vector.expected.length);
    expect(await output()).toEqual(vector.expected);
  });

  it('keeps a window it could not publish pending, reports not ready, and emits it once when the bus is back', async () => {
    const [vector] = vectors.filter((v) => v.file === '09-idle-end.json');
    if (!vector) throw new Error('vector 09 is missing');
    let flaky: FlakyPublishBus | undefined;
    await harness.start(FAST_IDLE, (bus) => {
      flaky = new FlakyPublishBus(bus, 'analytics-results');
      return flaky;
    });
    if (!flaky) throw new Error('bus not wrapped');
    // The bus refuses every publish until the test has seen the window pending and the service not ready.
    flaky.failures = Number.POSITIVE_INFINITY;
    await harness.feed(expanded(vector));
    harness.clock.advance(60_000);
    await until(async () => (await harness.service.jobMetrics.pendingWindows.get()).values[0]?.value === 1);
    await until(async () => (await harness.service.health.report()).checks.results?.ok === false);
    expect(harness.topicValues()).toEqual([]);
    flaky.failures = 0;
    await until(() => harness.topicValues().length === 1);
    await until(async () => (await harness.service.jobMetrics.pendingWindows.get()).values[0]?.value === 0);
    expect(harness.topicValues()).toHaveLength(1);
    expect(await output()).toEqual(vector.expected);
    expect(harness.bus.records('orders.dlq')).toEqual([]);
  });

  it('emits a window left pending by a crash once, and not at all when the results file already has it', async () => {
    const windowAt = (minute: number) => ({
      startMs: Date.parse(`2025-11-26T09:0${minute}:00.000Z`),
      endMs: Date.parse(`2025-11-26T09:0${minute + 1}:00.000Z`),
      orderCount: 1,
      revenue: { EUR: 100 },
      uniqueUsers: 1,
    });
    const alreadyWritten = buildAnalyticsWindow({
      source: '/services/analytics',
      data: {
        windowStart: '2025-11-26T09:00:00.000Z',
        windowEnd: '2025-11-26T09:01:00.000Z',
        orderCount: 1,
        revenue: { EUR: 100 },
        uniqueUsers: 1,
      },
    });
    await mkdir(dir, { recursive: true });
    // Crashed after writing window 09:00 to the file (it was published first) and before saving it as emitted;
    // and after saving window 09:01 as closed, before emitting it.
    await writeFile(join(dir, RESULTS_FILE), `${JSON.stringify(alreadyWritten)}\n{"specversion":"1.0","id":"cut sho`);
    await writeFile(
      join(dir, STATE_FILE),
      JSON.stringify({
        version: 1,
        windows: { windowMs: 60_000, watermarkMs: Date.parse('2025-11-26T09:02:00.000Z'), windows: [] },
        pending: [windowAt(0), windowAt(1)],
      }),
    );
    await harness.start();
    expect(harness.topicWindows().map((w) => w.start)).toEqual(['2025-11-26T09:01:00.000Z']);
    const lines = await harness.fileLines();
    expect(lines.map((line) => JSON.parse(line).subject)).toEqual([
      '2025-11-26T09:00:00.000Z',
      '2025-11-26T09:01:00.000Z',
    ]);
    const saved = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8'));
    expect(saved.pending).toEqual([]);
  });

  it('refuses to start on a state file it cannot read, rather than lose or double count', async () => {
    await writeFile(join(dir, STATE_FILE), '{"version":1,"windows":');
    await expect(harness.start()).rejects.toBeInstanceOf(StateFileError);
    await writeFile(join(dir, STATE_FILE), JSON.stringify({ version: 2 }));
    await expect(harness.start()).rejects.toThrow(/not an analytics state/);
  });

  it.each([
    ['ANALYTICS_OUT_OF_ORDERNESS_MS', '-1'],
    ['ANALYTICS_OUT_OF_ORDERNESS_MS', 'five seconds'],
    ['ANALYTICS_IDLE_TIMEOUT_MS', '0'],
    ['ANALYTICS_IDLE_TIMEOUT_MS', '2.5'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses %s=%s with a ConfigError naming it', async (variable, value) => {
    const bus = new LocalEventLog({ partitions: {}, logger: silent });
    const error = await start({ env: { DATA_DIR: dir, [variable]: value }, eventBus: bus }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual([variable]);
    await bus.close();
  });

  it('is ready while its bus answers, and not once stopping', async () => {
    await harness.start();
    const report = await harness.service.health.report();
    expect(report).toEqual({
      ready: true,
      checks: { 'event-bus': { ok: true }, state: { ok: true }, results: { ok: true } },
    });
    expect(harness.service).toMatchObject({ name: 'analytics', ports: {} });
    await harness.service.stop();
    expect((await harness.service.health.report()).ready).toBe(false);
  });
});
