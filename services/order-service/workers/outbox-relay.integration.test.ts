import { Kafka, logLevel } from 'kafkajs';
import { PostgresDatabase } from '../../../lib/runtime/db';
import { KafkaEventBus } from '../../../lib/runtime/events/kafka';
import { silentLogger } from '../test-support/service';
import { describeOutboxRelayContract } from './outbox-relay.contract';

const url = process.env.TEST_DATABASE_URL;
const brokers = process.env.TEST_KAFKA_BROKERS?.split(',');

if (url && brokers) {
  const logger = silentLogger();
  let bus: KafkaEventBus | undefined;
  const admin = new Kafka({ clientId: 'order-relay-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  describeOutboxRelayContract('PostgreSQL and Apache Kafka', {
    logger,
    setup: async () => {
      bus = await KafkaEventBus.create({ brokers, clientId: 'order-relay-test', logger });
      await admin.connect();
    },
    open: (schema) => new PostgresDatabase(url, schema),
    bus: () => {
      if (!bus) throw new Error('the Kafka bus is not open');
      return bus;
    },
    createTopic: async (name, partitions) => {
      await admin.createTopics({
        topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }],
        waitForLeaders: true,
      });
    },
    teardown: async () => {
      await bus?.close();
      await admin.disconnect();
    },
  });
} else {
  describe.skip('the outbox relay on PostgreSQL and Kafka: TEST_DATABASE_URL and TEST_KAFKA_BROKERS are not both set (run `npm run test:integration`)', () => {
    it('needs a real PostgreSQL and a real Kafka', () => undefined);
  });
}
