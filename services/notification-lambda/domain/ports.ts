/** What the customer is told, and the one piece of PII needed to tell them: `recipient`. */
export interface Notification {
  readonly eventId: string;
  readonly eventType: string;
  readonly orderId: string;
  readonly recipient: string;
  readonly subject: string;
  readonly body: string;
}

export interface Notifier {
  /** Hands the notification to the channel; throws when it was not accepted (throttled, unavailable). */
  send(notification: Notification): Promise<{ messageId: string }>;
  /**
   * Hands several to the channel at once, all or none: the message ids in order, or a throw when none was
   * accepted. @default - `send` for each
   */
  sendAll?(notifications: readonly Notification[]): Promise<readonly { messageId: string }[]>;
}

/**
 * - `claimed`: this caller now holds the right to notify, until the lease it asked for expires.
 * - `completed`: a notification for this event was already sent; do nothing.
 * - `in-progress`: another caller holds an unexpired lease; try again later.
 */
export type ClaimOutcome = 'claimed' | 'completed' | 'in-progress';

/**
 * Delivery records make notifying idempotent per event id: claim, send, then complete (or release on a
 * failed send so a retry can claim again). A crashed holder's claim lapses when its lease expires.
 */
export interface DeliveryRecords {
  /** Atomic: of two concurrent claims for one event id, at most one is `claimed`. */
  claim(eventId: string, leaseExpiresAt: Date): Promise<ClaimOutcome>;
  complete(eventId: string, messageId: string): Promise<void>;
  /** Gives an unfinished claim back; never removes a completed record. */
  release(eventId: string): Promise<void>;
}

/** Delivery records that claim and complete many event ids in one round trip each (a batch costs two). */
export interface BatchDeliveryRecords extends DeliveryRecords {
  /** `claim` for each distinct id, atomically per id; the outcome of every id asked for. */
  claimAll(eventIds: readonly string[], leaseExpiresAt: Date): Promise<ReadonlyMap<string, ClaimOutcome>>;
  /** `complete` for each entry. */
  completeAll(sent: readonly { readonly eventId: string; readonly messageId: string }[]): Promise<void>;
}

export const claimsInBatches = (records: DeliveryRecords): records is BatchDeliveryRecords =>
  typeof (records as Partial<BatchDeliveryRecords>).claimAll === 'function' &&
  typeof (records as Partial<BatchDeliveryRecords>).completeAll === 'function';

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}
