import { randomUUID } from 'node:crypto';
import { appendFile, type FileHandle, mkdir, open } from 'node:fs/promises';
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
    private handle?: FileHandle,
  ) {
    this.now = options.now ?? (() => new Date());
    this.newMessageId = options.newMessageId ?? randomUUID;
  }

  /**
   * A notifier whose file exists from the start (empty when new, kept when not), so `tail -F` can follow it, and
   * stays open in append mode: a send is one write, not an open, a write and a close. `close()` releases it.
   */
  static async open(filePath: string, options: JsonlFileNotifierOptions = {}): Promise<JsonlFileNotifier> {
    await mkdir(dirname(filePath), { recursive: true });
    return new JsonlFileNotifier(filePath, options, await open(filePath, 'a'));
  }

  async send(notification: Notification): Promise<{ messageId: string }> {
    const [sent] = await this.sendAll([notification]);
    if (!sent) throw new Error('the notification was not written');
    return sent;
  }

  /** One write for all of them, at the end of the file (O_APPEND), which keeps every line whole. */
  async sendAll(notifications: readonly Notification[]): Promise<readonly { messageId: string }[]> {
    const sentAt = this.now().toISOString();
    const sent = notifications.map((notification) => ({ messageId: this.newMessageId(), notification }));
    const lines = sent
      .map(({ messageId, notification }) => `${JSON.stringify({ messageId, sentAt, ...notification })}\n`)
      .join('');
    if (this.handle) await this.handle.appendFile(lines, 'utf8');
    else await appendFile(this.filePath, lines, 'utf8');
    return sent.map(({ messageId }) => ({ messageId }));
  }

  /** Closes the file; later sends open it per line. */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}
