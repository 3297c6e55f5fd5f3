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
};

export type LocalNotificationConfig = z.infer<z.ZodObject<typeof localConfigShape>>;
