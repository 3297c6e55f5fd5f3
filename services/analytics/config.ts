import { z } from 'zod';
import { shop } from '../../lib/platform';
import { env } from '../../lib/runtime/config';

export const SERVICE_NAME = 'analytics';
/** CloudEvents `source` of the windows this twin emits (the Flink job names itself). */
export const EVENT_SOURCE = '/services/analytics';
/** The job's windows in the catalog (lib/platform), the same as the Flink job's. */
const WINDOW = shop.streamWindow(SERVICE_NAME);
/** The design's 1-minute tumbling windows. */
export const WINDOW_MS = WINDOW.windowMs;

const integer = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: 'must be a whole number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(fallback);

export const configShape = {
  /** Folder of `analytics-state.json` and `analytics-results.jsonl`. */
  DATA_DIR: z.string().min(1).default('.data'),
  LOG_LEVEL: env.logLevel(),
  /** The watermark's bound: how far behind the newest event time an order may arrive and still count. */
  ANALYTICS_OUT_OF_ORDERNESS_MS: integer(0, 3_600_000, WINDOW.outOfOrdernessMs),
  /** Processing time without orders after which the watermark follows processing time. */
  ANALYTICS_IDLE_TIMEOUT_MS: integer(1, 3_600_000, WINDOW.idleTimeoutMs),
  /** Without KAFKA_BROKERS, the event log lives in this PostgreSQL (schema `events`), shared by the platform. */
  DATABASE_URL: env.postgresUrl(),
  /** With it the job consumes Kafka; without it the event log in DATABASE_URL's PostgreSQL. */
  KAFKA_BROKERS: env.kafkaBrokers(),
  /** Amazon MSK IAM authentication for this region. */
  KAFKA_MSK_IAM_REGION: env.awsRegion(),
};

export type AnalyticsConfig = z.infer<z.ZodObject<typeof configShape>>;

/** How often the idle timeout is checked: often enough to close a window soon after the timeout. */
export const tickIntervalMs = (idleTimeoutMs: number): number =>
  Math.min(1000, Math.max(10, Math.floor(idleTimeoutMs / 4)));
