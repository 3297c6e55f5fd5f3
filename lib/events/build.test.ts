import { buildOrderCreated, InvalidEventError, type OrderCreatedData, parseOrderEvent } from './index';

const data: OrderCreatedData = {
  orderId: 'ord_1',
  userId: 'usr_1',
  userEmail: 'ada@example.com',
  items: [{ productId: 'p-1', quantity: 2, unitPrice: { amount: 250, currency: 'EUR' } }],
  total: { amount: 500, currency: 'EUR' },
  createdAt: '2025-11-26T09:00:00.000Z',
};

const buildError = (build: () => unknown): InvalidEventError => {
  try {
    build();
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
  throw new Error('expected buildOrderCreated to throw');
};

describe('buildOrderCreated', () => {
  it('builds a CloudEvents envelope that consumers accept', () => {
    const event = buildOrderCreated({
      id: 'evt-1',
      source: '/services/order-service',
      data,
      time: new Date('2025-11-26T09:00:01.000Z'),
    });
    expect(event).toEqual({
      specversion: '1.0',
      id: 'evt-1',
      source: '/services/order-service',
      type: 'com.shopfront.order.created.v1',
      time: '2025-11-26T09:00:01.000Z',
      subject: 'ord_1',
      datacontenttype: 'application/json',
      data,
    });
    expect(parseOrderEvent(JSON.stringify(event))).toEqual({ ok: true, event });
  });

  it('stamps the current time when none is given', () => {
    const before = Date.now();
    const event = buildOrderCreated({ id: 'evt-1', source: '/services/order-service', data });
    expect(Date.parse(event.time)).toBeGreaterThanOrEqual(before);
  });

  it('throws a typed error naming the field of a float amount', () => {
    const error = buildError(() =>
      buildOrderCreated({ id: 'evt-1', source: '/s', data: { ...data, total: { amount: 5.5, currency: 'EUR' } } }),
    );
    expect(error).toMatchObject({ code: 'INVALID_EVENT', field: 'data.total.amount' });
  });

  it('throws on a negative quantity', () => {
    const items = [{ productId: 'p-1', quantity: -2, unitPrice: { amount: 250, currency: 'EUR' } }];
    const error = buildError(() => buildOrderCreated({ id: 'evt-1', source: '/s', data: { ...data, items } }));
    expect(error).toMatchObject({ code: 'INVALID_EVENT', field: 'data.items.0.quantity' });
  });

  it('throws on an empty event id, the consumers’ dedup key', () => {
    expect(buildError(() => buildOrderCreated({ id: ' ', source: '/s', data }))).toMatchObject({ field: 'id' });
  });

  it('throws on an invalid time instead of a RangeError', () => {
    const error = buildError(() => buildOrderCreated({ id: 'evt-1', source: '/s', data, time: new Date('nope') }));
    expect(error).toMatchObject({ code: 'INVALID_EVENT', field: 'time' });
  });
});
