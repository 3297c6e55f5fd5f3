import { parseOrderEvent } from '../../../lib/events';
import { readExampleEvent } from '../../../lib/events/test-fixtures';
import { orderConfirmation } from './notification';

const exampleEvent = (name: string) => {
  const result = parseOrderEvent(readExampleEvent(name));
  if (!result.ok) throw new Error(result.error.message);
  return result.event;
};

describe('orderConfirmation', () => {
  it('tells the order id and the total formatted from minor units', () => {
    expect(orderConfirmation(exampleEvent('order-created.v1.json'))).toEqual({
      eventId: '0c6f7d2e-9a51-4c1b-8f3e-2d4b6a8c1e01',
      eventType: 'com.shopfront.order.created.v1',
      orderId: 'ord_8J2K4M',
      recipient: 'ada@example.com',
      subject: 'Order confirmation',
      body: 'Thank you for your order ord_8J2K4M. Total: €74.48.',
    });
  });

  it('formats a zero-decimal currency without inventing cents', () => {
    expect(orderConfirmation(exampleEvent('order-created.v1.zero-decimal-currency.json')).body).toContain(
      'Total: ¥3,600.',
    );
  });

  it('carries no user id and no product data', () => {
    const text = JSON.stringify(orderConfirmation(exampleEvent('order-created.v1.json')));
    expect(text).not.toContain('usr_51QX');
    expect(text).not.toContain('OLJCESPC7Z');
  });
});
