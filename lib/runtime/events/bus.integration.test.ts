import { Kafka, logLevel } from 'kafkajs';
import { capturedLogger } from '../test-support/logs';
import { eventBusContract } from './bus.contract';
import { KafkaEventBus } from './kafka';

const brokers = process.env.TEST_KAFKA_BROKERS;
const suite = brokers ? describe : describe.skip;

suite(`the event bus on a real Kafka${brokers ? '' : ' (skipped: TEST_KAFKA_BROKERS is not set)'}`, () => {
  const { logger } = capturedLogger();
  let bus: KafkaEventBus;
  const admin = new Kafka({
    clientId: 'contract-admin',
    brokers: (brokers ?? '').split(','),
    logLevel: logLevel.NOTHING,
  }).admin();

  beforeAll(async () => {
    bus = await KafkaEventBus.create({ brokers: (brokers ?? '').split(','), clientId: 'contract', logger });
    await admin.connect();
  });
  afterAll(async () => {
    await bus.close();
    await admin.disconnect();
  });

  eventBusContract(() => ({
    bus,
    createTopic: async (name, partitions) => {
      await admin.createTopics({
        topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }],
        waitForLeaders: true,
      });
    },
  }));
});
