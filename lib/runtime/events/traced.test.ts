import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { capturedLogger } from '../test-support/logs';
import { loadTracingConfig, Tracing } from '../tracing';
import type { DeliveredMessage, EventBus, OutgoingMessage } from './bus';
import { LocalEventLog } from './local-log';
import { tracedEventBus } from './traced';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const WRITER_SPAN = '00f067aa0ba902b7';
const STORED = `00-${TRACE_ID}-${WRITER_SPAN}-01`;

function recorded(service: string) {
  const exporter = new InMemorySpanExporter();
  const tracing = new Tracing({ service, config: loadTracingConfig({}), exporter });
  return {
    tracing,
    spans: async (): Promise<ReadableSpan[]> => {
      await tracing.flush();
      return exporter.getFinishedSpans();
    },
  };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the event bus as a traced service sees it (producer span -> record headers -> consumer span)', () => {
  let log: LocalEventLog;
  let producer: ReturnType<typeof recorded>;
  let consumer: ReturnType<typeof recorded>;
  const { logger, lines } = capturedLogger('consumer');

  beforeEach(() => {
    log = new LocalEventLog({ partitions: { orders: 2 }, logger, defaultPartitions: 1 });
    producer = recorded('order-service');
    consumer = recorded('notification-lambda');
  });

  afterEach(() => log.close());

  /** Subscribes through `consumer`'s view of the bus; each handled record's active span and headers are kept. */
  async function consume(handle: (message: DeliveredMessage) => Promise<void> = async () => undefined) {
    const seen: { message: DeliveredMessage; traceId?: string; spanId?: string }[] = [];
    const subscription = await tracedEventBus(log, consumer.tracing, 'test').subscribe({
      topic: 'orders',
      groupId: 'g',
      maxAttempts: 2,
      backoffMs: () => 1,
      handle: async (message) => {
        const ids = trace.getSpan(context.active())?.spanContext();
        seen.push({ message, traceId: ids?.traceId, spanId: ids?.spanId });
        logger.info({ offset: message.offset }, 'handled');
        await handle(message);
      },
    });
    return { seen, subscription };
  }

  const publish = (bus: EventBus, message: OutgoingMessage) => bus.publish('orders', [message]);

  it("continues the trace stored with the event: the producer span is its child, the consumer span the producer's", async () => {
    const { seen, subscription } = await consume();
    await publish(tracedEventBus(log, producer.tracing, 'test'), {
      key: 'order-1',
      value: '{}',
      headers: { 'ce-id': 'e1', traceparent: STORED },
    });
    await until(() => seen.length === 1);
    await subscription.stop();
    const [send] = await producer.spans();
    const [process] = await consumer.spans();
    expect(send?.spanContext().traceId).toBe(TRACE_ID);
    expect(send?.parentSpanContext?.spanId).toBe(WRITER_SPAN);
    expect(send?.kind).toBe(SpanKind.PRODUCER);
    expect(send?.attributes).toMatchObject({
      'messaging.destination.name': 'orders',
      'messaging.kafka.message.key': 'order-1',
    });
    expect(process?.spanContext().traceId).toBe(TRACE_ID);
    expect(process?.parentSpanContext?.spanId).toBe(send?.spanContext().spanId);
    expect(process?.kind).toBe(SpanKind.CONSUMER);
    expect(process?.resource.attributes['service.name']).toBe('notification-lambda');
    // The record carries the producer span's context; the handler ran inside the consumer span.
    expect(seen[0]?.message.headers).toEqual({
      'ce-id': 'e1',
      traceparent: `00-${TRACE_ID}-${send?.spanContext().spanId}-01`,
    });
    expect(seen[0]?.spanId).toBe(process?.spanContext().spanId);
    expect(lines.find((l) => l.msg === 'handled')).toMatchObject({ trace_id: TRACE_ID, span_id: seen[0]?.spanId });
  });

  it('parents the producer span on the active span when the record carries no context', async () => {
    const { seen, subscription } = await consume();
    const bus = tracedEventBus(log, producer.tracing, 'test');
    const outer = producer.tracing.tracer.startSpan('request');
    await context.with(trace.setSpan(context.active(), outer), () => publish(bus, { key: 'k', value: '{}' }));
    outer.end();
    await until(() => seen.length === 1);
    await subscription.stop();
    const send = (await producer.spans()).find((s) => s.name === 'send orders');
    expect(send?.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(seen[0]?.traceId).toBe(outer.spanContext().traceId);
  });

  it.each([
    ['malformed', { traceparent: 'garbage', tracestate: 'vendor=1' }],
    ['missing', {}],
  ])('starts a new trace for a record whose traceparent is %s, and handles it', async (_, headers) => {
    const { seen, subscription } = await consume();
    await log.publish('orders', [{ key: 'k', value: '{}', headers }]);
    await until(() => seen.length === 1);
    await subscription.stop();
    const [process] = await consumer.spans();
    expect(process?.parentSpanContext).toBeUndefined();
    expect(seen[0]?.traceId).toBe(process?.spanContext().traceId);
    expect(seen[0]?.traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
  });

  it('marks the consumer span of a failed attempt as an error, and the bus retries as before', async () => {
    let calls = 0;
    const { seen, subscription } = await consume(async () => {
      calls += 1;
      if (calls === 1) throw new Error('store away');
    });
    await log.publish('orders', [{ key: 'k', value: '{}', headers: { traceparent: STORED } }]);
    await until(() => seen.length === 2);
    await subscription.stop();
    const spans = await consumer.spans();
    expect(spans.map((s) => [s.status.code, s.attributes['shopfront.delivery.attempt']])).toEqual([
      [SpanStatusCode.ERROR, 1],
      [SpanStatusCode.UNSET, 2],
    ]);
    expect(spans.every((s) => s.spanContext().traceId === TRACE_ID)).toBe(true);
  });

  it('marks the producer spans as errors when the publish fails, and rethrows', async () => {
    const failing: EventBus = {
      publish: () => Promise.reject(new Error('broker away')),
      subscribe: (options) => log.subscribe(options),
      ping: async () => undefined,
      close: async () => undefined,
    };
    await expect(publish(tracedEventBus(failing, producer.tracing, 'test'), { key: 'k', value: '{}' })).rejects.toThrow(
      'broker away',
    );
    const [send] = await producer.spans();
    expect(send?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'broker away' });
  });

  it('gives each record of a batch its own consumer span in its own trace, and runs its work there', async () => {
    const other = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    const inside: { offset: number; traceId?: string; spanId?: string }[] = [];
    const subscription = await tracedEventBus(log, consumer.tracing, 'test').subscribe({
      topic: 'orders',
      groupId: 'g',
      handle: async () => undefined,
      handleBatch: async (messages) => {
        for (const message of messages) {
          const run = message.within ?? ((work: () => void) => work());
          run(() => {
            const ids = trace.getSpan(context.active())?.spanContext();
            inside.push({ offset: message.offset, traceId: ids?.traceId, spanId: ids?.spanId });
          });
        }
        return messages.filter((m) => m.offset === 1);
      },
    });
    // Same key: one partition, one batch.
    await log.publish('orders', [
      { key: 'k', value: '{}', headers: { traceparent: STORED } },
      { key: 'k', value: '{}', headers: { traceparent: other } },
    ]);
    await until(() => inside.length === 2);
    await subscription.stop();
    const spans = await consumer.spans();
    const batched = spans.filter((s) => s.attributes['messaging.batch.message_count'] === 2);
    expect(batched.map((s) => [s.spanContext().traceId, s.parentSpanContext?.spanId])).toEqual([
      [TRACE_ID, WRITER_SPAN],
      ['a'.repeat(32), 'b'.repeat(16)],
    ]);
    expect(inside.map((i) => [i.traceId, i.spanId])).toEqual(
      batched.map((s) => [s.spanContext().traceId, s.spanContext().spanId]),
    );
    expect(batched.map((s) => s.attributes['shopfront.delivery.unfinished'])).toEqual([undefined, true]);
  });
});
