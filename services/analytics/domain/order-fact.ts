import type { OrderEvent } from '../../../lib/events';
import type { OrderFact } from './windows';

/**
 * What analytics reads of an `order.created` event. Event time is the CloudEvent `time`: when order-service
 * recorded the order as created (confirmed) and wrote the event, stamped by the producer, never by the
 * consumer or the broker, so replays and redeliveries land in the same window. Sub-millisecond digits are
 * dropped (Flink's TIMESTAMP_LTZ(3) does the same).
 */
export const orderFactOf = (event: OrderEvent): OrderFact => ({
  eventId: event.id,
  eventTimeMs: Date.parse(event.time),
  userId: event.data.userId,
  amount: event.data.total.amount,
  currency: event.data.total.currency,
});
