/** A record to publish. Records with the same key go to the same partition and keep their order. */
export interface OutgoingMessage {
  readonly key: string;
  readonly value: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface DeliveredMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Epoch milliseconds the log appended the record at. */
  readonly timestamp: number;
  /** 1 on first delivery to this handler invocation chain, counting retries. */
  readonly attempt: number;
  /**
   * Runs `work` inside this delivery's context (its trace, when the bus is traced): a batch handler runs each
   * record's own work through it, so that work and its logs join the record's trace. @default - runs it as is
   */
  readonly within?: <T>(work: () => T) => T;
}

export interface SubscribeOptions {
  readonly topic: string;
  /** Consumers with the same group share the partitions and the committed offsets. */
  readonly groupId: string;
  /**
   * Called once per record, in order per partition. The offset is committed only after it resolves, so a
   * crash redelivers (at least once): handlers must be idempotent.
   */
  readonly handle: (message: DeliveredMessage) => Promise<void>;
  /**
   * Takes the records a fetch returned, of one partition and in order, at once (one state save, one round trip
   * for all of them); resolves with the records it did not finish, which then go through `handle` one by one
   * with its retries and dead-lettering (the batch is not counted as an attempt). Throwing means none finished.
   * The offsets are committed after that.
   * @default - every record through `handle`
   */
  readonly handleBatch?: (messages: readonly DeliveredMessage[]) => Promise<readonly DeliveredMessage[]>;
  /** Attempts before a record goes to the dead-letter topic. @default 5 */
  readonly maxAttempts?: number;
  /** Where records that keep failing go (with the error in headers); the consumer then moves on. @default `<topic>.dlq` */
  readonly deadLetterTopic?: string;
  /** Delay before retry `n` (1-based). @default exponential from 100 ms, capped at 5 s */
  readonly backoffMs?: (attempt: number) => number;
}

export interface Subscription {
  /** Stops after the record in hand is handled and committed. */
  stop(): Promise<void>;
}

/** The event bus port: Kafka (kafkajs) in the cloud and in the integration tier, an in-process log locally. */
export interface EventBus {
  /** Resolves once every record is durably appended (Kafka: acks from all in-sync replicas). */
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Resolves when the bus answers (for readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by a handler for a record that can never succeed (not JSON, unknown version): dead-lettered at once. */
export class PoisonMessageError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

export const defaultBackoff = (attempt: number): number => Math.min(5000, 100 * 2 ** (attempt - 1));

export const deadLetterTopicOf = (options: SubscribeOptions): string =>
  options.deadLetterTopic ?? `${options.topic}.dlq`;

/**
 * Runs a handler with bounded retries; after the last failure the record goes to the dead-letter topic
 * with the reason in headers. Shared by both adapters so they fail the same way.
 */
export async function handleWithRetries(
  options: SubscribeOptions,
  message: Omit<DeliveredMessage, 'attempt'>,
  publishDeadLetter: (topic: string, message: OutgoingMessage) => Promise<void>,
  onError: (error: unknown, attempt: number) => void,
  isStopping: () => boolean = () => false,
): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 5;
  const backoff = options.backoffMs ?? defaultBackoff;
  for (let attempt = 1; ; attempt++) {
    try {
      await options.handle({ ...message, attempt });
      return;
    } catch (error) {
      onError(error, attempt);
      if (attempt >= maxAttempts || error instanceof PoisonMessageError) {
        await publishDeadLetter(deadLetterTopicOf(options), {
          key: message.key ?? '',
          value: message.value,
          headers: {
            ...message.headers,
            'x-dead-letter-reason': error instanceof Error ? error.message.slice(0, 500) : 'unknown error',
            ...(error instanceof PoisonMessageError ? { 'x-dead-letter-code': error.code } : {}),
            'x-dead-letter-source': `${message.topic}/${message.partition}/${message.offset}`,
            'x-dead-letter-group': options.groupId,
            'x-dead-letter-attempts': String(attempt),
          },
        });
        return;
      }
      if (isStopping()) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
    }
  }
}

/**
 * Delivers the records of one fetch (one partition, in order): through `handleBatch` when the subscriber has one,
 * then each record it did not finish through `handle` with retries (attempts count the record handler's runs, so
 * a malformed record is dead-lettered after one, as without batches);
 * without it, each record through `handle`. Resolves with how many records from the start are done (handled or
 * dead-lettered), so the caller commits exactly those: fewer than all only when stopping cut a retry short.
 */
export async function deliverBatch(
  options: SubscribeOptions,
  messages: readonly Omit<DeliveredMessage, 'attempt'>[],
  publishDeadLetter: (topic: string, message: OutgoingMessage) => Promise<void>,
  onError: (error: unknown, attempt: number, message: Omit<DeliveredMessage, 'attempt'>) => void,
  isStopping: () => boolean,
): Promise<number> {
  // By offset: the records of one fetch are of one partition, and a wrapper may hand the handler copies.
  let unfinished: ReadonlySet<number> = new Set(messages.map((message) => message.offset));
  if (options.handleBatch && messages.length > 0 && !isStopping()) {
    try {
      const left = await options.handleBatch(messages.map((message) => ({ ...message, attempt: 1 })));
      unfinished = new Set(left.map((message) => message.offset));
    } catch (error) {
      onError(error, 1, messages[0] as Omit<DeliveredMessage, 'attempt'>);
    }
  }
  for (const [index, message] of messages.entries()) {
    if (!unfinished.has(message.offset)) continue;
    if (isStopping()) return index;
    try {
      await handleWithRetries(
        options,
        message,
        (topic, dead) => publishDeadLetter(topic, dead),
        (error, attempt) => onError(error, attempt, message),
        isStopping,
      );
    } catch {
      return index; // stopping mid-retry: this record and those after it are delivered again
    }
  }
  return messages.length;
}
