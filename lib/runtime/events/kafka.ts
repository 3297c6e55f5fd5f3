import { Kafka, type KafkaConfig, logLevel as KafkaLogLevel, type Producer } from 'kafkajs';
import type { Logger } from '../logger';
import * as bus from './bus';

export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** Amazon MSK with IAM authentication over TLS (region of the cluster). @default plaintext (local broker) */
  readonly mskIamRegion?: string;
}

/** kafkajs log lines into the service's pino logger, at warn and above. */
function kafkaLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: { level: number; log: { message: string } & Record<string, unknown> }) => {
      const { message, ...rest } = log;
      if (level <= KafkaLogLevel.ERROR) logger.error({ kafka: rest }, message);
      else if (level === KafkaLogLevel.WARN) logger.warn({ kafka: rest }, message);
    };
}

async function mskIamConfig(region: string): Promise<Pick<KafkaConfig, 'ssl' | 'sasl'>> {
  const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
  return {
    ssl: true,
    sasl: {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => {
        const { token } = await generateAuthToken({ region });
        return { value: token };
      },
    },
  };
}

/**
 * The event bus on Apache Kafka through kafkajs: an idempotent producer with acks from all in-sync
 * replicas (one request in flight, so retries cannot reorder a key), consumers that commit an offset only
 * after the handler succeeded, and MSK IAM authentication when a region is given.
 */
export class KafkaEventBus implements bus.EventBus {
  private producer: Producer | undefined;
  private readonly subscriptions = new Set<bus.Subscription>();

  private constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaBusOptions,
  ) {}

  static async create(options: KafkaBusOptions): Promise<KafkaEventBus> {
    const auth = options.mskIamRegion ? await mskIamConfig(options.mskIamRegion) : {};
    const kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: KafkaLogLevel.WARN,
      logCreator: kafkaLogCreator(options.logger),
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
      ...auth,
    });
    return new KafkaEventBus(kafka, options);
  }

  private async connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      this.producer = producer;
    }
    return this.producer;
  }

  async publish(topic: string, messages: readonly bus.OutgoingMessage[]): Promise<void> {
    const producer = await this.connectedProducer();
    await producer.send({
      topic,
      acks: -1,
      messages: messages.map((m) => ({ key: m.key, value: m.value, headers: { ...m.headers } })),
    });
  }

  async subscribe(options: bus.SubscribeOptions): Promise<bus.Subscription> {
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      retry: { retries: 10 },
    });
    const log = this.options.logger.child({ topic: options.topic, group: options.groupId });
    let stopping = false;
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    // Per batch: the records of one fetch of one partition go to the subscriber together, and their offsets are
    // committed once, after the last is handled. Partitions are handled concurrently, each in order.
    await consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
        const messages = batch.messages.map((message) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) {
            if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : String(v);
          }
          return {
            topic: batch.topic,
            partition: batch.partition,
            offset: Number(message.offset),
            key: message.key ? message.key.toString() : null,
            value: message.value ? message.value.toString() : '',
            headers,
            timestamp: Number(message.timestamp),
          };
        });
        const done = await bus.deliverBatch(
          options,
          messages,
          (deadTopic, dead) => this.publish(deadTopic, [dead]),
          (error, attempt, message) =>
            log.warn({ partition: batch.partition, offset: message.offset, attempt, err: error }, 'handler failed'),
          () => stopping,
        );
        const last = batch.messages[done - 1];
        if (last) resolveOffset(last.offset);
        await commitOffsetsIfNecessary();
        await heartbeat();
      },
    });
    const subscription: bus.Subscription = {
      stop: async () => {
        stopping = true;
        this.subscriptions.delete(subscription);
        await consumer.disconnect();
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async ping(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.describeCluster();
    } finally {
      await admin.disconnect();
    }
  }

  async close(): Promise<void> {
    for (const s of [...this.subscriptions]) await s.stop();
    await this.producer?.disconnect();
  }
}
