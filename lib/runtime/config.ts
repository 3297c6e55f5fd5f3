import { z } from 'zod';

/** A configuration value was missing or wrong; the message names every variable at fault. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses environment variables once, at start. The schema's keys are the variable names; a bad value
 * throws a ConfigError that names the variable, what it must be, and what it got (never a secret's value).
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined> = process.env,
  secrets: readonly (keyof S & string)[] = [],
): z.infer<z.ZodObject<S>> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    input[key] = value === '' ? undefined : value;
  }
  const result = z.object(shape).safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '?');
    const got = input[variable];
    const shown = secrets.includes(variable) ? '(hidden)' : JSON.stringify(got);
    return { variable, message: `${issue.message} (got ${got === undefined ? 'nothing' : shown})` };
  });
  throw new ConfigError(problems);
}

const HOST_PORT = '[A-Za-z0-9.-]+:\\d{1,5}';

/** Reusable variable kinds. */
export const env = {
  // 0 binds an ephemeral port (tests).
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  positiveInt: (fallback: number) => z.coerce.number().int().min(1).default(fallback),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  postgresUrl: () =>
    z
      .string()
      .regex(/^postgres(ql)?:\/\/[^\s]+$/, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  /** `host:port` of a peer service. */
  address: (fallback: string) =>
    z
      .string()
      .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port')
      .default(fallback),
  /** Comma-separated `host:port` list of Kafka brokers, parsed to an array; absent means no Kafka. */
  kafkaBrokers: () =>
    z
      .string()
      .regex(new RegExp(`^${HOST_PORT}(,${HOST_PORT})*$`), 'must be a comma-separated list of host:port')
      .transform((value) => value.split(','))
      .optional(),
  /** An AWS region, for Amazon MSK IAM authentication. */
  awsRegion: () =>
    z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region such as eu-west-1')
      .optional(),
  secret: (minLength: number) =>
    z.string({ error: 'is required' }).min(minLength, `must be at least ${minLength} characters`),
};
