import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { loadTracingConfig, Tracing } from '../../../lib/runtime/tracing';
import { InMemoryDeliveryRecords } from '../adapters/in-memory-delivery-records';
import type { ClaimOutcome, DeliveryRecords } from '../domain/ports';
import { FakeClock } from '../test-support/clock';
import { mskEvent, orderEvent } from '../test-support/msk-events';
import { CapturingLogger, RecordingNotifier } from '../test-support/recording';
import { createMskHandler, DEFAULT_LEASE_MS, decodeMskEvent, LEASE_MARGIN_MS } from './msk';

describe('decodeMskEvent', () => {
  it('flattens every topic-partition, keeping its key, and decodes base64 values', () => {
    const event = mskEvent([
      { partition: 0, offset: 5, payload: 'hello' },
      { partition: 2, offset: 9, payload: 'world' },
    ]);
    expect(decodeMskEvent(event).map((r) => [r.partitionKey, r.partition, r.offset, r.value.toString()])).toEqual([
      ['orders-0', 0, 5, 'hello'],
      ['orders-2', 2, 9, 'world'],
    ]);
  });
});

describe('MSK handler', () => {
  let clock: FakeClock;
  let notifier: RecordingNotifier;
  let logger: CapturingLogger;
  let deliveryRecords: DeliveryRecords;
  const handler = () => createMskHandler({ notifier, deliveryRecords, logger, now: clock.now });
  const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs });

  beforeEach(() => {
    clock = new FakeClock();
    notifier = new RecordingNotifier();
    logger = new CapturingLogger();
    deliveryRecords = new InMemoryDeliveryRecords(clock.now);
  });

  it('answers a fully processed batch with an empty failure list', async () => {
    const response = await handler()(mskEvent([{ offset: 0, payload: orderEvent('a') }]), context(30_000));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(notifier.sent).toHaveLength(1);
  });

  it('answers an empty batch with an empty failure list', async () => {
    expect(await handler()(mskEvent([]), context(30_000))).toEqual({ batchItemFailures: [] });
  });

  it('names each failed record by its topic-partition key and numeric offset', async () => {
    const event = mskEvent([
      { partition: 0, offset: 40, payload: orderEvent('a') },
      { partition: 0, offset: 41, payload: 'not json' },
      { partition: 0, offset: 42, payload: orderEvent('b') },
      { partition: 3, offset: 7, payload: { ...orderEvent('c'), type: 'com.shopfront.order.created.v2' } },
      { partition: 3, offset: 8, payload: orderEvent('d') },
    ]);
    const response = await handler()(event, context(30_000));

    expect(response).toEqual({
      batchItemFailures: [
        { itemIdentifier: { partition: 'orders-0', offset: 41 } },
        { itemIdentifier: { partition: 'orders-3', offset: 7 } },
      ],
    });
    expect(notifier.sent.map((n) => n.eventId)).toEqual(['a', 'b', 'd']);
  });

  it('sends nothing twice across a redelivery of the same batch', async () => {
    const event = mskEvent([
      { offset: 1, payload: orderEvent('a') },
      { offset: 2, payload: 'not json' },
      { offset: 3, payload: orderEvent('b') },
    ]);
    await handler()(event, context(30_000));
    const retry = await handler()(event, context(30_000));
    expect(notifier.sent).toHaveLength(2);
    expect(retry).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 2 } }] });
  });

  it('reports a throttled send as an item failure', async () => {
    notifier.failFor.add('a');
    const response = await handler()(mskEvent([{ offset: 4, payload: orderEvent('a') }]), context(30_000));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 4 } }] });
  });

  it('leases each claim until the invocation’s deadline plus a margin', async () => {
    const leases: Date[] = [];
    deliveryRecords = {
      claim: async (_eventId: string, leaseExpiresAt: Date): Promise<ClaimOutcome> => {
        leases.push(leaseExpiresAt);
        return 'claimed';
      },
      complete: async () => {},
      release: async () => {},
    };
    await handler()(mskEvent([{ offset: 0, payload: orderEvent('a') }]), context(45_000));
    await handler()(mskEvent([{ offset: 1, payload: orderEvent('b') }]));

    const start = clock.now().getTime();
    expect(leases.map((d) => d.getTime() - start)).toEqual([
      45_000 + LEASE_MARGIN_MS,
      DEFAULT_LEASE_MS + LEASE_MARGIN_MS,
    ]);
  });

  it('logs a batch summary', async () => {
    await handler()(
      mskEvent([
        { offset: 0, payload: orderEvent('a') },
        { offset: 1, payload: orderEvent('a') },
        { offset: 2, payload: '' },
      ]),
      context(30_000),
    );
    expect(logger.lines.at(-1)).toEqual({
      level: 'info',
      msg: 'batch processed',
      records: 3,
      sent: 1,
      duplicates: 1,
      failed: 1,
    });
  });
});

describe('MSK handler, traced', () => {
  const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
  const producer = (span: string) => `00-${TRACE_ID}-${span}-01`;

  async function invoke(specs: Parameters<typeof mskEvent>[0]) {
    const exporter = new InMemorySpanExporter();
    const tracing = new Tracing({ service: 'notification-lambda', config: loadTracingConfig({}), exporter });
    const clock = new FakeClock();
    const notifier = new RecordingNotifier();
    const handler = createMskHandler({
      notifier,
      deliveryRecords: new InMemoryDeliveryRecords(clock.now),
      logger: new CapturingLogger(),
      now: clock.now,
      tracing,
    });
    const response = await handler(mskEvent(specs), { getRemainingTimeInMillis: () => 30_000 });
    // The handler exported before it returned: nothing is left to flush.
    return { response, spans: exporter.getFinishedSpans(), notifier };
  }

  it('decodes the trace context headers Lambda gives as byte lists', () => {
    const [record] = decodeMskEvent(
      mskEvent([{ offset: 1, payload: 'x', headers: { traceparent: producer('00f067aa0ba902b7'), 'ce-id': 'e1' } }]),
    );
    expect(record?.traceHeaders).toEqual({ traceparent: producer('00f067aa0ba902b7') });
  });

  it("continues the producer's trace for a batch of one record", async () => {
    const { spans, response } = await invoke([
      { offset: 1, payload: orderEvent('a'), headers: { traceparent: producer('00f067aa0ba902b7') } },
    ]);
    expect(response.batchItemFailures).toEqual([]);
    expect(spans).toHaveLength(1);
    expect(spans[0]?.spanContext().traceId).toBe(TRACE_ID);
    expect(spans[0]?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(spans[0]?.kind).toBe(SpanKind.CONSUMER);
  });

  it('links a batch to every traced record, and starts its own trace', async () => {
    const { spans } = await invoke([
      { offset: 1, payload: orderEvent('a'), headers: { traceparent: producer('00f067aa0ba902b7') } },
      { offset: 2, payload: orderEvent('b'), headers: { traceparent: producer('00f067aa0ba902b8') } },
      { offset: 3, payload: orderEvent('c') },
    ]);
    expect(spans[0]?.parentSpanContext).toBeUndefined();
    expect(spans[0]?.links.map((l) => l.context.spanId)).toEqual(['00f067aa0ba902b7', '00f067aa0ba902b8']);
    expect(spans[0]?.attributes['messaging.batch.message_count']).toBe(3);
  });

  it.each([
    ['malformed', { traceparent: 'not-a-traceparent' }],
    ['missing', {}],
  ])('notifies a record whose traceparent is %s, in a new trace', async (_, headers) => {
    const { spans, response, notifier } = await invoke([{ offset: 1, payload: orderEvent('a'), headers }]);
    expect(response.batchItemFailures).toEqual([]);
    expect(notifier.sent).toHaveLength(1);
    expect(spans[0]?.parentSpanContext).toBeUndefined();
    expect(spans[0]?.links).toEqual([]);
    expect(spans[0]?.spanContext().traceId).not.toBe(TRACE_ID);
  });
});
