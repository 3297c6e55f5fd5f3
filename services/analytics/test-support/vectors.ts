import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CLOUDEVENTS_SPEC_VERSION, JSON_CONTENT_TYPE, ORDER_CREATED_V1 } from '../../../lib/events';
import type { WindowResult } from '../domain/windows';

export const VECTORS_DIR = join(__dirname, '..', 'vectors');

const compactEventSchema = z.strictObject({
  id: z.string().min(1),
  time: z.string().min(1),
  userId: z.string().min(1),
  amount: z.int().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/),
});

/** A full CloudEvent is checked by parseOrderEvent where it is used; here only its marker. */
const fullEventSchema = z.looseObject({ specversion: z.string() });

const expectedWindowSchema = z.strictObject({
  start: z.iso.datetime(),
  end: z.iso.datetime(),
  orderCount: z.int().positive(),
  revenue: z.record(z.string().regex(/^[A-Z]{3}$/), z.int().nonnegative()),
  uniqueUsers: z.int().positive(),
});

const vectorSchema = z.strictObject({
  description: z.string().min(1),
  config: z.strictObject({ windowMs: z.int().positive(), outOfOrdernessMs: z.int().nonnegative() }),
  events: z.array(z.union([fullEventSchema, compactEventSchema])),
  expected: z.array(expectedWindowSchema),
  lateEvents: z.int().nonnegative().optional(),
  duplicateEvents: z.int().nonnegative().optional(),
});

export type Vector = z.infer<typeof vectorSchema> & { readonly file: string };
export type CompactEvent = z.infer<typeof compactEventSchema>;
export type ExpectedWindow = z.infer<typeof expectedWindowSchema>;

/** Every vector file, validated (a typo in a vector fails loudly instead of testing nothing). */
export const loadVectors = (): Vector[] =>
  readdirSync(VECTORS_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = vectorSchema.safeParse(JSON.parse(readFileSync(join(VECTORS_DIR, file), 'utf8')));
      if (!parsed.success) throw new Error(`vector ${file}: ${z.prettifyError(parsed.error)}`);
      return { ...parsed.data, file };
    });

/** The full order.created CloudEvent a vector event stands for (see vectors/README.md). */
export const expandEvent = (event: Vector['events'][number]): Record<string, unknown> => {
  if ('specversion' in event) return event;
  const compact = event as CompactEvent;
  const orderId = `ord_${compact.id}`;
  const money = { amount: compact.amount, currency: compact.currency };
  return {
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: compact.id,
    source: '/services/order-service',
    type: ORDER_CREATED_V1,
    time: compact.time,
    subject: orderId,
    datacontenttype: JSON_CONTENT_TYPE,
    data: {
      orderId,
      userId: compact.userId,
      userEmail: 'customer@example.com',
      items: [{ productId: 'p-1', quantity: 1, unitPrice: money }],
      total: money,
      createdAt: compact.time,
    },
  };
};

/** A window result in the vectors' shape, for comparison with `expected`. */
export const asExpected = (window: WindowResult): ExpectedWindow => ({
  start: new Date(window.startMs).toISOString(),
  end: new Date(window.endMs).toISOString(),
  orderCount: window.orderCount,
  revenue: { ...window.revenue },
  uniqueUsers: window.uniqueUsers,
});
