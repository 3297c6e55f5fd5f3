import type { EventErrorCode } from '../../../lib/events';
import { type DeliveredMessage, defaultBackoff, PoisonMessageError } from '../../../lib/runtime/events';
import type { DeliveryRecords, Logger as DomainLogger, Notifier } from '../domain/ports';
import { type BatchRecord, processBatch, type RecordFailureCode } from '../domain/process-batch';
import { DEFAULT_LEASE_MS, LEASE_MARGIN_MS } from './msk';

/** A record the domain rejected as malformed can never succeed: the bus dead-letters it at once. */
const POISON_CODES: ReadonlySet<RecordFailureCode> = new Set<EventErrorCode>([
  'NOT_JSON',
  'UNKNOWN_EVENT_TYPE',
  'INVALID_EVENT',
]);

/** A record that may succeed later (store or notifier unavailable, a live claim elsewhere): the bus retries it. */
export class NotificationNotDeliveredError extends Error {
  override readonly name = 'NotificationNotDeliveredError';

  constructor(readonly code: RecordFailureCode) {
    super(`notification not delivered: ${code}`);
  }
}

/** How long a claim holds locally: the Lambda's lease without an invocation deadline, plus its margin. */
export const LOCAL_LEASE_MS = DEFAULT_LEASE_MS + LEASE_MARGIN_MS;

/**
 * Attempts whose backoff delays add up to more than `ms`. A process that crashed between claim and complete
 * leaves a claim that lapses only with its lease; retrying for longer than the lease lets the redelivered
 * record take it over instead of being dead-lettered while it is still live.
 */
export const attemptsSpanning = (ms: number, backoff: (attempt: number) => number = defaultBackoff): number => {
  let waited = 0;
  let attempts = 1;
  while (waited <= ms) {
    waited += backoff(attempts);
    attempts += 1;
  }
  return attempts;
};

export interface OrdersRecordHandlerDeps {
  readonly notifier: Notifier;
  readonly deliveryRecords: DeliveryRecords;
  readonly logger: DomainLogger;
  /** @default - the system clock */
  readonly now?: () => Date;
}

/**
 * The event-bus handler for one `orders` record: the Lambda's own `processBatch` on a batch of one, its
 * outcome turned into what the bus understands. Resolves when the event was notified or was a duplicate;
 * throws PoisonMessageError (dead-lettered at once) for a malformed record, and NotificationNotDeliveredError
 * (retried) for a failure that may pass.
 */
/**
 * The event-bus handler for the records of one fetch: the Lambda's `processBatch` over all of them (a store that
 * claims in batches touches the database twice for the batch), each record's work in its own context. Resolves
 * with the records not finished, which the bus hands to the record handler one by one (malformed ones are
 * dead-lettered there, the others retried).
 */
export const createOrdersBatchHandler = (deps: OrdersRecordHandlerDeps) => {
  const now = deps.now ?? (() => new Date());
  return async (messages: readonly DeliveredMessage[]): Promise<readonly DeliveredMessage[]> => {
    const records = messages.map((message) => ({
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      value: Buffer.from(message.value, 'utf8'),
      within: message.within,
      message,
    }));
    const leaseExpiresAt = new Date(now().getTime() + LOCAL_LEASE_MS);
    const { failures } = await processBatch(records, { ...deps, leaseExpiresAt });
    return failures.map((failure) => failure.record.message);
  };
};

export const createOrdersRecordHandler = (deps: OrdersRecordHandlerDeps) => {
  const now = deps.now ?? (() => new Date());
  return async (message: DeliveredMessage): Promise<void> => {
    const record: BatchRecord = {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      value: Buffer.from(message.value, 'utf8'),
    };
    const leaseExpiresAt = new Date(now().getTime() + LOCAL_LEASE_MS);
    const { failures } = await processBatch([record], { ...deps, leaseExpiresAt });
    const failure = failures[0];
    if (failure === undefined) return;
    if (POISON_CODES.has(failure.code)) {
      throw new PoisonMessageError(`order event rejected: ${failure.code}`, failure.code);
    }
    throw new NotificationNotDeliveredError(failure.code);
  };
};
