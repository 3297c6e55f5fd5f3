import type { OrderEvent } from '../../../lib/events';
import { type EventErrorCode, parseOrderEvent } from '../../../lib/events';
import { orderConfirmation } from './notification';
import {
  type BatchDeliveryRecords,
  type ClaimOutcome,
  claimsInBatches,
  type DeliveryRecords,
  type LogFields,
  type Logger,
  type Notifier,
} from './ports';

/** A record's position in the log plus its raw value; the transport may extend it. */
export interface BatchRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: Buffer;
  /** Runs the record's own work (sending, its log lines) in the record's context, e.g. its trace. */
  readonly within?: <T>(work: () => T) => T;
}

export type RecordFailureCode =
  | EventErrorCode
  /** Another invocation holds an unexpired claim on this event id. */
  | 'DELIVERY_IN_PROGRESS'
  /** The delivery record store did not answer the claim. */
  | 'DELIVERY_STORE_FAILED'
  /** The notifier did not accept the notification (throttled, unavailable). */
  | 'NOTIFY_FAILED';

export interface RecordFailure<R extends BatchRecord> {
  readonly record: R;
  readonly code: RecordFailureCode;
}

export interface BatchSummary<R extends BatchRecord> {
  readonly sent: number;
  readonly duplicates: number;
  readonly failures: readonly RecordFailure<R>[];
}

export interface ProcessBatchDeps {
  readonly notifier: Notifier;
  readonly deliveryRecords: DeliveryRecords;
  readonly logger: Logger;
  /** How long a claim taken in this batch holds: past the moment this invocation can still be running. */
  readonly leaseExpiresAt: Date;
}

type Outcome = { kind: 'sent' } | { kind: 'duplicate' } | { kind: 'failed'; code: RecordFailureCode };

const positionOf = (record: BatchRecord): LogFields => ({
  topic: record.topic,
  partition: record.partition,
  offset: record.offset,
});

const errorFields = (error: unknown): LogFields =>
  error instanceof Error ? { error: error.name, reason: error.message } : { error: String(error) };

const processRecord = async (record: BatchRecord, deps: ProcessBatchDeps): Promise<Outcome> => {
  const { notifier, deliveryRecords, logger } = deps;
  const position = positionOf(record);

  const parsed = parseOrderEvent(record.value);
  if (!parsed.ok) {
    // Code and field only: the message may echo producer input, and the payload holds an e-mail address.
    logger.warn('record rejected', { ...position, code: parsed.error.code, field: parsed.error.field });
    return { kind: 'failed', code: parsed.error.code };
  }
  const event = parsed.event;
  const ids: LogFields = { ...position, eventId: event.id, orderId: event.data.orderId };

  let claim: ClaimOutcome;
  try {
    claim = await deliveryRecords.claim(event.id, deps.leaseExpiresAt);
  } catch (error) {
    logger.error('delivery record claim failed', { ...ids, code: 'DELIVERY_STORE_FAILED', ...errorFields(error) });
    return { kind: 'failed', code: 'DELIVERY_STORE_FAILED' };
  }
  if (claim === 'completed') {
    logger.info('duplicate event skipped', ids);
    return { kind: 'duplicate' };
  }
  if (claim === 'in-progress') {
    logger.warn('event claimed by another invocation', { ...ids, code: 'DELIVERY_IN_PROGRESS' });
    return { kind: 'failed', code: 'DELIVERY_IN_PROGRESS' };
  }

  let messageId: string;
  try {
    ({ messageId } = await notifier.send(orderConfirmation(event)));
  } catch (error) {
    logger.warn('notification not sent', { ...ids, code: 'NOTIFY_FAILED', ...errorFields(error) });
    try {
      await deliveryRecords.release(event.id);
    } catch (releaseError) {
      // The claim then lapses with its lease; the retry waits for that instead of failing forever.
      logger.error('delivery record release failed', { ...ids, ...errorFields(releaseError) });
    }
    return { kind: 'failed', code: 'NOTIFY_FAILED' };
  }

  try {
    await deliveryRecords.complete(event.id, messageId);
  } catch (error) {
    // The customer has been notified. Reporting a failure would retry the record and, once the lease
    // lapses, notify again; so acknowledge it and leave the trace for an operator.
    logger.error('delivery record not completed after send', { ...ids, messageId, ...errorFields(error) });
  }
  logger.info('notification sent', { ...ids, messageId });
  return { kind: 'sent' };
};

/**
 * Sends one confirmation per order event in the batch, at most once per event id across redeliveries.
 * Every record is attempted, in order; a bad or failed record never stops the good ones after it, and
 * is returned in `failures` for the transport to report. Never throws for a single record's fault.
 */
export const processBatch = async <R extends BatchRecord>(
  records: readonly R[],
  deps: ProcessBatchDeps,
): Promise<BatchSummary<R>> => {
  if (records.length > 1 && claimsInBatches(deps.deliveryRecords)) {
    return processInPhases(records, { ...deps, deliveryRecords: deps.deliveryRecords });
  }
  let sent = 0;
  let duplicates = 0;
  const failures: RecordFailure<R>[] = [];
  for (const record of records) {
    const outcome = await within(record, () => processRecord(record, deps));
    if (outcome.kind === 'sent') sent += 1;
    else if (outcome.kind === 'duplicate') duplicates += 1;
    else failures.push({ record, code: outcome.code });
  }
  return { sent, duplicates, failures };
};

const within = <T>(record: BatchRecord, work: () => T): T => (record.within ? record.within(work) : work());

/**
 * The same outcomes as one record at a time, with the store touched twice per batch: every event id claimed in
 * one round trip, each claimed one sent (in order, released when its send fails), every sent one completed in
 * one round trip. An event id that occurs twice in the batch is sent at most once: the later occurrence shares the
 * first one's outcome, a send counting as `duplicate` for it.
 */
const processInPhases = async <R extends BatchRecord>(
  records: readonly R[],
  deps: ProcessBatchDeps & { readonly deliveryRecords: BatchDeliveryRecords },
): Promise<BatchSummary<R>> => {
  const { notifier, deliveryRecords, logger } = deps;
  const outcomes = new Map<R, Outcome>();
  const firstOf = new Map<string, { record: R; event: OrderEvent }>();
  const laterOf = new Map<R, R>();
  for (const record of records) {
    const parsed = parseOrderEvent(record.value);
    if (!parsed.ok) {
      within(record, () =>
        logger.warn('record rejected', { ...positionOf(record), code: parsed.error.code, field: parsed.error.field }),
      );
      outcomes.set(record, { kind: 'failed', code: parsed.error.code });
      continue;
    }
    const first = firstOf.get(parsed.event.id);
    if (first) laterOf.set(record, first.record);
    else firstOf.set(parsed.event.id, { record, event: parsed.event });
  }
  const idsOf = (record: R, event: OrderEvent): LogFields => ({
    ...positionOf(record),
    eventId: event.id,
    orderId: event.data.orderId,
  });

  let claims: ReadonlyMap<string, ClaimOutcome> | undefined;
  try {
    claims = firstOf.size > 0 ? await deliveryRecords.claimAll([...firstOf.keys()], deps.leaseExpiresAt) : new Map();
  } catch (error) {
    for (const { record, event } of firstOf.values()) {
      within(record, () =>
        logger.error('delivery record claim failed', {
          ...idsOf(record, event),
          code: 'DELIVERY_STORE_FAILED',
          ...errorFields(error),
        }),
      );
      outcomes.set(record, { kind: 'failed', code: 'DELIVERY_STORE_FAILED' });
    }
  }

  const sentNow: { record: R; event: OrderEvent; messageId: string }[] = [];
  const toSend: { record: R; event: OrderEvent; ids: LogFields }[] = [];
  for (const { record, event } of claims ? firstOf.values() : []) {
    const ids = idsOf(record, event);
    const claim = claims?.get(event.id) ?? 'in-progress';
    if (claim === 'completed') {
      within(record, () => logger.info('duplicate event skipped', ids));
      outcomes.set(record, { kind: 'duplicate' });
    } else if (claim === 'in-progress') {
      within(record, () =>
        logger.warn('event claimed by another invocation', { ...ids, code: 'DELIVERY_IN_PROGRESS' }),
      );
      outcomes.set(record, { kind: 'failed', code: 'DELIVERY_IN_PROGRESS' });
    } else {
      toSend.push({ record, event, ids });
    }
  }
  const notSent = async ({ record, event, ids }: (typeof toSend)[number], error: unknown) => {
    within(record, () =>
      logger.warn('notification not sent', { ...ids, code: 'NOTIFY_FAILED', ...errorFields(error) }),
    );
    try {
      await deliveryRecords.release(event.id);
    } catch (releaseError) {
      // The claim then lapses with its lease; the retry waits for that instead of failing forever.
      logger.error('delivery record release failed', { ...ids, ...errorFields(releaseError) });
    }
    outcomes.set(record, { kind: 'failed', code: 'NOTIFY_FAILED' });
  };
  if (notifier.sendAll && toSend.length > 1) {
    // All or none: one hand-over for the batch.
    try {
      const accepted = await notifier.sendAll(toSend.map(({ event }) => orderConfirmation(event)));
      if (accepted.length !== toSend.length) {
        throw new Error(`the notifier accepted ${accepted.length} of ${toSend.length} notifications`);
      }
      toSend.forEach(({ record, event }, i) => {
        sentNow.push({ record, event, messageId: accepted[i]?.messageId ?? '' });
        outcomes.set(record, { kind: 'sent' });
      });
    } catch (error) {
      for (const one of toSend) await notSent(one, error);
    }
  } else {
    for (const one of toSend) {
      try {
        const { messageId } = await within(one.record, () => notifier.send(orderConfirmation(one.event)));
        sentNow.push({ record: one.record, event: one.event, messageId });
        outcomes.set(one.record, { kind: 'sent' });
      } catch (error) {
        await notSent(one, error);
      }
    }
  }

  if (sentNow.length > 0) {
    let completeError: unknown;
    try {
      await deliveryRecords.completeAll(sentNow.map(({ event, messageId }) => ({ eventId: event.id, messageId })));
    } catch (error) {
      completeError = error;
    }
    for (const { record, event, messageId } of sentNow) {
      const ids = idsOf(record, event);
      within(record, () => {
        // The customers have been notified. Reporting failures would retry the records and, once the leases
        // lapse, notify again; so acknowledge them and leave the trace for an operator.
        if (completeError !== undefined) {
          logger.error('delivery record not completed after send', {
            ...ids,
            messageId,
            ...errorFields(completeError),
          });
        }
        logger.info('notification sent', { ...ids, messageId });
      });
    }
  }

  let sent = 0;
  let duplicates = 0;
  const failures: RecordFailure<R>[] = [];
  for (const record of records) {
    const first = laterOf.get(record);
    let outcome = outcomes.get(first ?? record) ?? { kind: 'failed', code: 'DELIVERY_STORE_FAILED' };
    if (first && outcome.kind === 'sent') outcome = { kind: 'duplicate' };
    if (outcome.kind === 'sent') sent += 1;
    else if (outcome.kind === 'duplicate') duplicates += 1;
    else failures.push({ record, code: outcome.code });
  }
  return { sent, duplicates, failures };
};
