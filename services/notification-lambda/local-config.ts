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
  /** Delivery records in this PostgreSQL (schema `notifications`); else the embedded one under DATA_DIR. */
  DATABASE_URL: env.postgresUrl(),
  /** Consume Kafka; else the local platform's shared event log, or one of this process. */
  KAFKA_BROKERS: env.kafkaBrokers(),
  /** Amazon MSK IAM authentication for this region. */
  KAFKA_MSK_IAM_REGION: env.awsRegion(),
};

export type LocalNotificationConfig = z.infer<z.ZodObject<typeof localConfigShape>>;
