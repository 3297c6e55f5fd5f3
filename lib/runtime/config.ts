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

/** A whole number in [min, max] written in decimal digits (no `1e3`, no `0x10`, no blanks, no sign). */
const wholeNumber = (
  min: number,
  max: number,
  fallback: number,
  message = `must be a whole number from ${min} to ${max}`,
) =>
  z
    .string()
    .regex(/^\d{1,9}$/, message)
    .transform(Number)
    .pipe(z.number().int().min(min, message).max(max, message))
    .default(fallback);

/** Reusable variable kinds. */
export const env = {
  /** A listening port; 0 binds an ephemeral one (tests, several services in one process). */
  port: (fallback: number) => wholeNumber(0, 65535, fallback, 'must be a port number from 0 to 65535'),
  /** A whole number in [min, max], e.g. a timeout in milliseconds or a count of retries. */
  integer: (min: number, max: number, fallback: number) => wholeNumber(min, max, fallback),
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
