import * as path from 'node:path';
import type { Registry } from 'prom-client';
import { shop, TOPIC_ANALYTICS_RESULTS, TOPIC_ORDERS } from '../../lib/platform';
import { ConfigError, loadConfig } from '../../lib/runtime/config';
import { type EventBus, openStandaloneEventBus, type Subscription } from '../../lib/runtime/events';
import { Health } from '../../lib/runtime/health';
import { createLogger, type Logger } from '../../lib/runtime/logger';
import { handleShutdown } from '../../lib/runtime/shutdown';
import { ResultsFile } from './adapters/results-file';
import { StateFile } from './adapters/state-file';
import { configShape, EVENT_SOURCE, SERVICE_NAME, tickIntervalMs, WINDOW_MS } from './config';
import { TumblingWindows } from './domain/windows';
import { AnalyticsJob, type Clock } from './job';
import { AnalyticsMetrics } from './metrics';

export type { Clock } from './job';

/** Files the job keeps under DATA_DIR. */
export const STATE_FILE = 'analytics-state.json';
export const RESULTS_FILE = 'analytics-results.jsonl';

export interface StartOptions {
  env: Record<string, string | undefined>;
  /** The bus carrying `orders` and `analytics-results` (the platform's LocalEventLog, or Kafka). Not closed by stop(). */
  eventBus: EventBus;
  logger?: Logger;
  /** Processing time, for the idle timeout. @default - the system clock */
  clock?: Clock;
}

export interface StartedService {
  name: string;
  /** None: the job only consumes and produces. */
  ports: Record<string, number>;
  health: Health;
  /** Reports not ready, stops consuming after the record in hand, stops the idle timer. */
  stop(): Promise<void>;
}

/** The service plus its metrics registry (analytics serves no port; the composer may expose it). */
export interface AnalyticsService extends StartedService {
  readonly metrics: Registry;
  /** The job's counters, for tests and tools. */
  readonly jobMetrics: AnalyticsMetrics;
}

const systemClock: Clock = { now: () => new Date() };

/**
 * Starts the analytics twin: restores its windows from `<DATA_DIR>/analytics-state.json`, emits windows a
 * previous run closed but did not confirm, then consumes `orders` (the catalog's group for analytics) and
 * emits each closed window to `analytics-results` and `<DATA_DIR>/analytics-results.jsonl`.
 */
export async function start(options: StartOptions): Promise<AnalyticsService> {
  const config = loadConfig(configShape, options.env);
  const logger = options.logger ?? createLogger({ service: SERVICE_NAME, level: config.LOG_LEVEL });
  const clock = options.clock ?? systemClock;
  const { eventBus } = options;
  const metrics = new AnalyticsMetrics(SERVICE_NAME);

  const stateFile = new StateFile(path.join(config.DATA_DIR, STATE_FILE));
  const saved = await stateFile.load();
  const results = await ResultsFile.open(path.join(config.DATA_DIR, RESULTS_FILE));
  const windows = new TumblingWindows(
    {
      windowMs: WINDOW_MS,
      outOfOrdernessMs: config.ANALYTICS_OUT_OF_ORDERNESS_MS,
      idleTimeoutMs: config.ANALYTICS_IDLE_TIMEOUT_MS,
    },
    clock.now().getTime(),
    saved?.windows,
  );
  const job = new AnalyticsJob({
    windows,
    pending: saved?.pending,
    stateFile,
    results,
    publish: (event) =>
      eventBus.publish(TOPIC_ANALYTICS_RESULTS, [
        {
          key: event.subject,
          value: JSON.stringify(event),
          headers: { 'ce-id': event.id, 'ce-type': event.type, 'content-type': 'application/cloudevents+json' },
        },
      ]),
    source: EVENT_SOURCE,
    clock,
    logger,
    metrics,
  });
  const health = new Health(logger)
    .add('event-bus', () => eventBus.ping())
    .add('state', job.stateHealth)
    .add('results', job.resultsHealth);

  // Windows closed before a restart but not confirmed emitted go out before anything new is read.
  await job.tick();
  const timer = setInterval(() => void job.tick(), tickIntervalMs(config.ANALYTICS_IDLE_TIMEOUT_MS));
  const groupId = shop.consumerGroup(SERVICE_NAME, TOPIC_ORDERS);
  let subscription: Subscription;
  try {
    subscription = await eventBus.subscribe({ topic: TOPIC_ORDERS, groupId, handle: job.handle });
  } catch (error) {
    clearInterval(timer);
    throw error;
  }
  logger.info(
    {
      topic: TOPIC_ORDERS,
      group: groupId,
      results: TOPIC_ANALYTICS_RESULTS,
      dataDir: config.DATA_DIR,
      restoredWindows: saved?.windows.windows.length ?? 0,
      outOfOrdernessMs: config.ANALYTICS_OUT_OF_ORDERNESS_MS,
      idleTimeoutMs: config.ANALYTICS_IDLE_TIMEOUT_MS,
    },
    'started',
  );

  let stopping: Promise<void> | undefined;
  return {
    name: SERVICE_NAME,
    ports: {},
    health,
    metrics: metrics.registry,
    jobMetrics: metrics,
    stop: () => {
      stopping ??= (async () => {
        health.drain();
        await subscription.stop();
        clearInterval(timer);
        await job.idle();
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}

async function main(): Promise<void> {
  let logger = createLogger({ service: SERVICE_NAME });
  try {
    const config = loadConfig(configShape, process.env);
    logger = createLogger({ service: SERVICE_NAME, level: config.LOG_LEVEL });
    const eventBus = await openStandaloneEventBus({
      service: SERVICE_NAME,
      brokers: config.KAFKA_BROKERS,
      mskIamRegion: config.KAFKA_MSK_IAM_REGION,
      dataDir: config.DATA_DIR,
      partitions: { [TOPIC_ORDERS]: shop.topic(TOPIC_ORDERS).partitions },
      logger,
    });
    const service = await start({ env: process.env, eventBus, logger });
    handleShutdown(logger, [
      { name: 'drain', run: async () => service.health.drain() },
      { name: 'stop consuming', run: () => service.stop() },
      { name: 'close event bus', run: () => eventBus.close() },
    ]);
  } catch (error) {
    if (error instanceof ConfigError) logger.fatal(error.message);
    else logger.fatal({ err: error }, 'start failed');
    process.exit(1);
  }
}

if (require.main === module) void main();
