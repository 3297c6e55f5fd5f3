import { context, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { serializeTraceRequest } from './otlp-json';

const REMOTE_PARENT = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: new TraceState('vendor=a,other=b'),
};

/** Spans of two resources, three scopes, every attribute type, events, links, statuses and parents. */
async function spans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const providers = [
    new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'order-service', 'service.version': '1.2.3' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    }),
    new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'payment-service', replicas: 2, ratio: 0.5 }),
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    }),
  ];
  const [orders, payments] = providers;
  if (!orders || !payments) throw new Error('two providers');
  const tracer = orders.getTracer('shopfront', '1.0.0');
  const other = orders.getTracer('pg', undefined, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  const remote = trace.setSpanContext(context.active(), REMOTE_PARENT);
  const root = tracer.startSpan(
    'POST /orders',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'POST',
        'http.response.status_code': 201,
        'server.duration_ratio': 0.25,
        'order.express': false,
        'order.tags': ['a', 'b'],
        'order.lines': [1, 2, 3],
        'order.weights': [1.5, 2],
        'order.flags': [true, false],
      },
      links: [
        { context: { ...REMOTE_PARENT, spanId: '1111111111111111', isRemote: false } },
        { context: { ...REMOTE_PARENT, traceFlags: TraceFlags.NONE }, attributes: { reason: 'retry', attempt: 2 } },
      ],
    },
    remote,
  );
  root.addEvent('validated');
  root.addEvent('reserved', { 'stock.left': 41, note: 'ok' }, [1_700_000_000, 123_456_789]);
  const child = other.startSpan(
    'INSERT orders',
    { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } },
    trace.setSpan(context.active(), root),
  );
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'unique violation' });
  child.end();
  tracer.startSpan('internal', { kind: SpanKind.INTERNAL }).end();
  tracer.startSpan('to kafka', { kind: SpanKind.PRODUCER }).end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  const charge = payments.getTracer('shopfront', '1.0.0').startSpan('Charge', { kind: SpanKind.CONSUMER }, remote);
  charge.end();
  await Promise.all(providers.map((p) => p.forceFlush()));
  return exporter.getFinishedSpans();
}

const library = (of: ReadableSpan[]) => new TextDecoder().decode(JsonTraceSerializer.serializeRequest(of));

describe('serializeTraceRequest', () => {
  it('writes what the OpenTelemetry JSON trace serializer writes, byte for byte', async () => {
    const finished = await spans();
    expect(finished).toHaveLength(5);
    expect(serializeTraceRequest(finished)).toBe(library(finished));
  });

  it('groups by resource and scope, keeps ids in hex and times as nanosecond strings', async () => {
    const request = JSON.parse(serializeTraceRequest(await spans()));
    const [orders, payments] = request.resourceSpans;
    expect(request.resourceSpans).toHaveLength(2);
    expect(orders.scopeSpans.map((s: { scope: { name: string } }) => s.scope.name)).toEqual(['pg', 'shopfront']);
    expect(payments.resource.attributes).toContainEqual({ key: 'ratio', value: { doubleValue: 0.5 } });
    const root = orders.scopeSpans[1].spans.find((s: { name: string }) => s.name === 'POST /orders');
    expect(root).toMatchObject({
      traceId: REMOTE_PARENT.traceId,
      parentSpanId: REMOTE_PARENT.spanId,
      traceState: 'vendor=a,other=b',
      kind: 2,
      // Sampled, and the parent is known to be remote.
      flags: 0x301,
      status: { code: SpanStatusCode.OK },
    });
    expect(root.events[1]).toEqual({
      attributes: [
        { key: 'stock.left', value: { intValue: 41 } },
        { key: 'note', value: { stringValue: 'ok' } },
      ],
      name: 'reserved',
      timeUnixNano: '1700000000123456789',
      droppedAttributesCount: 0,
    });
    expect(root.attributes).toContainEqual({
      key: 'order.weights',
      value: { arrayValue: { values: [{ doubleValue: 1.5 }, { intValue: 2 }] } },
    });
  });

  it('serializes no spans as an empty request', () => {
    expect(serializeTraceRequest([])).toBe('{"resourceSpans":[]}');
    expect(serializeTraceRequest([])).toBe(library([]));
  });
});
