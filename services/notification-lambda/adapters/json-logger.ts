import { activeTraceIds } from '../../../lib/runtime/trace-ids';
import type { LogFields, Logger } from '../domain/ports';

export interface JsonLoggerOptions {
  readonly service: string;
  /** @default - console.log, which Lambda ships to CloudWatch Logs */
  readonly write?: (line: string) => void;
  /** @default - the system clock */
  readonly now?: () => Date;
}

/**
 * One JSON object per line, so CloudWatch Logs Insights can query fields without parsing text; a line written inside
 * the invocation's span carries its trace_id and span_id.
 */
export const createJsonLogger = (options: JsonLoggerOptions): Logger => {
  const write = options.write ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => new Date());
  const log =
    (level: 'info' | 'warn' | 'error') =>
    (message: string, fields: LogFields = {}): void =>
      write(
        JSON.stringify({
          ...fields,
          ...activeTraceIds(),
          level,
          time: now().toISOString(),
          service: options.service,
          msg: message,
        }),
      );
  return { info: log('info'), warn: log('warn'), error: log('error') };
};
