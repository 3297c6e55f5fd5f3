import type { LogFields, Logger, Notification, Notifier } from '../domain/ports';

/** A notifier that records what it was asked to send, and can be told to fail for chosen event ids. */
export class RecordingNotifier implements Notifier {
  readonly sent: Notification[] = [];
  readonly failFor = new Set<string>();

  async send(notification: Notification): Promise<{ messageId: string }> {
    if (this.failFor.has(notification.eventId)) {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' });
    }
    this.sent.push(notification);
    return { messageId: `msg-${this.sent.length}` };
  }
}

export interface LogLine extends Record<string, unknown> {
  readonly level: string;
  readonly msg: string;
}

/** A logger keeping each line as the JSON logger would write it, to assert on what reaches the logs. */
export class CapturingLogger implements Logger {
  readonly lines: LogLine[] = [];
  readonly info = (msg: string, fields?: LogFields) => this.push('info', msg, fields);
  readonly warn = (msg: string, fields?: LogFields) => this.push('warn', msg, fields);
  readonly error = (msg: string, fields?: LogFields) => this.push('error', msg, fields);

  /** Everything logged, as one string, for "never contains" assertions. */
  text(): string {
    return this.lines.map((line) => JSON.stringify(line)).join('\n');
  }

  private push(level: string, msg: string, fields: LogFields = {}): void {
    this.lines.push(JSON.parse(JSON.stringify({ ...fields, level, msg })) as LogLine);
  }
}
