/**
 * Creates the catalog's topics (and `orders.dlq`) on the broker at KAFKA_BROKERS, as bench/orders.ts does: the
 * throwaway broker of scripts/with-kafka.sh does not create topics on first use. Topics that exist are kept.
 */
import { Kafka, logLevel } from 'kafkajs';
import { shop } from '../lib/platform';

async function main(): Promise<void> {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error('KAFKA_BROKERS is required');
  const admin = new Kafka({ clientId: 'load', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        ...shop.catalog.topics.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1 })),
        { topic: 'orders.dlq', numPartitions: 1, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`creating topics failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
