import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Notification, Notifier } from '../domain/ports';

export interface JsonlFileNotifierOptions {
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default - a random UUID */
  readonly newMessageId?: () => string;
}

/**
 * Local mode's notifier: appends one JSON line per notification to a file (e.g. `.data/notifications.jsonl`),
 * so a developer or a test can read what would have been sent. Local data only: it holds the recipient.
 */
export class JsonlFileNotifier implements Notifier {
  private readonly now: () => Date;
  private readonly newMessageId: () => string;

  constructor(
    private readonly filePath: string,
    options: JsonlFileNotifierOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.newMessageId = options.newMessageId ?? randomUUID;
  }

  /** A notifier whose file exists from the start (empty when new, kept when not), so `tail -F` can follow it. */
  static async open(filePath: string, options: JsonlFileNotifierOptions = {}): Promise<JsonlFileNotifier> {
    await mkdir(dirname(filePath), { recursive: true });
    await appendFile(filePath, '', 'utf8');
    return new JsonlFileNotifier(filePath, options);
  }

  async send(notification: Notification): Promise<{ messageId: string }> {
    const messageId = this.newMessageId();
    const line = JSON.stringify({ messageId, sentAt: this.now().toISOString(), ...notification });
    // One append per notification keeps each line whole.
    await appendFile(this.filePath, `${line}\n`, 'utf8');
    return { messageId };
  }
}
