import { InMemoryDeliveryRecords } from '../adapters/in-memory-delivery-records';
import { FakeClock } from '../test-support/clock';
import { orderEvent, type RecordPayload } from '../test-support/msk-events';
import { CapturingLogger, RecordingNotifier } from '../test-support/recording';
import type { BatchDeliveryRecords, ClaimOutcome, DeliveryRecords } from './ports';
import { type BatchRecord, processBatch } from './process-batch';

const record = (offset: number, payload: RecordPayload, partition = 0): BatchRecord => ({
  topic: 'orders',
  partition,
  offset,
  value: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
});

const withoutField = (eventId: string, field: string): Record<string, unknown> => {
  const event = orderEvent(eventId);
  const data = { ...(event.data as Record<string, unknown>) };
  delete data[field];
  return { ...event, data };
};

/** Delivery records that answer claims from a script and record every call. */
class ScriptedDeliveryRecords implements DeliveryRecords {
  readonly calls: string[] = [];
  constructor(private readonly claimWith: (eventId: string) => Promise<ClaimOutcome>) {}
  async claim(eventId: string): Promise<ClaimOutcome> {
    this.calls.push(`claim:${eventId}`);
    return this.claimWith(eventId);
  }
  async complete(eventId: string, messageId: string): Promise<void> {
    this.calls.push(`complete:${eventId}:${messageId}`);
  }
  async release(eventId: string): Promise<void> {
    this.calls.push(`release:${eventId}`);
  }
}

/** The in-memory store that also claims and completes many ids per call, recording the calls' sizes. */
class InMemoryBatchDeliveryRecords extends InMemoryDeliveryRecords implements BatchDeliveryRecords {
  readonly batchCalls: string[] = [];
  async claimAll(eventIds: readonly string[], leaseExpiresAt: Date): Promise<ReadonlyMap<string, ClaimOutcome>> {
    this.batchCalls.push(`claimAll:${eventIds.join(',')}`);
    const outcomes = new Map<string, ClaimOutcome>();
    for (const id of new Set(eventIds)) outcomes.set(id, await this.claim(id, leaseExpiresAt));
    return outcomes;
  }
  async completeAll(sent: readonly { eventId: string; messageId: string }[]): Promise<void> {
    this.batchCalls.push(`completeAll:${sent.map((s) => s.eventId).join(',')}`);
    for (const { eventId, messageId } of sent) await this.complete(eventId, messageId);
  }
}

describe.each([
  ['one record at a time', (now: () => Date): DeliveryRecords => new InMemoryDeliveryRecords(now)],
  ['with a store that claims in batches', (now: () => Date): DeliveryRecords => new InMemoryBatchDeliveryRecords(now)],
])('processBatch, %s', (_, store) => {
  let clock: FakeClock;
  let notifier: RecordingNotifier;
  let deliveryRecords: DeliveryRecords;
  let logger: CapturingLogger;
  const run = (records: BatchRecord[], overrides: Partial<Parameters<typeof processBatch>[1]> = {}) =>
    processBatch(records, {
      notifier,
      deliveryRecords,
      logger,
      leaseExpiresAt: new Date(clock.now().getTime() + 60_000),
      ...overrides,
    });

  beforeEach(() => {
    clock = new FakeClock();
    notifier = new RecordingNotifier();
    deliveryRecords = store(clock.now);
    logger = new CapturingLogger();
  });

  it('sends one confirmation per good record', async () => {
    const summary = await run([record(0, orderEvent('a')), record(1, orderEvent('b')), record(2, orderEvent('c'))]);
    expect(notifier.sent.map((n) => n.orderId)).toEqual(['ord_a', 'ord_b', 'ord_c']);
    expect(summary).toEqual({ sent: 3, duplicates: 0, failures: [] });
  });

  it('sends once when the same event id appears twice in one batch', async () => {
    const summary = await run([record(0, orderEvent('a')), record(1, orderEvent('a'))]);
    expect(notifier.sent).toHaveLength(1);
    expect(summary).toEqual({ sent: 1, duplicates: 1, failures: [] });
  });

  it('sends once when the same event comes again in a later invocation', async () => {
    await run([record(0, orderEvent('a'))]);
    clock.advance(10 * 60_000);
    const again = await run([record(0, orderEvent('a'))]);
    expect(notifier.sent).toHaveLength(1);
    expect(again).toEqual({ sent: 0, duplicates: 1, failures: [] });
  });

  it('reports poison records with their code and still sends every good record around them', async () => {
    const records = [
      record(10, orderEvent('a')),
      record(11, 'not json'),
      record(12, orderEvent('b')),
      record(13, { ...orderEvent('v2'), type: 'com.shopfront.order.created.v2' }),
      record(14, withoutField('m', 'total')),
      record(15, orderEvent('c')),
    ];
    const summary = await run(records);

    expect(notifier.sent.map((n) => n.orderId)).toEqual(['ord_a', 'ord_b', 'ord_c']);
    expect(summary.failures.map((f) => [f.record.offset, f.code])).toEqual([
      [11, 'NOT_JSON'],
      [13, 'UNKNOWN_EVENT_TYPE'],
      [14, 'INVALID_EVENT'],
    ]);
    expect(summary.failures[2]?.record).toBe(records[4]);
  });

  it('logs each rejection with its position, code and field, and never the payload or the address', async () => {
    await run([record(11, 'not json {"userEmail":"x@leak.example"}'), record(14, withoutField('m', 'total'))]);
    const rejections = logger.lines.filter((line) => line.msg === 'record rejected');
    expect(rejections).toEqual([
      { level: 'warn', msg: 'record rejected', topic: 'orders', partition: 0, offset: 11, code: 'NOT_JSON' },
      {
        level: 'warn',
        msg: 'record rejected',
        topic: 'orders',
        partition: 0,
        offset: 14,
        code: 'INVALID_EVENT',
        field: 'data.total',
      },
    ]);
    expect(logger.text()).not.toContain('@');
  });

  it('is a no-op for good records when Lambda redelivers a partition from a poison offset', async () => {
    const batch = [record(10, orderEvent('a')), record(11, 'not json'), record(12, orderEvent('b'))];
    await run(batch);
    const retry = await run(batch.slice(1));
    expect(notifier.sent).toHaveLength(2);
    expect(retry).toMatchObject({ sent: 0, duplicates: 1 });
    expect(retry.failures.map((f) => f.record.offset)).toEqual([11]);
  });

  it('releases the claim and reports the record when the notifier fails, so the retry sends it once', async () => {
    notifier.failFor.add('b');
    const batch = [record(0, orderEvent('a')), record(1, orderEvent('b')), record(2, orderEvent('c'))];
    const first = await run(batch);

    expect(first.failures.map((f) => [f.record.offset, f.code])).toEqual([[1, 'NOTIFY_FAILED']]);
    expect(notifier.sent.map((n) => n.eventId)).toEqual(['a', 'c']);

    notifier.failFor.clear();
    const retry = await run(batch.slice(1));
    expect(retry).toEqual({ sent: 1, duplicates: 1, failures: [] });
    expect(notifier.sent.map((n) => n.eventId)).toEqual(['a', 'c', 'b']);
  });

  it('calls release, not complete, after a failed send', async () => {
    const scripted = new ScriptedDeliveryRecords(async () => 'claimed');
    notifier.failFor.add('b');
    await run([record(1, orderEvent('b'))], { deliveryRecords: scripted });
    expect(scripted.calls).toEqual(['claim:b', 'release:b']);
  });

  it('completes with the message id the notifier returned', async () => {
    const scripted = new ScriptedDeliveryRecords(async () => 'claimed');
    await run([record(1, orderEvent('a'))], { deliveryRecords: scripted });
    expect(scripted.calls).toEqual(['claim:a', 'complete:a:msg-1']);
  });

  it('reports an event another invocation is still sending, without sending it', async () => {
    const scripted = new ScriptedDeliveryRecords(async () => 'in-progress');
    const summary = await run([record(3, orderEvent('a'))], { deliveryRecords: scripted });
    expect(notifier.sent).toHaveLength(0);
    expect(summary.failures.map((f) => f.code)).toEqual(['DELIVERY_IN_PROGRESS']);
  });

  it('reports a record whose claim could not be made, without sending it', async () => {
    const scripted = new ScriptedDeliveryRecords(async () => {
      throw new Error('ProvisionedThroughputExceededException');
    });
    const summary = await run([record(3, orderEvent('a'))], { deliveryRecords: scripted });
    expect(notifier.sent).toHaveLength(0);
    expect(summary.failures.map((f) => f.code)).toEqual(['DELIVERY_STORE_FAILED']);
  });

  it('acknowledges a sent notification even if recording its completion fails, since a retry would resend', async () => {
    const scripted = new ScriptedDeliveryRecords(async () => 'claimed');
    scripted.complete = async () => {
      throw new Error('timeout');
    };
    const summary = await run([record(3, orderEvent('a'))], { deliveryRecords: scripted });
    expect(summary).toEqual({ sent: 1, duplicates: 0, failures: [] });
    expect(logger.lines.some((line) => line.level === 'error' && line.eventId === 'a')).toBe(true);
  });

  it('still reports the failed send when the release fails too', async () => {
    const scripted = new ScriptedDeliveryRecords(async () => 'claimed');
    scripted.release = async () => {
      throw new Error('timeout');
    };
    notifier.failFor.add('a');
    const summary = await run([record(3, orderEvent('a'))], { deliveryRecords: scripted });
    expect(summary.failures.map((f) => f.code)).toEqual(['NOTIFY_FAILED']);
  });
});

describe('processBatch with a store that claims in batches', () => {
  const clock = new FakeClock();
  const lease = () => new Date(clock.now().getTime() + 60_000);

  it('touches the store twice for the whole batch, and only for the event ids that parse', async () => {
    const store = new InMemoryBatchDeliveryRecords(clock.now);
    const notifier = new RecordingNotifier();
    const summary = await processBatch(
      [record(0, orderEvent('a')), record(1, 'not json'), record(2, orderEvent('b')), record(3, orderEvent('a'))],
      { notifier, deliveryRecords: store, logger: new CapturingLogger(), leaseExpiresAt: lease() },
    );
    expect(store.batchCalls).toEqual(['claimAll:a,b', 'completeAll:a,b']);
    expect(summary.sent).toBe(2);
    expect(summary.duplicates).toBe(1);
    expect(summary.failures.map((f) => [f.record.offset, f.code])).toEqual([[1, 'NOT_JSON']]);
  });

  it('reports every record when the batch claim fails, and sends nothing', async () => {
    const store = new InMemoryBatchDeliveryRecords(clock.now);
    store.claimAll = async () => {
      throw new Error('connection reset');
    };
    const notifier = new RecordingNotifier();
    const logger = new CapturingLogger();
    const summary = await processBatch([record(0, orderEvent('a')), record(1, orderEvent('b'))], {
      notifier,
      deliveryRecords: store,
      logger,
      leaseExpiresAt: lease(),
    });
    expect(notifier.sent).toEqual([]);
    expect(summary.failures.map((f) => f.code)).toEqual(['DELIVERY_STORE_FAILED', 'DELIVERY_STORE_FAILED']);
  });

  it('acknowledges sent records when completing them fails, with an error line per record', async () => {
    const store = new InMemoryBatchDeliveryRecords(clock.now);
    store.completeAll = async () => {
      throw new Error('connection reset');
    };
    const notifier = new RecordingNotifier();
    const logger = new CapturingLogger();
    const summary = await processBatch([record(0, orderEvent('c')), record(1, orderEvent('d'))], {
      notifier,
      deliveryRecords: store,
      logger,
      leaseExpiresAt: lease(),
    });
    expect(summary).toEqual({ sent: 2, duplicates: 0, failures: [] });
    expect(logger.lines.filter((l) => l.msg === 'delivery record not completed after send')).toHaveLength(2);
  });

  it("runs each record's send and log lines in the record's own context", async () => {
    const store = new InMemoryBatchDeliveryRecords(clock.now);
    const contexts: string[] = [];
    let current = 'none';
    const inContext =
      (name: string) =>
      <T>(work: () => T): T => {
        const before = current;
        current = name;
        try {
          return work();
        } finally {
          current = before;
        }
      };
    const notifier = {
      send: async () => {
        contexts.push(current);
        return { messageId: `m-${contexts.length}` };
      },
    };
    await processBatch(
      [
        { ...record(0, orderEvent('e')), within: inContext('first') },
        { ...record(1, orderEvent('f')), within: inContext('second') },
      ],
      { notifier, deliveryRecords: store, logger: new CapturingLogger(), leaseExpiresAt: lease() },
    );
    expect(contexts).toEqual(['first', 'second']);
  });

  it('hands every claimed notification to a notifier that takes many at once in one call', async () => {
    const store = new InMemoryBatchDeliveryRecords(clock.now);
    const calls: string[][] = [];
    const notifier = {
      send: async () => {
        throw new Error('send is not used when sendAll exists');
      },
      sendAll: async (all: readonly { orderId: string }[]) => {
        calls.push(all.map((n) => n.orderId));
        return all.map((_, i) => ({ messageId: `m-${i}` }));
      },
    };
    const summary = await processBatch([record(0, orderEvent('g')), record(1, orderEvent('h'))], {
      notifier,
      deliveryRecords: store,
      logger: new CapturingLogger(),
      leaseExpiresAt: lease(),
    });
    expect(calls).toEqual([['ord_g', 'ord_h']]);
    expect(summary).toEqual({ sent: 2, duplicates: 0, failures: [] });
    expect(await store.claim('g', lease())).toBe('completed');
  });

  it('releases every claim when the notifier takes none of the batch, so a retry can send them', async () => {
    const store = new InMemoryBatchDeliveryRecords(clock.now);
    const notifier = {
      send: async () => ({ messageId: 'unused' }),
      sendAll: async () => {
        throw new Error('disk full');
      },
    };
    const summary = await processBatch([record(0, orderEvent('i')), record(1, orderEvent('j'))], {
      notifier,
      deliveryRecords: store,
      logger: new CapturingLogger(),
      leaseExpiresAt: lease(),
    });
    expect(summary.failures.map((f) => f.code)).toEqual(['NOTIFY_FAILED', 'NOTIFY_FAILED']);
    expect(await store.claim('i', lease())).toBe('claimed');
    expect(await store.claim('j', lease())).toBe('claimed');
  });
});
