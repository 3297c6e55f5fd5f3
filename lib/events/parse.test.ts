import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORDER_CREATED_V1, type ParseOrderEventResult, parseOrderEvent } from './index';
import { exampleEventFiles, exampleEventObject, readExampleEvent } from './test-fixtures';

type Json = Record<string, unknown>;

const errorOf = (result: ParseOrderEventResult) => {
  if (result.ok) {
    throw new Error('expected the event to be rejected');
  }
  return result.error;
};

/** Applies `change` to the `data` object of the reference example. */
const withData = (change: (data: Json) => void): Json => {
  const event = exampleEventObject();
  change(event.data as Json);
  return event;
};

describe('parseOrderEvent: valid events', () => {
  it.each(exampleEventFiles())('accepts example %s from a string and from a Buffer', (name) => {
    const text = readExampleEvent(name);
    for (const raw of [text, Buffer.from(text, 'utf8')]) {
      const result = parseOrderEvent(raw);
      expect(result.ok).toBe(true);
    }
  });

  it('returns the typed event with integer money untouched', () => {
    const result = parseOrderEvent(readExampleEvent('order-created.v1.json'));
    if (!result.ok) throw new Error(result.error.message);
    expect(result.event.type).toBe(ORDER_CREATED_V1);
    expect(result.event.id).toBe('0c6f7d2e-9a51-4c1b-8f3e-2d4b6a8c1e01');
    expect(result.event.data.total).toEqual({ amount: 7448, currency: 'EUR' });
    expect(result.event.data.items[0]?.quantity).toBe(2);
  });

  it('accepts an already-decoded object', () => {
    expect(parseOrderEvent(exampleEventObject()).ok).toBe(true);
  });

  it('ignores additive fields (extensions, new optional data) and strips them from the result', () => {
    const result = parseOrderEvent(readExampleEvent('order-created.v1.additive-fields.json'));
    if (!result.ok) throw new Error(result.error.message);
    expect(result.event).not.toHaveProperty('traceparent');
    expect(result.event.data).not.toHaveProperty('channel');
  });

  it('accepts the example printed in the README', () => {
    const readme = readFileSync(join(__dirname, 'README.md'), 'utf8');
    const block = /```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    expect(parseOrderEvent(block).ok).toBe(true);
  });
});

describe('parseOrderEvent: rejected events', () => {
  it.each([
    ['plain text', 'not json'],
    ['truncated JSON', '{"specversion":"1.0",'],
    ['an empty Buffer', Buffer.alloc(0)],
  ])('rejects %s as NOT_JSON without echoing the payload', (_label, raw) => {
    const error = errorOf(parseOrderEvent(raw));
    expect(error.code).toBe('NOT_JSON');
    expect(error.field).toBeUndefined();
    expect(error.message).not.toContain('specversion');
  });

  it.each([
    ['a newer version of the same event', 'com.shopfront.order.created.v2'],
    ['an unversioned type', 'com.shopfront.order.created'],
    ['another event type', 'com.shopfront.payment.captured.v1'],
  ])('rejects %s as UNKNOWN_EVENT_TYPE', (_label, type) => {
    const error = errorOf(parseOrderEvent({ ...exampleEventObject(), type }));
    expect(error).toMatchObject({ code: 'UNKNOWN_EVENT_TYPE', field: 'type' });
    expect(error.message).toContain(type);
  });

  it('rejects JSON that is not an object', () => {
    const error = errorOf(parseOrderEvent('[1,2]'));
    expect(error.code).toBe('INVALID_EVENT');
    expect(error.field).toBeUndefined();
  });

  it('rejects a missing type as INVALID_EVENT, not as an unknown type', () => {
    const { type: _type, ...event } = exampleEventObject();
    expect(errorOf(parseOrderEvent(event))).toMatchObject({ code: 'INVALID_EVENT', field: 'type' });
  });

  it.each<[string, (event: Json) => void, string]>([
    ['missing id', (e) => delete e.id, 'id'],
    ['empty id', (e) => (e.id = ''), 'id'],
    ['wrong specversion', (e) => (e.specversion = '0.3'), 'specversion'],
    ['time without a zone', (e) => (e.time = '2025-11-26T09:15:02'), 'time'],
    ['wrong datacontenttype', (e) => (e.datacontenttype = 'text/plain'), 'datacontenttype'],
    ['subject not the order id', (e) => (e.subject = 'ord_OTHER'), 'subject'],
    ['missing data', (e) => delete e.data, 'data'],
  ])('rejects an envelope with %s', (_label, change, field) => {
    const event = exampleEventObject();
    change(event);
    expect(errorOf(parseOrderEvent(event))).toMatchObject({ code: 'INVALID_EVENT', field });
  });

  it.each<[string, (data: Json) => void, string]>([
    ['missing orderId', (d) => delete d.orderId, 'data.orderId'],
    ['missing userEmail', (d) => delete d.userEmail, 'data.userEmail'],
    ['malformed userEmail', (d) => (d.userEmail = 'ada-at-example'), 'data.userEmail'],
    ['no items', (d) => (d.items = []), 'data.items'],
    ['missing total', (d) => delete d.total, 'data.total'],
    ['a float total amount', (d) => (d.total = { amount: 74.48, currency: 'EUR' }), 'data.total.amount'],
    ['an amount as a string', (d) => (d.total = { amount: '7448', currency: 'EUR' }), 'data.total.amount'],
    ['a negative amount', (d) => (d.total = { amount: -1, currency: 'EUR' }), 'data.total.amount'],
    ['a lower-case currency', (d) => (d.total = { amount: 7448, currency: 'eur' }), 'data.total.currency'],
    ['a four-letter currency', (d) => (d.total = { amount: 7448, currency: 'EURO' }), 'data.total.currency'],
    ['createdAt not a date', (d) => (d.createdAt = 'yesterday'), 'data.createdAt'],
  ])('rejects data with %s', (_label, change, field) => {
    expect(errorOf(parseOrderEvent(withData(change)))).toMatchObject({ code: 'INVALID_EVENT', field });
  });

  it.each<[string, Json, string]>([
    ['a negative quantity', { quantity: -1 }, 'data.items.1.quantity'],
    ['a zero quantity', { quantity: 0 }, 'data.items.1.quantity'],
    ['a fractional quantity', { quantity: 1.5 }, 'data.items.1.quantity'],
    ['a float unit price', { unitPrice: { amount: 34.5, currency: 'EUR' } }, 'data.items.1.unitPrice.amount'],
    ['a bad unit price currency', { unitPrice: { amount: 3450, currency: 'E1R' } }, 'data.items.1.unitPrice.currency'],
    [
      'a currency other than the total',
      { unitPrice: { amount: 3450, currency: 'USD' } },
      'data.items.1.unitPrice.currency',
    ],
    ['an empty productId', { productId: '' }, 'data.items.1.productId'],
  ])('rejects the second item with %s and names that item', (_label, patch, field) => {
    const event = withData((d) => {
      const items = d.items as Json[];
      items[1] = { ...items[1], ...patch };
    });
    expect(errorOf(parseOrderEvent(event))).toMatchObject({ code: 'INVALID_EVENT', field });
  });

  it('puts the field in the message so a log line alone explains the rejection', () => {
    const error = errorOf(parseOrderEvent(withData((d) => (d.total = { amount: 1.5, currency: 'EUR' }))));
    expect(error.message).toMatch(/^data\.total\.amount: /);
  });
});
