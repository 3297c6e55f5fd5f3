import { z } from 'zod';
import { env } from '../../lib/runtime/config';

/**
 * What the local notifier reads from its environment (the Lambda's own `config.ts` is for AWS: SNS topic,
 * DynamoDB table). Parsed with the kit's `loadConfig`, so a bad value names the variable.
 */
export const localConfigShape = {
  /** Folder of local data; confirmations are appended to `<DATA_DIR>/notifications.jsonl`. */
  DATA_DIR: z.string().min(1).default('.data'),
  LOG_LEVEL: env.logLevel(),
  /** Only read when run directly: delivery records in this PostgreSQL (schema `notifications`), else in memory. */
  DATABASE_URL: env.postgresUrl(),
  /** Only read when run directly: consume Kafka, else a local event log of this process. */
  KAFKA_BROKERS: env.kafkaBrokers(),
  /** Only read when run directly: Amazon MSK IAM authentication for this region. */
  KAFKA_MSK_IAM_REGION: env.awsRegion(),
};

export type LocalNotificationConfig = z.infer<z.ZodObject<typeof localConfigShape>>;
