import { formatMoney, type OrderEvent } from '../../../lib/events';
import type { Notification } from './ports';

export const CONFIRMATION_SUBJECT = 'Order confirmation';

/**
 * The confirmation for an order event. Deliberately carries no user id, items or names: the order id and
 * total are what the customer needs, and the e-mail address (`recipient`) is what the channel needs.
 */
export const orderConfirmation = (event: OrderEvent): Notification => ({
  eventId: event.id,
  eventType: event.type,
  orderId: event.data.orderId,
  recipient: event.data.userEmail,
  subject: CONFIRMATION_SUBJECT,
  body: `Thank you for your order ${event.data.orderId}. Total: ${formatMoney(event.data.total)}.`,
});
