import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { OrderStatus } from '../../lib/contracts/gen/shopfront/order/v1/order';
import { parseOrderEvent } from '../../lib/events';
import { PostgresDatabase } from '../../lib/runtime/db';
import type { DeliveredMessage } from '../../lib/runtime/events';
import { KafkaEventBus } from '../../lib/runtime/events/kafka';
import type { StartedService } from '../../lib/runtime/host';
import { SCHEMA } from './config';
import { start } from './main';
import { FakePaymentService, FakeProductService } from './test-support/fake-peers';
import { OrderApi, silentLogger, testEnv, until } from './test-support/service';
import { newUser, tokenOf } from './test-support/tokens';

const url = process.env.TEST_DATABASE_URL;
const brokers = process.env.TEST_KAFKA_BROKERS;

if (url && brokers) {
  describe('order-service replicas on PostgreSQL and Apache Kafka', () => {
    const logger = silentLogger();
    const admin = new PostgresDatabase(url, 'public');
    const kafkaAdmin = new Kafka({
      clientId: 'order-service-it-admin',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    let reader: KafkaEventBus;
    let product: FakeProductService;
    let payment: FakePaymentService;
    const dropSchema = () => admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);

    beforeAll(async () => {
      await kafkaAdmin.connect();
      reader = await KafkaEventBus.create({ brokers: brokers.split(','), clientId: 'order-service-it-reader', logger });
      product = await new FakeProductService().start();
      payment = await new FakePaymentService().start();
    });
    beforeEach(dropSchema);
    afterAll(async () => {
      await dropSchema();
      await admin.close();
      await reader.close();
      await kafkaAdmin.disconnect();
      await Promise.all([product.close(), payment.close()]);
    });

    /** Every record of a one-partition topic, read until a marker published after them. */
    async function readTopic(topic: string): Promise<DeliveredMessage[]> {
      await reader.publish(topic, [{ key: 'marker', value: '__end__' }]);
      const seen: DeliveredMessage[] = [];
      const subscription = await reader.subscribe({
        topic,
        groupId: `${topic}-reader`,
        handle: async (m) => void seen.push(m),
      });
      await until(() => seen.some((m) => m.value === '__end__'), 60_000);
      await subscription.stop();
      return seen.filter((m) => m.value !== '__end__');
    }

    it('confirms orders on two replicas and publishes each order.created to Kafka once', async () => {
      const topic = `orders-it-${randomUUID().slice(0, 8)}`;
      await kafkaAdmin.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      const env = testEnv(
        { product, payment },
        { DATABASE_URL: url, KAFKA_BROKERS: brokers, KAFKA_TOPIC_ORDERS: topic },
      );
      const replicas: StartedService[] = await Promise.all([
        start({ env, logger, host: '127.0.0.1' }),
        start({ env, logger, host: '127.0.0.1' }),
      ]);
      const apis = replicas.map((r) => new OrderApi(r.ports.grpc));
      try {
        for (const replica of replicas) expect((await replica.health.report()).ready).toBe(true);
        const user = newUser();
        const token = await tokenOf(user);
        const productId = product.addProduct({ amount: 990, currency: 'EUR' }, 1000);
        const requests = Array.from({ length: 8 }, (_, i) => ({
          idempotencyKey: `it-${i}`,
          items: [{ productId, quantity: 1 + i }],
          paymentToken: i === 3 ? 'tok_chargeDeclined' : 'tok_visa',
        }));
        const orders = await Promise.all(requests.map((r, i) => apis[i % 2]?.create(r, token)));
        const first = requests[0];
        if (!first) throw new Error('no request');
        // The same key ten times across both replicas: still one order.
        const raced = await Promise.all(Array.from({ length: 10 }, (_, i) => apis[i % 2]?.create(first, token)));
        expect(new Set(raced.map((o) => o?.id))).toEqual(new Set([orders[0]?.id]));
        const confirmed = orders.filter((o) => o?.status === OrderStatus.ORDER_STATUS_CONFIRMED).map((o) => o?.id);
        expect(confirmed).toHaveLength(7);

        const unpublished = async () =>
          Number(
            (
              await admin.query<{ n: number }>(
                `SELECT count(*)::integer AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`,
              )
            ).rows[0]?.n,
          );
        await until(async () => (await unpublished()) === 0, 60_000);
        await Promise.all(replicas.map((r) => r.stop()));

        const records = await readTopic(topic);
        expect(records.map((r) => r.key).sort()).toEqual([...confirmed].sort());
        for (const record of records) {
          const parsed = parseOrderEvent(record.value);
          if (!parsed.ok) throw new Error(parsed.error.message);
          expect(parsed.event.subject).toBe(record.key);
          expect(parsed.event.data.userEmail).toBe(user.email);
        }
        expect(new Set(records.map((r) => r.headers['ce-id'])).size).toBe(7);
      } finally {
        for (const api of apis) api.close();
        await Promise.all(replicas.map((r) => r.stop()));
      }
    });
  });
} else {
  describe.skip('order-service on PostgreSQL and Kafka: TEST_DATABASE_URL and TEST_KAFKA_BROKERS are not both set (run `npm run test:integration`)', () => {
    it('needs a real PostgreSQL and a real Kafka', () => undefined);
  });
}
