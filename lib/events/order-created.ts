import { z } from 'zod';
import { moneySchema } from './money';

/** CloudEvents `type` of the order-created event; the trailing `.vN` is the schema version. */
export const ORDER_CREATED_V1 = 'com.shopfront.order.created.v1';

/** Every event type this library can parse. A type outside this list is rejected as UNKNOWN_EVENT_TYPE. */
export const KNOWN_EVENT_TYPES: readonly string[] = [ORDER_CREATED_V1];

export const CLOUDEVENTS_SPEC_VERSION = '1.0';
export const JSON_CONTENT_TYPE = 'application/json';

const nonEmpty = z.string().trim().min(1, 'must not be empty');
/** RFC 3339: a date-time with `Z` or an explicit offset; local times are ambiguous and rejected. */
const rfc3339 = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time with a time zone' });

export const orderItemSchema = z.object({
  productId: nonEmpty,
  quantity: z.int('must be an integer').positive('must be at least 1'),
  unitPrice: moneySchema,
});

export const orderCreatedDataSchema = z
  .object({
    orderId: nonEmpty,
    userId: nonEmpty,
    userEmail: z.email('must be an e-mail address'),
    items: z.array(orderItemSchema).min(1, 'an order has at least one item'),
    total: moneySchema,
    createdAt: rfc3339,
  })
  .superRefine((data, ctx) => {
    // One order, one currency: a consumer formatting the total must not mix units.
    data.items.forEach((item, index) => {
      if (item.unitPrice.currency !== data.total.currency) {
        ctx.addIssue({
          code: 'custom',
          path: ['items', index, 'unitPrice', 'currency'],
          message: `must equal the total's currency ${data.total.currency}`,
        });
      }
    });
  });

/** CloudEvents 1.0, structured JSON mode. Unknown attributes (extensions, new optional fields) are ignored. */
export const orderCreatedEventSchema = z
  .object({
    specversion: z.literal(CLOUDEVENTS_SPEC_VERSION),
    id: nonEmpty,
    source: nonEmpty,
    type: z.literal(ORDER_CREATED_V1),
    time: rfc3339,
    subject: nonEmpty,
    datacontenttype: z.literal(JSON_CONTENT_TYPE),
    data: orderCreatedDataSchema,
  })
  .superRefine((event, ctx) => {
    if (event.subject !== event.data.orderId) {
      ctx.addIssue({ code: 'custom', path: ['subject'], message: 'must equal data.orderId' });
    }
  });

export type OrderItem = z.infer<typeof orderItemSchema>;
export type OrderCreatedData = z.infer<typeof orderCreatedDataSchema>;
export type OrderCreatedEvent = z.infer<typeof orderCreatedEventSchema>;
/** Every event `parseOrderEvent` can return; a v2 joins this union beside v1. */
export type OrderEvent = OrderCreatedEvent;
