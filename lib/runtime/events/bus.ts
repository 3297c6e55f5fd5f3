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
