import type { Registry } from 'prom-client';
import { shop, TOPIC_ORDERS } from '../../lib/platform';
import { loadConfig } from '../../lib/runtime/config';
import { runService, type ServiceDefinition, type StartOptions, startService } from '../../lib/runtime/host';
import { resultsTopicPublisher } from './adapters/results-topic';
import { type AnalyticsConfig, configShape, EVENT_SOURCE, SERVICE_NAME, tickIntervalMs, WINDOW_MS } from './config';
import { type Clock, restoreAnalyticsJob } from './job';
import { AnalyticsMetrics } from './metrics';

export { type Clock, RESULTS_FILE, STATE_FILE } from './job';

/** `clock`: processing time, for the idle timeout (default: the system clock). */
export type AnalyticsOptions = { readonly clock: Clock };
/** The job's registry (analytics serves no port; the composer may expose it) and its counters. */
export type AnalyticsExtras = { readonly metrics: Registry; readonly jobMetrics: AnalyticsMetrics };

/**
 * The analytics twin: restores its windows from `<DATA_DIR>/analytics-state.json`, emits windows a previous run
 * closed but did not confirm, then consumes `orders` and emits each closed window to `analytics-results` and
 * `<DATA_DIR>/analytics-results.jsonl`.
 */
export const analytics: ServiceDefinition<AnalyticsConfig, AnalyticsOptions, AnalyticsExtras> = {
  name: SERVICE_NAME,
  config: (env) => loadConfig(configShape, env, ['DATABASE_URL']),
  eventBus: true,
  build: async ({ config, bus, logger, health, options, onStop }) => {
    const metrics = new AnalyticsMetrics(SERVICE_NAME);
    const job = await restoreAnalyticsJob({
      dataDir: config.DATA_DIR,
      windows: {
        windowMs: WINDOW_MS,
        outOfOrdernessMs: config.ANALYTICS_OUT_OF_ORDERNESS_MS,
        idleTimeoutMs: config.ANALYTICS_IDLE_TIMEOUT_MS,
      },
      publish: resultsTopicPublisher(bus),
      source: EVENT_SOURCE,
      clock: options.clock ?? { now: () => new Date() },
      logger,
      metrics,
    });
    health.add('state', job.stateHealth).add('results', job.resultsHealth);
    // Windows closed before a restart but not confirmed emitted go out before anything new is read.
    await job.tick();
    onStop(
      'stop the window timer after the work in hand',
      job.tickEvery(tickIntervalMs(config.ANALYTICS_IDLE_TIMEOUT_MS)),
    );
    const groupId = shop.consumerGroup(SERVICE_NAME, TOPIC_ORDERS);
    const subscription = await bus.subscribe({
      topic: TOPIC_ORDERS,
      groupId,
      handle: job.handle,
      handleBatch: job.handleBatch,
    });
    onStop('stop consuming', () => subscription.stop());
    return { metrics: metrics.registry, jobMetrics: metrics };
  },
};

export const start = (options: StartOptions<AnalyticsOptions>) => startService(analytics, options);
export type AnalyticsService = Awaited<ReturnType<typeof start>>;

if (require.main === module) runService(analytics);
