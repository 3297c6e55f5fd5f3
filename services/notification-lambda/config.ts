import { z } from 'zod';

export interface NotificationConfig {
  /** SNS topic the confirmations are published to. */
  readonly notificationTopicArn: string;
  /** DynamoDB table of delivery records (partition key `eventId`, TTL attribute `expiresAt`). */
  readonly deliveryTableName: string;
  /** Days a delivery record is kept; must outlast the `orders` topic's retention. */
  readonly deliveryRecordTtlDays: number;
}

/** A bad environment. `variable` names the first variable at fault; the message names all of them. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    message: string,
    readonly variable: string,
  ) {
    super(message);
  }
}

const required = z.string({ error: 'is required' }).trim().min(1, 'is required');

/** The variables the Lambda reads on AWS (set by infra/aws from the stack's resources). */
export const lambdaEnvSchema = z.object({
  NOTIFICATION_TOPIC_ARN: required.regex(
    /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
    'must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)',
  ),
  DELIVERY_TABLE_NAME: required.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'),
  DELIVERY_RECORD_TTL_DAYS: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.coerce
      .number({ error: 'must be a whole number of days' })
      .int('must be a whole number of days')
      .min(1, 'must be at least 1 day')
      .max(3650, 'must be at most 3650 days')
      .default(30),
  ),
});

/** Reads and validates the environment once, at cold start; throws ConfigError naming the variable. */
export const loadConfig = (env: NodeJS.ProcessEnv): NotificationConfig => {
  const parsed = lambdaEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '');
      const got = env[variable];
      return { variable, text: `${variable} ${issue.message}${got === undefined ? '' : `, got '${got}'`}` };
    });
    const first = problems[0]?.variable ?? '';
    throw new ConfigError(`notification-lambda: invalid environment: ${problems.map((p) => p.text).join('; ')}`, first);
  }
  return {
    notificationTopicArn: parsed.data.NOTIFICATION_TOPIC_ARN,
    deliveryTableName: parsed.data.DELIVERY_TABLE_NAME,
    deliveryRecordTtlDays: parsed.data.DELIVERY_RECORD_TTL_DAYS,
  };
};
