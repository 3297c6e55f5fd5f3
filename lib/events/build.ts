import { fromZodError, InvalidEventError } from './errors';
import {
  CLOUDEVENTS_SPEC_VERSION,
  JSON_CONTENT_TYPE,
  ORDER_CREATED_V1,
  type OrderCreatedData,
  type OrderCreatedEvent,
  orderCreatedEventSchema,
} from './order-created';

export interface OrderCreatedInput {
  /**
   * Event id, the consumers' deduplication key. Required, not generated: it must stay the same when the
   * producer publishes the same fact again (use the outbox row id), or a retry would notify twice.
   */
  readonly id: string;
  /** Producer, as a URI reference, e.g. `/services/order-service`. */
  readonly source: string;
  readonly data: OrderCreatedData;
  /** When the event happened. @default - now */
  readonly time?: Date;
}

/**
 * Builds an `order.created` v1 event and validates it before it leaves the producer.
 * @throws InvalidEventError naming the first bad field
 */
export const buildOrderCreated = (input: OrderCreatedInput): OrderCreatedEvent => {
  const time = input.time ?? new Date();
  if (Number.isNaN(time.getTime())) {
    throw new InvalidEventError({ code: 'INVALID_EVENT', message: 'time: must be a valid date', field: 'time' });
  }
  const candidate = {
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: input.id,
    source: input.source,
    type: ORDER_CREATED_V1,
    time: time.toISOString(),
    subject: input.data.orderId,
    datacontenttype: JSON_CONTENT_TYPE,
    data: input.data,
  };
  const parsed = orderCreatedEventSchema.safeParse(candidate);
  if (!parsed.success) {
    throw new InvalidEventError(fromZodError(parsed.error));
  }
  return parsed.data;
};
