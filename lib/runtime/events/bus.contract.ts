import { type DeliveredMessage, type EventBus, PoisonMessageError } from '.';

export interface BusFixture {
  readonly bus: EventBus;
  /** Creates a topic (Kafka has automatic creation off, as in production). */
  createTopic(name: string, partitions: number): Promise<void>;
}

const until = async (condition: () => boolean, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Event-bus semantics, run against the in-process log in `npm test` and a real Kafka in the integration tier. */
export function eventBusContract(fixture: () => BusFixture): void {
  let n = 0;
  const topicName = () => `contract-${process.pid}-${Date.now() % 100000}-${n++}`;
  const fast = { backoffMs: () => 10 };

  it('keeps per-key order across partitions', async () => {
    const { bus, createTopic } = fixture();
    const topic = topicName();
    await createTopic(topic, 3);
    const keys = ['order-a', 'order-b', 'order-c', 'order-d'];
    const messages = Array.from({ length: 40 }, (_, i) => ({ key: keys[i % keys.length] ?? '', value: String(i) }));
    await bus.publish(topic, messages);
    const seen: DeliveredMessage[] = [];
    const sub = await bus.subscribe({ topic, groupId: `${topic}-g`, handle: async (m) => void seen.push(m) });
    await until(() => seen.length >= 40);
    await sub.stop();
    for (const key of keys) {
      const values = seen.filter((m) => m.key === key).map((m) => Number(m.value));
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(new Set(seen.filter((m) => m.key === key).map((m) => m.partition)).size).toBe(1);
    }
  });

  it('resumes a group from its committed offset; another group reads from the start', async () => {
    const { bus, createTopic } = fixture();
    const topic = topicName();
    await createTopic(topic, 1);
    await bus.publish(
      topic,
      [1, 2, 3].map((i) => ({ key: 'k', value: `first-${i}` })),
    );
    const first: string[] = [];
    const a = await bus.subscribe({ topic, groupId: `${topic}-a`, handle: async (m) => void first.push(m.value) });
    await until(() => first.length === 3);
    await a.stop();
    await bus.publish(
      topic,
      [4, 5].map((i) => ({ key: 'k', value: `second-${i}` })),
    );
    const resumed: string[] = [];
    const again = await bus.subscribe({
      topic,
      groupId: `${topic}-a`,
      handle: async (m) => void resumed.push(m.value),
    });
    await until(() => resumed.length >= 2);
    await again.stop();
    expect(resumed).toEqual(['second-4', 'second-5']);
    const other: string[] = [];
    const b = await bus.subscribe({ topic, groupId: `${topic}-b`, handle: async (m) => void other.push(m.value) });
    await until(() => other.length >= 5);
    await b.stop();
    expect(other).toEqual(['first-1', 'first-2', 'first-3', 'second-4', 'second-5']);
  });

  it('redelivers a record whose handler failed, before any later record of its partition', async () => {
    const { bus, createTopic } = fixture();
    const topic = topicName();
    await createTopic(topic, 1);
    await bus.publish(
      topic,
      ['a', 'b', 'c'].map((v) => ({ key: 'k', value: v })),
    );
    const log: string[] = [];
    let failures = 0;
    const sub = await bus.subscribe({
      topic,
      groupId: `${topic}-g`,
      ...fast,
      handle: async (m) => {
        log.push(`${m.value}#${m.attempt}`);
        if (m.value === 'b' && failures < 2) {
          failures++;
          throw new Error('transient');
        }
      },
    });
    await until(() => log.includes('c#1'));
    await sub.stop();
    expect(log).toEqual(['a#1', 'b#1', 'b#2', 'b#3', 'c#1']);
  });

  it('dead-letters a record that keeps failing and goes on with the next', async () => {
    const { bus, createTopic } = fixture();
    const topic = topicName();
    await createTopic(topic, 1);
    await createTopic(`${topic}.dlq`, 1);
    await bus.publish(topic, [
      { key: 'k', value: 'poison', headers: { 'ce-id': 'e-1' } },
      { key: 'k', value: 'fine' },
    ]);
    const handled: string[] = [];
    const sub = await bus.subscribe({
      topic,
      groupId: `${topic}-g`,
      maxAttempts: 3,
      ...fast,
      handle: async (m) => {
        if (m.value === 'poison') throw new Error('not an order event');
        handled.push(m.value);
      },
    });
    const dead: DeliveredMessage[] = [];
    const dlq = await bus.subscribe({
      topic: `${topic}.dlq`,
      groupId: `${topic}-dlq-reader`,
      handle: async (m) => void dead.push(m),
    });
    await until(() => handled.length === 1 && dead.length === 1);
    await sub.stop();
    await dlq.stop();
    expect(handled).toEqual(['fine']);
    expect(dead[0]?.value).toBe('poison');
    expect(dead[0]?.headers).toMatchObject({
      'ce-id': 'e-1',
      'x-dead-letter-reason': 'not an order event',
      'x-dead-letter-attempts': '3',
      'x-dead-letter-group': `${topic}-g`,
    });
  });

  it('dead-letters a poison record at once, without retries', async () => {
    const { bus, createTopic } = fixture();
    const topic = topicName();
    await createTopic(topic, 1);
    await createTopic(`${topic}.dlq`, 1);
    await bus.publish(topic, [
      { key: 'k', value: 'not json' },
      { key: 'k', value: '{}' },
    ]);
    const attempts: string[] = [];
    const sub = await bus.subscribe({
      topic,
      groupId: `${topic}-g`,
      ...fast,
      handle: async (m) => {
        attempts.push(m.value);
        if (m.value === 'not json') throw new PoisonMessageError('record is not JSON', 'NOT_JSON');
      },
    });
    const dead: DeliveredMessage[] = [];
    const dlq = await bus.subscribe({
      topic: `${topic}.dlq`,
      groupId: `${topic}-dlq`,
      handle: async (m) => void dead.push(m),
    });
    await until(() => attempts.includes('{}') && dead.length === 1);
    await sub.stop();
    await dlq.stop();
    expect(attempts).toEqual(['not json', '{}']);
    expect(dead[0]?.headers).toMatchObject({ 'x-dead-letter-code': 'NOT_JSON', 'x-dead-letter-attempts': '1' });
  });

  it('hands a batch its records in order, retries the ones it did not finish one by one, then commits', async () => {
    const { bus, createTopic } = fixture();
    const topic = topicName();
    await createTopic(topic, 1);
    await createTopic(`${topic}.dlq`, 1);
    await bus.publish(
      topic,
      ['a', 'b', 'c', 'poison', 'd'].map((v) => ({ key: 'k', value: v })),
    );
    const batches: string[][] = [];
    const single: string[] = [];
    const options = {
      topic,
      groupId: `${topic}-g`,
      maxAttempts: 3,
      ...fast,
      handleBatch: async (messages: readonly DeliveredMessage[]) => {
        batches.push(messages.map((m) => `${m.value}#${m.attempt}`));
        return messages.filter((m) => m.value === 'b' || m.value === 'poison');
      },
      handle: async (m: DeliveredMessage) => {
        single.push(`${m.value}#${m.attempt}`);
        if (m.value === 'poison') throw new PoisonMessageError('not an order event', 'NOT_JSON');
      },
    };
    const sub = await bus.subscribe(options);
    const dead: DeliveredMessage[] = [];
    const dlq = await bus.subscribe({
      topic: `${topic}.dlq`,
      groupId: `${topic}-dlq`,
      handle: async (m) => void dead.push(m),
    });
    await until(() => batches.flat().length >= 5 && dead.length === 1);
    await sub.stop();
    // Every record reached a batch once, in order; only the two left unfinished were handled alone.
    expect(batches.flat()).toEqual(['a#1', 'b#1', 'c#1', 'poison#1', 'd#1']);
    expect(single).toEqual(['b#1', 'poison#1']);
    expect(dead[0]?.value).toBe('poison');
    expect(dead[0]?.headers).toMatchObject({ 'x-dead-letter-code': 'NOT_JSON', 'x-dead-letter-attempts': '1' });
    // Committed: the group, started again, is handed only what came after.
    await bus.publish(topic, [{ key: 'k', value: 'e' }]);
    const again: string[] = [];
    const resumed = await bus.subscribe({
      ...options,
      handleBatch: async (messages) => {
        again.push(...messages.map((m) => m.value));
        return [];
      },
    });
    await until(() => again.length >= 1);
    await resumed.stop();
    await dlq.stop();
    expect(again).toEqual(['e']);
  });

  it('hands every record of a batch that threw to the record handler, in order', async () => {
    const { bus, createTopic } = fixture();
    const topic = topicName();
    await createTopic(topic, 1);
    await bus.publish(
      topic,
      ['a', 'b', 'c'].map((v) => ({ key: 'k', value: v })),
    );
    const single: string[] = [];
    let batchCalls = 0;
    const sub = await bus.subscribe({
      topic,
      groupId: `${topic}-g`,
      ...fast,
      handleBatch: async () => {
        batchCalls++;
        throw new Error('the state could not be saved');
      },
      handle: async (m) => void single.push(`${m.value}#${m.attempt}`),
    });
    await until(() => single.length >= 3);
    await sub.stop();
    expect(batchCalls).toBeGreaterThanOrEqual(1);
    expect(single).toEqual(['a#1', 'b#1', 'c#1']);
  });
}
