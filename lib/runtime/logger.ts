import pino, { type Logger } from 'pino';
import { activeTraceIds } from './trace-ids';

export type { Logger } from 'pino';

/** Keys never written to a log, wherever they appear in a logged object. */
const REDACTED = [
  'password',
  '*.password',
  'passwordHash',
  '*.passwordHash',
  'password_hash',
  '*.password_hash',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'secret',
  '*.secret',
  'paymentToken',
  '*.paymentToken',
];

export interface LoggerOptions {
  readonly service: string;
  readonly level?: string;
  /** Where lines go. @default stdout */
  readonly destination?: pino.DestinationStream;
}

/**
 * One JSON logger per service; request loggers are children carrying the request id, and every line written inside
 * a span carries its trace_id and span_id.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      redact: { paths: REDACTED, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => activeTraceIds() ?? {},
    },
    // Synchronous to stdout: a line is in the pipe before the next statement runs, so the last lines of a process
    // that exits (a failed start, the end of a shutdown) are never lost behind a full pipe.
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
