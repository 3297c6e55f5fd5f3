import { withDistributedTracing } from './tracing';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const EVENT = JSON.stringify({ specversion: '1.0', id: 'e1', type: 'com.shopfront.order.created.v1' });

describe('the CloudEvents distributed-tracing extension', () => {
  it('adds traceparent and tracestate to the event as attributes', () => {
    expect(JSON.parse(withDistributedTracing(EVENT, { traceparent: TRACEPARENT, tracestate: 'vendor=1' }))).toEqual({
      ...JSON.parse(EVENT),
      traceparent: TRACEPARENT,
      tracestate: 'vendor=1',
    });
  });

  it.each([
    ['no context', {}],
    ['a malformed traceparent', { traceparent: '00-xyz-01' }],
    ['an upper-case traceparent', { traceparent: TRACEPARENT.toUpperCase() }],
  ])('leaves the event unchanged with %s', (_, tracing) => {
    expect(withDistributedTracing(EVENT, tracing)).toBe(EVENT);
  });

  it('drops a malformed tracestate and keeps the traceparent', () => {
    const event = JSON.parse(withDistributedTracing(EVENT, { traceparent: TRACEPARENT, tracestate: 'a\nb' }));
    expect(event.traceparent).toBe(TRACEPARENT);
    expect(event).not.toHaveProperty('tracestate');
  });

  it.each(['not json', '[1,2]', 'null'])('returns %s unchanged: the consumers reject it themselves', (payload) => {
    expect(withDistributedTracing(payload, { traceparent: TRACEPARENT })).toBe(payload);
  });
});
